import CarillonTOML
import Testing

@Suite("Large documents")
struct LargeDocumentTests {
    @Test func tenThousandArrayTablesParseWithCorrectPositions() throws {
        var text = "# schedule\n"
        for index in 0..<10_000 {
            text += "[[clip]]\nname = \"clip \(index) 午饭\"\nfile = \"/srv/audio/\(index).flac\"\nat = 07:32:\(index % 60 < 10 ? "0" : "")\(index % 60)\n"
            text += "gain = \(index).5\ntags = [\"a\", \"b\", { k = \(index) }]\n\n"
        }
        #expect(text.utf8.count > 1_000_000)
        let table = try parse(text)
        guard case .array(let clips)? = table["clip"]?.value else { throw TestFailure() }
        #expect(clips.count == 10_000)
        let last = try #require(clips.last)
        #expect(last.position == pos(2 + 9_999 * 7, 1))
        guard case .table(let lastTable) = last.value else { throw TestFailure() }
        #expect(lastTable["name"]?.value == .string("clip 9999 午饭"))
        #expect(lastTable["gain"]?.position == pos(2 + 9_999 * 7 + 4, 8))
    }

    @Test func aVeryLongSingleLineArrayKeepsColumnsExact() throws {
        let count = 50_000
        let text = "v = [" + (0..<count).map { _ in "1" }.joined(separator: ",") + "]"
        guard case .array(let elements)? = try parse(text)["v"]?.value else { throw TestFailure() }
        #expect(elements.count == count)
        #expect(elements.last?.position == pos(1, 6 + 2 * (count - 1)))
    }
}
