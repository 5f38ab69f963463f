import Foundation

/// The console's static pages: files under one directory, never outside it.
struct StaticFiles: Sendable {
    let root: String

    init(root: String) {
        // Resolved once: a file's real path must start with this one.
        if let resolved = realpath(root, nil) {
            self.root = String(cString: resolved)
            free(resolved)
        } else {
            self.root = root
        }
    }

    /// A file to send: its bytes and type.
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    /// Why a path was not served.
    enum Refusal: Error, Equatable {
        /// A `..`, a NUL, a backslash or an encoded slash: 400.
        case badPath
        /// Nothing there, or a directory, or outside the root once links are followed: 404.
        case notFound
    }

    /// The file that URL path `path` names (`/` is `index.html`).
    func file(at path: String) throws(Refusal) -> File {
        let relative = try Self.relativePath(path)
        let full = root + "/" + relative
        guard let resolved = full.withCString({ realpath($0, nil) }) else { throw .notFound }
        let real = String(cString: resolved)
        free(resolved)
        // A symbolic link out of the root is refused as if nothing were there.
        guard real.hasPrefix(root + "/") else { throw .notFound }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: real)
        else { throw .notFound }
        return File(bytes: Array(data), contentType: Self.contentType(of: real))
    }

    /// The path below the root, checked: only plain names joined by `/`.
    static func relativePath(_ path: String) throws(Refusal) -> String {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard let decoded = withoutQuery.removingPercentEncoding else { throw .badPath }
        // An encoded `/` or `\` would let one segment hide two.
        let lowered = withoutQuery.lowercased()
        guard !lowered.contains("%2f"), !lowered.contains("%5c"), !decoded.contains("\\"), !decoded.contains("\0") else {
            throw .badPath
        }
        var segments: [Substring] = []
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            guard segment != "..", segment != ".", !segment.hasPrefix(".") else { throw .badPath }
            segments.append(segment)
        }
        return segments.isEmpty ? "index.html" : segments.joined(separator: "/")
    }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "json", "webmanifest": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "wav": "audio/wav"
        default: "application/octet-stream"
        }
    }
}
