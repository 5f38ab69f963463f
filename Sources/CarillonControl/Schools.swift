import Foundation

// The bureau's schools file (`stats pull`, `bundle push`): a strict CSV read here, in a library, so
// that its parser is fuzzed (fuzz-schools) and its corpus replayed in `make test`.

/// One school of a fleet: where its daemon listens and how to trust and log in to it.
public struct School: Sendable, Hashable {
    /// The school's id as the bureau names it: letters, digits, `.`, `_` and `-`.
    public var id: String
    /// `HOST:PORT` as written in the file.
    public var address: String
    /// Where to connect: `address`, parsed once by the parser that checked it.
    public var controlAddress: ControlAddress
    /// The file holding the bureau's token for this school; absolute.
    public var tokenFile: String
    /// PEM file of the CA that signed the school's certificate; absolute. Set, or `pin` is.
    public var ca: String?
    /// The school certificate's SHA-256 fingerprint, as written.
    public var pin: String?
    /// The school's district for the city link (`carillon city broker-config`, `city status`,
    /// `city stats`): the file's optional sixth column.
    public var district: String?
    /// The line it came from, for messages.
    public var line: Int

    /// The header every schools file starts with.
    public static let csvHeader = "id,address,token_file,ca,pin"
    /// The header of a file that also names each school's district, for the city link.
    public static let csvHeaderWithDistrict = csvHeader + ",district"

    /// How to check its certificate.
    public var tls: ClientTLS { ClientTLS(caFile: ca, pin: pin.flatMap(ClientTLS.parsePin)) }

    /// The school as a row of a schools file; its paths are absolute, so the row works from anywhere.
    /// With `district`, the row has the sixth column (empty when the school has none).
    public func csvRow(district withDistrict: Bool) -> String {
        ([id, address, tokenFile, ca ?? "", pin ?? ""] + (withDistrict ? [district ?? ""] : [])).map(csvField).joined(separator: ",")
    }

    /// Schools as a whole schools file, header first; the district column only when one of them has a district.
    public static func csvText(_ schools: [School]) -> String {
        let withDistrict = schools.contains { $0.district != nil }
        return ([withDistrict ? csvHeaderWithDistrict : csvHeader] + schools.map { $0.csvRow(district: withDistrict) })
            .joined(separator: "\n") + "\n"
    }
}

/// A schools file that is not as `School.parse` wants it: the file, the line and what is wrong.
public struct SchoolsFileError: Error, CustomStringConvertible {
    public var path: String
    /// 0 when the file as a whole is at fault (it cannot be read).
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)" }
}

extension School {
    /// Reads a schools file. Relative paths in it are taken relative to its directory.
    /// - Throws: `SchoolsFileError` for the first line that is wrong, or an unreadable file.
    public static func load(_ path: String) throws(SchoolsFileError) -> [School] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchoolsFileError(path: path, line: 0, message: "cannot read the schools file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SchoolsFileError(path: path, line: 0, message: "not UTF-8 text")
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        return try parse(text, path: path, directory: absolute.deletingLastPathComponent().path)
    }

    /// Parses the text of a schools file, strictly:
    ///
    /// - `#` comment lines and blank lines are skipped anywhere;
    /// - the first other line is the header `id,address,token_file,ca,pin`, or
    ///   `id,address,token_file,ca,pin,district` for a file that also names districts (the city link's);
    /// - each further line is one school with exactly the header's fields. A field may be quoted
    ///   (`"a,b"`, with `""` for a quote); spaces around fields are dropped;
    /// - `id` is unique, `address` is `HOST:PORT` with a port of 1 to 65535, `token_file` is set,
    ///   and exactly one of `ca` (a PEM file) and `pin` (64 hex digits, colons allowed) is set;
    ///   `district`, if the file has the column, is empty or 1 to 64 of letters, digits, `.`, `_`, `-`.
    ///
    /// - Parameter directory: what relative `token_file` and `ca` paths are relative to.
    /// - Throws: `SchoolsFileError` naming the first wrong line.
    public static func parse(_ text: String, path: String, directory: String) throws(SchoolsFileError) -> [School] {
        var schools: [School] = []
        var seen: [String: Int] = [:]
        var headerRead = false
        var columns = 5
        // `\r\n` is one Character in Swift, so lines are split on newlines of any kind, not on "\n".
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            func fail(_ message: String) -> SchoolsFileError { SchoolsFileError(path: path, line: number, message: message) }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let fields = splitCSV(line) else { throw fail("a quoted field is not closed") }
            if !headerRead {
                if fields == csvHeaderWithDistrict.split(separator: ",").map(String.init) {
                    columns = 6
                } else if fields != csvHeader.split(separator: ",").map(String.init) {
                    throw fail("the header must be `\(csvHeader)` or `\(csvHeaderWithDistrict)`, not `\(trimmed)`")
                }
                headerRead = true
                continue
            }
            let header = columns == 6 ? csvHeaderWithDistrict : csvHeader
            guard fields.count == columns else { throw fail("expected \(columns) fields (\(header)), found \(fields.count)") }
            let district = columns == 6 && !fields[5].isEmpty ? fields[5] : nil
            if let district {
                guard district.utf8.count <= 64, Self.isName(district) else {
                    throw fail("`district` `\(district)` must be 1 to 64 of letters, digits, `.`, `_` and `-`")
                }
            }
            let (id, address, token, ca, pin) = (fields[0], fields[1], fields[2], fields[3], fields[4])
            guard !id.isEmpty else { throw fail("`id` is empty") }
            guard Self.isName(id) else { throw fail("`id` `\(id)` may hold only letters, digits, `.`, `_` and `-`") }
            if let first = seen[id] { throw fail("`id` `\(id)` is already on line \(first)") }
            guard let controlAddress = ControlAddress.parseTCP(address), case .tcp(let host, _) = controlAddress,
                !address.hasPrefix(":"), !host.isEmpty
            else {
                throw fail("`address` must be HOST:PORT with a port of 1 to 65535, not `\(address)`")
            }
            guard !token.isEmpty else { throw fail("`token_file` is empty") }
            switch (ca.isEmpty, pin.isEmpty) {
            case (true, true): throw fail("give `ca` (a PEM file) or `pin` (a SHA-256 fingerprint)")
            case (false, false): throw fail("give `ca` or `pin`, not both")
            default: break
            }
            if !pin.isEmpty, ClientTLS.parsePin(pin) == nil {
                throw fail("`pin` must be a SHA-256 fingerprint: 64 hex digits, colons allowed")
            }
            seen[id] = number
            schools.append(
                School(
                    id: id, address: address, controlAddress: controlAddress, tokenFile: resolve(token, in: directory),
                    ca: ca.isEmpty ? nil : resolve(ca, in: directory), pin: pin.isEmpty ? nil : pin, district: district, line: number))
        }
        guard headerRead else { throw SchoolsFileError(path: path, line: 0, message: "no header `\(csvHeader)`") }
        return schools
    }

    /// Letters, digits, `.`, `_` and `-`, ASCII only.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }

    /// The fields of one CSV line, trimmed; nil when a quote is left open.
    static func splitCSV(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var wasQuoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    // `""` inside quotes is one quote; a lone one closes them.
                    var lookahead = characters
                    if lookahead.next() == "\"" {
                        field.append("\"")
                        characters = lookahead
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "," {
                fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
                field = ""
                wasQuoted = false
            } else if character == "\"", field.trimmingCharacters(in: .whitespaces).isEmpty {
                field = ""
                quoted = true
                wasQuoted = true
            } else if !(wasQuoted && character.isWhitespace) {
                field.append(character)
            }
        }
        guard !quoted else { return nil }
        fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
        return fields
    }
}

/// A CSV field, quoted when it must be: for a comma, a quote or a line break, and for spaces at
/// either end, which an unquoted field loses when it is read.
public func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) || text.first?.isWhitespace == true
        || text.last?.isWhitespace == true
    else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

