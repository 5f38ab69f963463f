/// A position in a TOML source, 1-based; columns count Unicode scalars, so `午` is one column.
public struct TOMLPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The line, starting at 1.
    public var line: Int
    /// The column, starting at 1, in Unicode scalars from the start of the line.
    public var column: Int

    /// Creates a position from a 1-based line and column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The start of a document, used for the root table.
    public static let start = TOMLPosition(line: 1, column: 1)

    /// `line:column`, the form used inside error messages.
    public var description: String { "\(line):\(column)" }

    /// Orders positions as they appear in the document.
    public static func < (lhs: TOMLPosition, rhs: TOMLPosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// A parse or validation error that names the file, the line and the column.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name given to the parser or reader; used only for reporting.
    public var file: String
    /// Where the problem is.
    public var position: TOMLPosition
    /// What is wrong and what was expected, without the location prefix.
    public var message: String

    /// Creates an error; callers use this for their own semantic checks too.
    public init(file: String, position: TOMLPosition, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    /// `file:line:column: message`, the form editors and compilers use.
    public var description: String { "\(file):\(position.line):\(position.column): \(message)" }
}

/// Every problem found in a file that parsed as TOML but says something wrong (a schedule, a
/// plan), each with its file, line and column, in document order.
public struct TOMLErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems; never empty.
    public let errors: [TOMLError]

    /// Wraps problems, ordering them by position so that reports read top to bottom.
    public init(_ errors: [TOMLError]) {
        self.errors = errors.enumerated()
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
            .map(\.element)
    }

    /// One `file:line:column: message` line per problem.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
