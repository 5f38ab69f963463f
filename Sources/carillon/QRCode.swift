import CQREncode
import Foundation

/// A QR code's modules, made by libqrencode: byte mode, error correction M, the smallest version
/// that holds the text.
struct QRCode {
    /// Row by row; true is a dark module.
    let modules: [[Bool]]

    init?(_ text: String) {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = code.pointee.data!
        // Bit 0 of each byte is the module's colour; the others say what it is part of.
        modules = (0..<width).map { y in (0..<width).map { x in data[y * width + x] & 1 == 1 } }
    }

    /// The code for a terminal, two rows of modules a line, with its quiet zone of four modules:
    /// light modules are drawn, dark ones left blank, for the usual light text on a dark screen.
    var terminalLines: [String] {
        let quiet = 4
        let size = modules.count + 2 * quiet
        func dark(_ x: Int, _ y: Int) -> Bool {
            let (mx, my) = (x - quiet, y - quiet)
            guard modules.indices.contains(my), modules.indices.contains(mx) else { return false }
            return modules[my][mx]
        }
        return stride(from: 0, to: size, by: 2).map { y in
            String(
                (0..<size).map { x -> Character in
                    switch (!dark(x, y), y + 1 < size && !dark(x, y + 1)) {
                    case (true, true): "█"
                    case (true, false): "▀"
                    case (false, true): "▄"
                    case (false, false): " "
                    }
                })
        }
    }
}
