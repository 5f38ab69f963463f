import CarillonTOML

/// What the schedule and plan decoders share: the file, the problems found so far, and the way
/// each read records its problem and lets the next read run, so that one pass reports them all.
class TOMLFileDecoder {
    let file: String
    var errors: [TOMLError] = []

    init(file: String) { self.file = file }

    /// Runs one read; a thrown error is recorded and the read yields nil, so the next read still runs.
    func attempt<T>(_ body: () throws(TOMLError) -> T?) -> T? {
        do {
            return try body()
        } catch {
            errors.append(error)
            return nil
        }
    }

    func report(_ message: String, at position: TOMLPosition) {
        errors.append(TOMLError(file: file, position: position, message: message))
    }

    /// Reports every key of the table that is not in `known`, each at its own position.
    /// - Parameter table: how the message names the table; its header by default.
    func rejectUnknownKeys(_ reader: TOMLReader, known: [String], in table: String? = nil) {
        for entry in reader.table.entries where !known.contains(entry.key) {
            let expected = known.map { "`\($0)`" }
            let list =
                expected.count == 1 ? "expected \(expected[0])" : "expected one of \(expected.joined(separator: ", "))"
            report(
                "unknown key `\(TOML.formatKey(entry.key))` in \(table ?? reader.tableName); \(list)", at: entry.keyPosition)
        }
    }
}
