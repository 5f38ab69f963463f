import Foundation
public import Logging

/// Log lines for the journal: stderr with a `<N>` syslog priority prefix that journald turns into
/// the entry's level, and the metadata as `key=value` fields. No timestamp: the journal adds it.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) { self.label = label }

    /// Whether stderr goes to the journal, as systemd says through `$JOURNAL_STREAM`.
    public static var stderrIsJournal: Bool { ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let priority =
            switch event.level {
            case .trace, .debug: 7
            case .info: 6
            case .notice: 5
            case .warning: 4
            case .error: 3
            case .critical: 2
            }
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "<\(priority)>\(event.message)\(rendered.isEmpty ? "" : " " + rendered)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
