import Foundation
import Testing

@testable import CarillonSpeech

/// One spoken text in a shipped file: where it is and which clip it belongs to.
struct ShippedText {
    let file: String
    let line: Int
    let id: String
    let text: String

    /// Every `text = "…"` and `say = "…"` in audio-library/text/*.toml, config/schedule.toml and config/plans/*.toml,
    /// with the clip id or plan step it belongs to: whatever files are there when the test runs.
    static func all() -> [ShippedText] {
        let files = FileManager.default
        var paths: [String] = []
        for directory in ["audio-library/text", "config/plans", "config"] {
            let url = repositoryRoot.appendingPathComponent(directory)
            let names = (try? files.contentsOfDirectory(atPath: url.path)) ?? []
            paths += names.filter { $0.hasSuffix(".toml") }.sorted().map { directory + "/" + $0 }
        }
        var texts: [ShippedText] = []
        for path in paths {
            guard let content = try? String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            else {
                continue
            }
            var id = ""
            for (index, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.hasPrefix("[") { id = String(line) }  // A new table: its header until its id is read.
                if let value = stringValue(of: "id", in: line) { id = value }
                for key in ["text", "say"] {
                    guard let value = stringValue(of: key, in: line) else { continue }
                    let owner = key == "say" ? (stringValue(of: "at", in: line).map { "say at \($0)" } ?? "say") : id
                    texts.append(ShippedText(file: path, line: index + 1, id: owner, text: value))
                }
            }
        }
        return texts
    }

    /// The basic string value of `key = "…"` on a line (inline tables included), unescaped for \" and \\.
    static func stringValue(of key: String, in line: Substring) -> String? {
        guard let keyRange = line.range(of: #"(^|[\s{,])"# + key + #"\s*=\s*""#, options: .regularExpression) else {
            return nil
        }
        var value = ""
        var escaped = false
        for character in line[keyRange.upperBound...] {
            if escaped {
                value.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }
}

@Suite("Lint of every shipped text")
struct ShippedTextLintTests {
    @Test func findsTheShippedTexts() {
        let texts = ShippedText.all()
        #expect(texts.count > 300, "\(texts.count) texts")
        #expect(texts.contains { $0.id == "msg.fire.evacuate" })
        #expect(texts.contains { $0.id.hasPrefix("say at") })
    }

    @Test func everyShippedTextIsReadWithCertainty() {
        let frontEnd = MandarinFrontEnd()
        var problems: [String] = []
        for text in ShippedText.all() {
            let spoken = frontEnd.read(text.text)
            for problem in spoken.problems {
                problems.append("\(text.file):\(text.line): \(text.id): \(problem)")
            }
            if spoken.pinyin.isEmpty { problems.append("\(text.file):\(text.line): \(text.id): nothing to say") }
        }
        #expect(
            problems.isEmpty,
            Comment(rawValue: "\(problems.count) uncertain spans:\n" + problems.joined(separator: "\n")))
    }

    @Test func lintReportsClipAndSpan() {
        let line: Substring = #"text = "共有12345678901234人。""#
        let value = ShippedText.stringValue(of: "text", in: line) ?? ""
        let problems = MandarinFrontEnd().read(value).problems
        #expect(problems.map(\.span) == ["12345678901234"])
        #expect(problems.first?.offset == 2)
    }
}
