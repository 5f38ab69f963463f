import CarillonTOML
import Testing

@Suite("Redefinition errors")
struct RedefinitionErrorTests {
    @Test func duplicateKeyIsReportedOnTheLineOfTheSecondDefinition() {
        let text = """
            # Carillon station
            [station]
            name = "North"
            data_dir = "/var/lib/carillon"
            timezone = "Europe/Oslo"

            name = "South"
            """
        let error = parseError(text)
        #expect(error?.description
            == "test.toml:7:1: duplicate key `station.name`: it is already defined at line 3, column 1")
    }

    @Test func duplicateKeysAreFoundWhateverTheSpelling() {
        expectError("a.b = 1\na.b = 2", line: 2, column: 3, "duplicate key `a.b`")
        expectError("spelling = 1\n\"spelling\" = 2", line: 2, column: 1, "duplicate key `spelling`")
        expectError("'x y' = 1\n\"x y\" = 2", line: 2, column: 1, #"duplicate key `"x y"`"#)
        expectError("a.b = 1\na = 2", line: 2, column: 1, "duplicate key `a`")
    }

    @Test func aTableCannotBeDefinedTwice() {
        expectError("[fruit]\napple = 1\n\n[fruit]\norange = 2", line: 4, column: 2,
            "table `fruit` is already defined at line 1, column 1")
        expectError("[a]\n[a.b]\n[a]", line: 3, column: 2, "table `a` is already defined at line 1, column 1")
        expectError("[a.b]\n[a]\n[a]", line: 3, column: 2, "table `a` is already defined at line 2, column 1")
        expectError("[a]\n[\"a\"]", line: 2, column: 2, "table `a` is already defined")
    }

    @Test func headersAndKeysCannotReplaceEachOther() {
        expectError("[fruit]\napple = \"red\"\n[fruit.apple]", line: 3, column: 8,
            "cannot define `fruit.apple` as a table: it is already defined as a string at line 2, column 9")
        expectError("[a.b]\n[a]\nb = 1", line: 3, column: 1, "duplicate key `a.b`: it is already defined at line 1, column 1")
        expectError("a = 1\n[a.b]", line: 2, column: 2, "cannot use `a` as a table: it is already defined as an integer")
    }

    @Test func headerCannotRedefineATableMadeByDottedKeys() {
        let text = "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
        expectError(text + "[fruit.apple]", line: 4, column: 8,
            "table `fruit.apple` is already defined by dotted keys at line 2, column 1")
        expectError(text + "[fruit.apple.taste]", line: 4, column: 14,
            "table `fruit.apple.taste` is already defined by dotted keys at line 3, column 7")
        expectError("a.b.c = 1\n[a]", line: 2, column: 2, "table `a` is already defined by dotted keys at line 1, column 1")
    }

    @Test func dottedKeysCannotReopenTablesFromOtherHeaders() {
        expectError("[a.b.c]\n  z = 9\n[a]\n  b.c.t = 1", line: 4, column: 3,
            "cannot add keys to table `a.b` with a dotted key here: it was created by the header at line 1, column 1")
        expectError("[a.b]\nz = 1\n[a]\nb.y = 2", line: 4, column: 1,
            "cannot add keys to table `a.b` with a dotted key here: it was defined by its own header at line 1, column 1")
        expectError("[[a.b]]\n\n[a]\nb.y = 2", line: 4, column: 1,
            "cannot add keys to `a.b` with a dotted key: it is an array of tables defined at line 1, column 1; use a [[a.b]] header")
    }

    @Test func dottedKeyCannotTreatAValueAsATable() {
        expectError("a = 1\na.b = 2", line: 2, column: 1,
            "cannot use `a` as a table: it is already defined as an integer at line 1, column 5")
        expectError("a = [1]\na.b = 2", line: 2, column: 1, "already defined as an array at line 1, column 5")
        expectError("a = 2026-09-01\na.b = 2", line: 2, column: 1, "already defined as a local date")
    }

    @Test func arrayOfTablesCannotExtendAStaticArray() {
        expectError("fruits = []\n\n[[fruits]]", line: 3, column: 3,
            "cannot append to `fruits` with [[fruits]]: it is a static array defined at line 1, column 10")
    }

    @Test func tablesAndArraysOfTablesCannotShareAName() {
        expectError("[[a]]\n[a]", line: 2, column: 2,
            "cannot define `a` as a table: it is already an array of tables defined at line 1, column 1; use [[a]] to add an element")
        expectError("[a]\n[[a]]", line: 2, column: 3,
            "cannot define `a` as an array of tables: it is already defined as a table at line 1, column 1")
        expectError("[[albums.songs]]\nname = \"Glory Days\"\n[[albums]]", line: 3, column: 3,
            "cannot define `albums` as an array of tables: it is already defined as a table at line 1, column 1")
        expectError("a.b = 1\n[[a]]", line: 2, column: 3, "already defined as a table by dotted keys at line 1, column 1")
        expectError("a = 1\n[[a]]", line: 2, column: 3, "already defined as an integer")
        expectError("a = {}\n[[a]]", line: 2, column: 3, "already defined as an inline table")
    }
}

@Suite("Syntax errors")
struct SyntaxErrorTests {
    @Test func errorsDescribeThemselvesAsFileLineColumnMessage() {
        let error = TOMLError(file: "/etc/carillon/station.toml", position: pos(3, 14), message: "oops")
        #expect(error.description == "/etc/carillon/station.toml:3:14: oops")
        #expect(parseError("a = ")?.file == testFile)
    }

    @Test func keyValuePairsNeedAKeyAnEqualsSignAndAValue() {
        expectError("key = ", line: 1, column: 7, "expected a value, found end of file")
        expectError("key =\nvalue = 1", line: 1, column: 6, "expected a value, found a newline")
        expectError("key", line: 1, column: 4, "expected `=` after the key `key`, found end of file")
        expectError("key\n= 1", line: 1, column: 4, "expected `=` after the key `key`, found a newline")
        expectError("= 1", line: 1, column: 1, "expected a key, found `=`")
        expectError("a b = 1", line: 1, column: 3, "expected `=` after the key `a`, found `b`")
        expectError("a$ = 1", line: 1, column: 2, "found `$`")
        expectError("key= = 1", line: 1, column: 6, "expected a value, found `=`")
    }

    @Test func oneKeyValuePairPerLine() {
        expectError("a = 1 b = 2", line: 1, column: 7, "expected a newline after the value, found `b`")
        expectError("[a] b = 1", line: 1, column: 5, "expected a newline after the table header, found `b`")
        expectError("s = \"x\" y", line: 1, column: 9, "expected a newline after the value")
    }

    @Test func dottedKeysNeedAPartBetweenDots() {
        expectError("a..b = 1", line: 1, column: 3, "expected a key, found `.`")
        expectError("a. = 1", line: 1, column: 4, "expected a key, found `=`")
        expectError(".a = 1", line: 1, column: 1, "expected a key, found `.`")
    }

    @Test func headersMustBeClosedAndNonEmpty() {
        expectError("[a", line: 1, column: 3, "expected `]` to close the table header, found end of file")
        expectError("[a\nb = 1", line: 1, column: 3, "expected `]` to close the table header, found a newline")
        expectError("[[a]", line: 1, column: 5, "expected `]]` to close the array-of-tables header")
        expectError("[[a] ]", line: 1, column: 5, "expected `]]`")
        expectError("[ [a]]", line: 1, column: 3, "expected a key, found `[`")
        expectError("[]", line: 1, column: 2, "expected a key, found `]`")
        expectError("[[]]", line: 1, column: 3, "expected a key, found `]`")
        expectError("[a.]", line: 1, column: 4, "expected a key, found `]`")
        expectError("[.a]", line: 1, column: 2, "expected a key, found `.`")
        expectError("[a b]", line: 1, column: 4, "expected `]`")
        expectError("[key#group]", line: 1, column: 5, "expected `]`")
    }

    @Test func nonASCIIBareKeysMustBeQuoted() {
        expectError("x = 1\n  午饭 = 1", line: 2, column: 3, "found `午`; keys with non-ASCII characters must be quoted")
    }

    @Test func multilineStringsCannotBeKeys() {
        expectError("\"\"\"key\"\"\" = 1", line: 1, column: 1, "found a multi-line string")
        expectError("[a.'''b''']", line: 1, column: 4, "found a multi-line string")
    }

    @Test func controlCharactersAndBareCarriageReturnsAreRejected() {
        expectError("# comment \u{1}", line: 1, column: 11, "U+0001 is not allowed in a comment")
        expectError("a = 1 # x\u{7F}", line: 1, column: 10, "U+007F is not allowed in a comment")
        expectError("a = 1\r b = 2", line: 1, column: 6, "carriage return must be followed by a line feed")
        expectError("\r", line: 1, column: 1, "carriage return")
        expectError("a = 1 # c\rx", line: 1, column: 10, "carriage return")
        expectError("a = 1\n\u{0}", line: 2, column: 1, "expected a key, found the control character U+0000")
    }

    @Test func nestingDeeperThanTheLimitIsRejectedInsteadOfOverflowingTheStack() {
        let deepArray = "v = " + String(repeating: "[", count: 1000)
        expectError(deepArray, line: 1, column: 133, "nested more than 128 levels deep")
        let deepTable = "v = " + String(repeating: "{a=", count: 1000)
        expectError(deepTable, line: 1, column: 4 + 3 * 128 + 1, "nested more than 128 levels deep")
        let deepHeader = "[" + Array(repeating: "a", count: 1000).joined(separator: ".") + "]"
        #expect(parseError(deepHeader)?.message.contains("nested more than 128 levels deep") == true)
    }
}
