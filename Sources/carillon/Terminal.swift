import Foundation
import Glibc

/// Standard output, written with `write(2)`: a reader that goes away (`carillon log | head -2`)
/// ends the client quietly with status 0, as it ends `ls`.
///
/// SIGPIPE is ignored (`ignoreBrokenPipe`), so a closed pipe shows up here as EPIPE instead of
/// killing the process; FileHandle would turn it into a fatal error with a backtrace.
enum StandardOutput {
    /// Called first thing in `main`.
    static func ignoreBrokenPipe() { signal(SIGPIPE, SIG_IGN) }

    static func write(_ data: Data) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if n >= 0 {
                    offset += n
                } else if errno == EINTR {
                    continue
                } else if errno == EPIPE {
                    // Whoever read our output has all it wanted.
                    exit(0)
                } else {
                    StandardError.write("carillon: standard output: \(String(cString: strerror(errno)))\n")
                    exit(1)
                }
            }
        }
    }

    static func write(_ text: String) { write(Data(text.utf8)) }
}

/// Standard error, whose failures are ignored: there is nowhere left to report them.
enum StandardError {
    static func write(_ data: Data) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    static func write(_ text: String) { write(Data(text.utf8)) }
}

/// The client's `print`: through `StandardOutput`, so every command ends quietly on a closed pipe.
/// It shadows the standard library's `print` in this module on purpose.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    StandardOutput.write(items.map { "\($0)" }.joined(separator: separator) + terminator)
}

/// Columns a string takes on a terminal: East Asian Wide and Fullwidth characters (Chinese among
/// them) take two, combining marks and controls none, everything else one.
func displayWidth(_ text: String) -> Int {
    text.reduce(0) { width, character in
        // A grapheme cluster (a letter with its accents, an emoji sequence) is as wide as its first scalar.
        guard let scalar = character.unicodeScalars.first else { return width }
        return width + columns(of: scalar)
    }
}

private func columns(of scalar: Unicode.Scalar) -> Int {
    let value = scalar.value
    if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    // East Asian Width W and F (Unicode 15, UAX #11), by block.
    let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF,
        0x1F900...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
    return wide.contains { $0.contains(value) } ? 2 : 1
}

/// Pads `text` with spaces to `width` display columns.
func padded(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - displayWidth(text)))
}

/// Prints rows as columns aligned by display width, two spaces apart; the last column is not padded.
func printTable(header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let count = all.map(\.count).max() ?? 0
    let widths = (0..<count).map { column in all.map { column < $0.count ? displayWidth($0[column]) : 0 }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : padded(cell, to: widths[column])
        }
        print(cells.joined(separator: "  "))
    }
}
