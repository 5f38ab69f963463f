import CarillonTOML
import Testing

@Suite("Keys, comments and whitespace")
struct KeyTests {
    @Test func bareKeysMayBeDigitsDashesAndUnderscores() throws {
        #expect(try rendered("key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4\n-_ = 5\ntrue = 6")
            == "{key: 1, bare_key: 2, bare-key: 3, 1234: 4, -_: 5, true: 6}")
    }

    @Test func quotedKeysFollowStringRules() throws {
        let text = #"""
            "127.0.0.1" = "value"
            "character encoding" = "value"
            "ʎǝʞ" = "value"
            'key2' = "value"
            'quoted "value"' = "value"
            "" = "blank"
            "a\tb" = "tab"
            """#
        let table = try parse(text)
        #expect(table.keys == ["127.0.0.1", "character encoding", "ʎǝʞ", "key2", "quoted \"value\"", "", "a\tb"])
        #expect(table[""]?.value == .string("blank"))
    }

    @Test func unicodeKeysAndValues() throws {
        let table = try parse("\"午饭\" = \"午饭时间到了\"\n'時間'.\"開始\" = 12:00:00")
        #expect(table["午饭"]?.value == .string("午饭时间到了"))
        #expect(lookup(table, "時間", "開始")?.value == .time(TOMLTime(hour: 12, minute: 0, second: 0)))
    }

    @Test func dottedKeysCreateNestedTables() throws {
        let text = """
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            3.14159 = "pi"
            """
        #expect(try rendered(text)
            == #"{name: "Orange", physical: {color: "orange", shape: "round"}, site: {"google.com": true}, 3: {14159: "pi"}}"#)
    }

    @Test func whitespaceAroundDotsAndEqualsIsIgnored() throws {
        #expect(try rendered("fruit . color\t=  \"yellow\"\n  fruit. flavor = 'banana'")
            == #"{fruit: {color: "yellow", flavor: "banana"}}"#)
    }

    @Test func commentsMayAppearAfterAnythingAndAtEndOfFile() throws {
        let text = "# leading\n\n  # indented\nkey = \"value\" # trailing\n[t] # header comment\nx = [ # in array\n 1, # one\n] # closing\n# no newline at end"
        #expect(try rendered(text) == #"{key: "value", t: {x: [1]}}"#)
    }

    @Test func emptyDocumentIsAnEmptyRootTable() throws {
        #expect(try parse("").isEmpty)
        #expect(try parse("\n\n# only a comment\n").position == TOMLPosition.start)
    }

    @Test func crlfLineEndingsWorkEverywhere() throws {
        let text = "# comment\r\ntitle = \"CRLF\"\r\n\r\n[owner]\r\nname = 'Tom' # c\r\nlist = [\r\n  1,\r\n  2,\r\n]\r\n"
        let table = try parse(text)
        #expect(render(table) == #"{title: "CRLF", owner: {name: "Tom", list: [1, 2]}}"#)
        #expect(table.entry(for: "owner")?.keyPosition == pos(4, 1))
        #expect(lookup(table, "owner", "list")?.position == pos(6, 8))
        #expect(parseError("a = 1\r\nb = 2\r")?.position == pos(2, 6))
    }

    @Test func byteOrderMarkIsIgnoredForByteInput() throws {
        let table = try TOML.parse(utf8: [0xEF, 0xBB, 0xBF] + Array("a = 1".utf8), file: testFile)
        #expect(table.entry(for: "a")?.keyPosition == pos(1, 1))
    }

    @Test func invalidUTF8IsReportedWithItsPosition() {
        #expect(throws: TOMLError(file: testFile, position: pos(2, 6), message: "invalid UTF-8 byte 0xFF; TOML documents must be UTF-8 encoded")) {
            try TOML.parse(utf8: Array("a = 1\nb = \"".utf8) + [0xFF, 0x22], file: testFile)
        }
        #expect(throws: TOMLError.self) { try TOML.parse(utf8: [0x61, 0x3D, 0xED, 0xA0, 0x80], file: testFile) }
    }

    @Test func keysAreFormattedForMessagesAsTheyWouldBeWritten() {
        #expect(TOML.formatKey("plain_key-1") == "plain_key-1")
        #expect(TOML.formatKey("c d") == #""c d""#)
        #expect(TOML.formatKey("") == #""""#)
        #expect(TOML.formatKey("午饭") == #""午饭""#)
        #expect(TOML.formatKeyPath(["a", "b.c", "q\""]) == #"a."b.c"."q\"""#)
    }
}
