import CarillonTesting
import Foundation
import Glibc

/// The shipped library (`audio-library/`, its speech and synthesized clips) with the bench's own
/// clips added, for first starts: an empty cache renders all of it, at idle priority, after READY.
enum ShippedLibrary {
    /// Writes it into `directory`; `source` is the repository's `audio-library`.
    static func write(into directory: String, from source: String) throws {
        let fm = FileManager.default
        guard let shipped = fm.contents(atPath: source + "/catalog.toml") else {
            throw HarnessError("no shipped library at \(source): run the bench from the repository's root")
        }
        try CarillonLibrary.write(into: directory)
        try (String(decoding: shipped, as: UTF8.self) + "\n" + CarillonLibrary.catalog)
            .write(toFile: directory + "/catalog.toml", atomically: true, encoding: .utf8)
        try fm.copyItem(atPath: source + "/text", toPath: directory + "/text")
    }
}

/// Waits for a daemon's first pass of rendering (the cache warmer's `cache warmed` line in its log)
/// and reports when it ended: the daemon's own count of seconds, and the bench's wall clock.
struct RenderPass {
    /// When the bench saw the line (polled every 50 ms): Unix seconds, and CLOCK_MONOTONIC ns.
    var seenAt: Double
    var seenMono: UInt64
    /// The daemon's figure: start of the render pass → its end.
    var seconds: Double
    var clips: Int
    var failures: Int

    /// The pass's line, if the daemon has logged it yet.
    static func logged(by rig: CarillonRig) -> RenderPass? {
        guard let line = rig.daemon.log_.split(separator: "\n").first(where: { $0.contains("cache warmed") }) else { return nil }
        func field(_ name: String) -> Double? {
            guard let range = line.range(of: name + "=") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        return RenderPass(
            seenAt: Date().timeIntervalSince1970, seenMono: monotonic(), seconds: field("seconds") ?? .nan, clips: Int(field("clips") ?? 0),
            failures: Int(field("failures") ?? 0))
    }

    /// Waits for the line, up to `limit` seconds.
    static func wait(for rig: CarillonRig, limit: Double) throws -> RenderPass {
        let t0 = monotonic()
        while Double(monotonic() - t0) / 1e9 < limit {
            if let pass = logged(by: rig) { return pass }
            usleep(50_000)
        }
        throw HarnessError("the render did not end in \(Int(limit)) s")
    }
}
