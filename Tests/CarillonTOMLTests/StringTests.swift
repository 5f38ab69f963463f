import CarillonTOML
import Testing

@Suite("Strings")
struct StringTests {
    @Test func basicStringDecodesEveryEscape() throws {
        let text = #"v = "b\bt\tn\nf\fr\rq\"s\\u\u00E9U\U0001F600""#
        #expect(try parse(text)["v"]?.value == .string("b\u{8}t\tn\nf\u{C}r\rq\"s\\u\u{E9}U\u{1F600}"))
    }

    @Test func basicStringKeepsTabsAndUnicode() throws {
        #expect(try value("\"a\tb\"") == .string("a\tb"))
        #expect(try value("\"午饭时间到了\"") == .string("午饭时间到了"))
        #expect(try value(#""\u5348\u996D""#) == .string("午饭"))
        #expect(try value("\"\"") == .string(""))
    }

    @Test func literalStringTakesBackslashesLiterally() throws {
        #expect(try value(#"'C:\Users\nodejs\templates'"#) == .string(#"C:\Users\nodejs\templates"#))
        #expect(try value(#"'<\i\c*\s*>'"#) == .string(#"<\i\c*\s*>"#))
        #expect(try value("'Tom \"Dubs\" Preston-Werner'") == .string("Tom \"Dubs\" Preston-Werner"))
        #expect(try value("''") == .string(""))
    }

    @Test func multilineBasicStringTrimsTheFirstNewline() throws {
        #expect(try value("\"\"\"\nRoses are red\nViolets are blue\"\"\"") == .string("Roses are red\nViolets are blue"))
        #expect(try value("\"\"\"\n\nsecond\"\"\"") == .string("\nsecond"))
    }

    @Test func lineEndingBackslashTrimsWhitespaceAndNewlines() throws {
        let text = "v = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\   \n    the lazy dog.\"\"\""
        #expect(try parse(text)["v"]?.value == .string("The quick brown fox jumps over the lazy dog."))
        let closing = "v = \"\"\"\\\n       The quick brown \\\n       fox.\\\n       \"\"\""
        #expect(try parse(closing)["v"]?.value == .string("The quick brown fox."))
    }

    @Test func multilineStringsAllowOneOrTwoQuotesInsideAndBeforeTheClose() throws {
        #expect(try value("\"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"")
            == .string(#"Here are two quotation marks: "". Simple enough."#))
        #expect(try value("\"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"")
            == .string(#""This," she said, "is just a pointless statement.""#))
        #expect(try value(String(repeating: "\"", count: 7)) == .string("\""))
        #expect(try value(String(repeating: "\"", count: 8)) == .string("\"\""))
        #expect(try value("'''''That,' she said, 'is still pointless.'''''")
            == .string("''That,' she said, 'is still pointless.''"))
    }

    @Test func multilineLiteralStringKeepsEverythingButTheFirstNewline() throws {
        let text = "v = '''\nThe first newline is\ntrimmed in raw strings.\n   All other \\ whitespace\n   is preserved.\n'''"
        #expect(try parse(text)["v"]?.value
            == .string("The first newline is\ntrimmed in raw strings.\n   All other \\ whitespace\n   is preserved.\n"))
    }

    @Test func multilineStringsNormalizeCRLFToLF() throws {
        #expect(try parse("v = \"\"\"\r\none\r\ntwo\"\"\"\r\n")["v"]?.value == .string("one\ntwo"))
        #expect(try parse("v = '''\r\none\r\ntwo'''")["v"]?.value == .string("one\ntwo"))
        #expect(try parse("v = \"\"\"one \\\r\n   two\"\"\"")["v"]?.value == .string("one two"))
    }

    @Test func escapesProducingControlCharactersAreAllowed() throws {
        #expect(try value(#""\u0000\u001F\u007F""#) == .string("\u{0}\u{1F}\u{7F}"))
    }

    @Test func invalidEscapeIsReportedAtTheBackslash() {
        expectError(#"v = "a\qb""#, line: 1, column: 7, "invalid escape `\\q`")
        expectError(#"v = "\x41""#, line: 1, column: 6, "invalid escape `\\x`")
        expectError(#"v = "\e""#, line: 1, column: 6, "invalid escape `\\e`")
        expectError("v = \"a\\ b\"", line: 1, column: 7, "invalid escape")
        expectError("v = \"\"\"a\\ b\"\"\"", line: 1, column: 9, "invalid escape")
    }

    @Test func unicodeEscapesMustBeScalarValuesWithExactDigitCounts() {
        expectError(#"v = "\uD800""#, line: 1, column: 6, "U+D800 is not a Unicode scalar value")
        expectError(#"v = "\U00110000""#, line: 1, column: 6, "not a Unicode scalar value")
        expectError(#"v = "\u12""#, line: 1, column: 6, "exactly 4 hexadecimal digits")
        expectError(#"v = "\U1234567""#, line: 1, column: 6, "exactly 8 hexadecimal digits")
        expectError(#"v = "\u{41}""#, line: 1, column: 6, "exactly 4 hexadecimal digits")
    }

    @Test func rawControlCharactersAreRejectedInEveryKindOfString() {
        expectError("v = \"a\u{1}\"", line: 1, column: 7, "U+0001 is not allowed in a string")
        expectError("v = 'a\u{7F}'", line: 1, column: 7, "U+007F is not allowed")
        expectError("v = \"\"\"\nab\u{0}\"\"\"", line: 2, column: 3, "U+0000 is not allowed")
        expectError("v = '''\u{1B}'''", line: 1, column: 8, "U+001B")
        expectError("v = \"\"\"a\rb\"\"\"", line: 1, column: 9, "carriage return must be followed by a line feed")
    }

    @Test func singleLineStringsCannotSpanLines() {
        expectError("v = \"abc\ndef\"", line: 1, column: 5, "unterminated string")
        expectError("v = 'abc\ndef'", line: 1, column: 5, "unterminated string")
        expectError("v = \"abc", line: 1, column: 5, "unterminated string")
    }

    @Test func unterminatedMultilineStringIsReportedAtItsStart() {
        expectError("a = 1\nv = \"\"\"\nabc\n", line: 2, column: 5, "unterminated multi-line string")
        expectError("v = '''abc''", line: 1, column: 5, "unterminated multi-line string")
    }

    @Test func multilineStringsRejectThreeQuotesBeforeTheClose() {
        expectError(#"v = """6 quotes: """""""#, line: 1, column: 18, "too many quotes")
        expectError("v = '''a''''''", line: 1, column: 9, "too many quotes")
    }
}
