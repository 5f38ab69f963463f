import Foundation

/// An ALSA `file` PCM over `null`: it keeps exactly the samples written, as raw S16_LE.
///
/// Used through the `alsa_conf` key of an output, so no `~/.asoundrc` is involved.
public struct CapturePCM: Sendable {
    public let name: String
    public let path: String

    public init(name: String = "cap", path: String) {
        self.name = name
        self.path = path
    }

    /// ALSA configuration text defining the PCM.
    public var alsaConfig: String {
        """
        pcm.\(name) {
            type file
            slave.pcm { type null }
            file "\(path)"
            format "raw"
        }
        """
    }

    /// A daemon's config with this PCM as its one output, `main`: the data directory, control
    /// socket and library under the test's directory (`@DIR@`, see `DaemonProcess`) unless given.
    /// - Parameters:
    ///   - station: more keys of `[station]`; `control`: more keys of `[control]`.
    ///   - tables: more tables, placed before the output's.
    public func daemonConfig(
        data: String = "@DIR@/data", library: String = "@DIR@/library", station: String = "", control: String = "",
        tables: String = ""
    ) -> String {
        """
        [station]
        data_dir = "\(data)"
        \(station)
        [control]
        socket = "@DIR@/control.sock"
        \(control)
        [library]
        dir = "\(library)"
        \(tables)
        [[output]]
        name = "main"
        device = "\(name)"
        alsa_conf = '''
        \(alsaConfig)
        '''
        """
    }

    /// The samples captured so far, interleaved.
    public func samples() -> [Int16] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Int16.self)) }
    }

    /// Bytes captured so far.
    public var size: Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Waits, on inotify events rather than sleeps, until the capture holds `bytes` bytes.
    public func waitForSize(_ bytes: Int, timeout: Duration = .seconds(20)) throws {
        try FileWatch.wait(for: path, timeout: timeout) { self.size >= bytes }
    }
}

/// Finds `needle` in `haystack`; returns the first index where it starts.
public func firstIndex(of needle: ArraySlice<Int16>, in haystack: [Int16], stride step: Int = 1) -> Int? {
    guard let first = needle.first, needle.count <= haystack.count else { return nil }
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += step
    }
    return nil
}
