import Foundation

/// Shows progress: a bar redrawn in place on a terminal, plain lines (one per tenth) otherwise.
final class Progress {
    private let label: String
    private let total: Int
    private let onTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    func update(_ done: Int) {
        let fraction = min(1, Double(done) / Double(total))
        if onTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            StandardError.write(Data("\r\(label) [\(bar)] \(Int(fraction * 100))%".utf8))
        } else {
            let tenth = Int(fraction * 10)
            if tenth != lastTenth {
                lastTenth = tenth
                StandardError.write(Data("\(label): \(tenth * 10)%\n".utf8))
            }
        }
    }

    func finish() {
        if onTerminal { StandardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
