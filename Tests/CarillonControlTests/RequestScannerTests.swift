@_spi(Fuzzing) @testable import CarillonControl
import CarillonProtocol
import Foundation
import Testing

/// `RequestScanner` may only accept what `JSONDecoder` reads the same way.
@Suite("The plain request scanner")
struct RequestScannerTests {
    private func scan(_ line: String) -> PlainRequest? { RequestScanner.scan(Data(line.utf8)) }

    /// What the dispatcher's JSONDecoder path makes of `line`: its head, and whether `Empty`
    /// arguments decode from it.
    private func decoded(_ line: String) -> PlainRequest? {
        let data = Data(line.utf8)
        guard let head = try? Wire.decoder().decode(RequestHead.self, from: data),
            (try? Wire.decoder().decode(Request<Empty>.self, from: data)) != nil
        else { return nil }
        return PlainRequest(id: head.id, cmd: head.cmd)
    }

    @Test("plain requests are read", arguments: [
        (#"{"cmd":"status"}"#, PlainRequest(id: nil, cmd: "status")),
        (#"{"id":7,"cmd":"status"}"#, PlainRequest(id: .number(7), cmd: "status")),
        (#"{"cmd":"status","id":-12}"#, PlainRequest(id: .number(-12), cmd: "status")),
        (#"{"id":0,"cmd":"hello"}"#, PlainRequest(id: .number(0), cmd: "hello")),
        (#"{"id":999999999999999999,"cmd":"x"}"#, PlainRequest(id: .number(999_999_999_999_999_999), cmd: "x")),
        (#"{"id":"a-1 b","cmd":"status","args":{}}"#, PlainRequest(id: .string("a-1 b"), cmd: "status")),
        (#"{"id":null,"cmd":"status","args":null}"#, PlainRequest(id: nil, cmd: "status")),
        (" \t{ \"args\" : { } , \"cmd\" : \"plan.status\" }\r ", PlainRequest(id: nil, cmd: "plan.status")),
        (#"{"cmd":""}"#, PlainRequest(id: nil, cmd: "")),
    ])
    func plain(line: String, expected: PlainRequest) {
        #expect(scan(line) == expected)
        #expect(decoded(line) == expected)
    }

    @Test("anything else is left to JSONDecoder", arguments: [
        "", "{}", "[]", "null", #"{"id":1}"#, #"{"cmd":5}"#, #"{"cmd":"status","args":{"a":1}}"#, #"{"cmd":"status","args":[]}"#,
        #"{"cmd":"status","extra":1}"#, #"{"cmd":"status","cmd":"status"}"#, #"{"id":1,"id":2,"cmd":"x"}"#,
        #"{"cmd":"st\"atus"}"#, #"{"cmd":"st\u0061tus"}"#, #"{"cmd":"状态"}"#, #"{"id":01,"cmd":"x"}"#, #"{"id":-0,"cmd":"x"}"#,
        #"{"id":1.0,"cmd":"x"}"#, #"{"id":1e3,"cmd":"x"}"#, #"{"id":1234567890123456789,"cmd":"x"}"#, #"{"id":true,"cmd":"x"}"#,
        #"{"cmd":"status"} x"#, #"{"cmd":"status"}}"#, #"{"cmd":"status",}"#, #"{,"cmd":"status"}"#, #"{"cmd" "status"}"#,
        #"{'cmd':'status'}"#, #"{"cmd":"status""#, "\u{FEFF}{\"cmd\":\"status\"}", #"{"CMD":"status"}"#, #"{"args":{},"args":{},"cmd":"x"}"#,
    ])
    func declined(line: String) {
        #expect(scan(line) == nil)
    }

    /// Issue 18: a 19th digit was multiplied in before the length was checked, and an id past
    /// Int64 trapped (SIGILL) before any login. Every length from 17 to 60 digits, both signs, and
    /// digits that are all 9s (the first to overflow) or all 1s.
    @Test("no id, however long, traps: past 18 digits the line is left to JSONDecoder")
    func longIDs() {
        for length in 17...60 {
            for digit in ["9", "1"] {
                for sign in ["", "-"] {
                    let number = sign + String(repeating: digit, count: length)
                    let line = #"{"id":\#(number),"cmd":"status"}"#
                    if length <= 18 {
                        #expect(scan(line) == PlainRequest(id: Int64(number).map(RequestID.number), cmd: "status"), "\(line)")
                        #expect(scan(line) == decoded(line), "\(line)")
                    } else {
                        #expect(scan(line) == nil, "\(line)")
                    }
                }
            }
        }
        #expect(scan(#"{"id":99999999999999999999999999999999999999999999999999999999900":900}"#) == nil)
    }

    @Test("whenever it accepts a line, JSONDecoder agrees: every one-byte change to a few requests")
    func agreesWithJSONDecoder() {
        let seeds = [
            #"{"id":12,"cmd":"status","args":{}}"#, #"{"cmd":"hello","id":"x9"}"#, #"{ "id" : null , "cmd" : "a" , "args" : null }"#,
        ]
        let alphabet = Array(#"{}[]":,0123456789-+.eE "\ adginlstux"#.utf8) + [0x09, 0x0A, 0x0D, 0x00, 0x7F, 0xC3]
        var accepted = 0
        var checked = 0
        for seed in seeds {
            let bytes = Array(seed.utf8)
            var variants: [[UInt8]] = [bytes]
            for index in bytes.indices {
                var removed = bytes
                removed.remove(at: index)
                variants.append(removed)
                for byte in alphabet {
                    var replaced = bytes
                    replaced[index] = byte
                    variants.append(replaced)
                    var inserted = bytes
                    inserted.insert(byte, at: index)
                    variants.append(inserted)
                }
            }
            for variant in variants {
                checked += 1
                let line = Data(variant)
                guard let plain = RequestScanner.scan(line) else { continue }
                accepted += 1
                let text = String(decoding: variant, as: UTF8.self)
                #expect(decoded(text) == plain, "accepted \(text)")
            }
        }
        // The check means something only if both sides were exercised.
        #expect(accepted > 100 && accepted < checked / 2)
    }
}
