import CarillonTOML
import Testing

/// Documents modelled on the official toml-test suite (valid/ and invalid/), written for this module.
@Suite("toml-test style documents")
struct ConformanceTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        let name: String
        let toml: String
        let expected: String
        var testDescription: String { name }
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let toml: String
        let line: Int
        var testDescription: String { name }
    }

    static let valid: [Valid] = [
        Valid(
            name: "spec/example",
            toml: """
                # This is a TOML document

                title = "TOML Example"

                [owner]
                name = "Tom Preston-Werner"
                dob = 1979-05-27T07:32:00-08:00

                [database]
                enabled = true
                ports = [ 8000, 8001, 8002 ]
                data = [ ["delta", "phi"], [3.14] ]
                temp_targets = { cpu = 79.5, case = 72.0 }

                [servers]

                [servers.alpha]
                ip = "10.0.0.1"
                role = "frontend"

                [servers.beta]
                ip = "10.0.0.2"
                role = "backend"
                """,
            expected: """
                {title: "TOML Example", owner: {name: "Tom Preston-Werner", dob: 1979-05-27T07:32:00-08:00}, \
                database: {enabled: true, ports: [8000, 8001, 8002], data: [["delta", "phi"], [3.14]], \
                temp_targets: {cpu: 79.5, case: 72.0}}, servers: {alpha: {ip: "10.0.0.1", role: "frontend"}, \
                beta: {ip: "10.0.0.2", role: "backend"}}}
                """),
        Valid(
            name: "array/array-subtables", toml: "[[arr]]\n[arr.subtab]\nval=1\n\n[[arr]]\n[arr.subtab]\nval=2\n",
            expected: "{arr: [{subtab: {val: 1}}, {subtab: {val: 2}}]}"),
        Valid(name: "array/nested-inline-table", toml: "a = [ { b = {} } ]", expected: "{a: [{b: {}}]}"),
        Valid(name: "array/mixed-int-string", toml: "strings-and-ints = [\"hi\", 42]", expected: #"{strings-and-ints: ["hi", 42]}"#),
        Valid(
            name: "array/open-parent-table", toml: "[[parent-table.arr]]\n[[parent-table.arr]]\n[parent-table]\nnot-arr = 1",
            expected: "{parent-table: {arr: [{}, {}], not-arr: 1}}"),
        Valid(name: "array/string-with-comma", toml: "title = [\"a, b\", 'c, d']", expected: #"{title: ["a, b", "c, d"]}"#),
        Valid(
            name: "array/nested-double", toml: "nest = [\n  [\n    [\"a\"],\n    [1, 2, [3]]\n  ]\n]",
            expected: #"{nest: [[["a"], [1, 2, [3]]]]}"#),
        Valid(
            name: "comment/tricky",
            toml: "[section]#attached comment\n#[notsection]\none = \"11\"#cmt\nhash = \"# not a comment\" # yes\nlit = '''#'''\narr = [ # c\n  1, # c\n]",
            expected: ##"{section: {one: "11", hash: "# not a comment", lit: "#", arr: [1]}}"##),
        Valid(
            name: "datetime/leap-year", toml: "a = 2000-02-29 15:15:15Z\nb = 2024-02-29\nc = 2000-02-29T15:15:15",
            expected: "{a: 2000-02-29T15:15:15Z, b: 2024-02-29, c: 2000-02-29T15:15:15}"),
        Valid(
            name: "datetime/milliseconds",
            toml: "utc1 = 1987-07-05T17:45:56.1234Z\nutc2 = 1987-07-05T17:45:56.6Z\nwita1 = 1987-07-05T17:45:56.1234+08:00",
            expected: "{utc1: 1987-07-05T17:45:56.1234Z, utc2: 1987-07-05T17:45:56.6Z, wita1: 1987-07-05T17:45:56.1234+08:00}"),
        Valid(
            name: "implicit-and-explicit-after", toml: "[a.b.c]\nanswer = 42\n\n[a]\nbetter = 43",
            expected: "{a: {b: {c: {answer: 42}}, better: 43}}"),
        Valid(
            name: "implicit-and-explicit-before", toml: "[a]\nbetter = 43\n\n[a.b.c]\nanswer = 42",
            expected: "{a: {better: 43, b: {c: {answer: 42}}}}"),
        Valid(
            name: "inline-table/key-dotted",
            toml: "inline = {a.b = 42}\nmany.dots.here.dot.dot.dot = {a.b.c = 1, a.b.d = 2}\n[tbl]\na.b.c = {d.e=1}",
            expected: "{inline: {a: {b: 42}}, many: {dots: {here: {dot: {dot: {dot: {a: {b: {c: 1, d: 2}}}}}}}}, tbl: {a: {b: {c: {d: {e: 1}}}}}}"),
        Valid(
            name: "inline-table/nest", toml: "arr_tbl_tbl = [ { one = { two = [] } } ]\ntbl_arr_tbl = { one = [ { two = [] } ] }",
            expected: "{arr_tbl_tbl: [{one: {two: []}}], tbl_arr_tbl: {one: [{two: []}]}}"),
        Valid(
            name: "key/dotted-empty", toml: "''.x = \"empty.x\"\nx.\"\" = \"x.empty\"\n[a]\n\"\".'' = \"empty.empty\"",
            expected: #"{"": {x: "empty.x"}, x: {"": "x.empty"}, a: {"": {"": "empty.empty"}}}"#),
        Valid(name: "key/equals-nospace", toml: "answer=42", expected: "{answer: 42}"),
        Valid(name: "key/numeric-dotted", toml: "1.2 = 3", expected: "{1: {2: 3}}"),
        Valid(
            name: "key/special-chars", toml: #""~!@$^&*()_+-={}[]|\\:;\"'<>,.?/" = 1"#,
            expected: #"{"~!@$^&*()_+-={}[]|\\:;\"'<>,.?/": 1}"#),
        Valid(
            name: "key/quoted-dots",
            toml: "plain = 1\n\"with.dot\" = 2\n\n[plain_table]\nplain = 3\n\"with.dot\" = 4\n\n[table.withdot]\nplain = 5\n\"key.with.dots\" = 6",
            expected: #"{plain: 1, "with.dot": 2, plain_table: {plain: 3, "with.dot": 4}, table: {withdot: {plain: 5, "key.with.dots": 6}}}"#),
        Valid(
            name: "key/space", toml: "\"a b\" = 1\n\" c d \" = 2\n\n[ \"tbl \" ]\n\"\\ttab\\ttab\\t\" = \"tab\"",
            expected: #"{"a b": 1, " c d ": 2, "tbl ": {"\ttab\ttab\t": "tab"}}"#),
        Valid(
            name: "string/escape-tricky",
            toml: #"end_esc = "String does not end here\" but ends here\\""# + "\n" + #"lit_end_esc = 'String ends here\'"#,
            expected: #"{end_esc: "String does not end here\" but ends here\\", lit_end_esc: "String ends here\\"}"#),
        Valid(
            name: "string/multiline-quotes",
            toml: "lit_one = ''''one quote''''\nlit_two = '''''two quotes'''''\nmlb = \"\"\"a\"\"\"\"\"\none = \"\"\"\"one quote\"\"\"\"",
            expected: #"{lit_one: "'one quote'", lit_two: "''two quotes''", mlb: "a\"\"", one: "\"one quote\""}"#),
        Valid(
            name: "string/multiline-empty", toml: "empty-1 = \"\"\"\"\"\"\nempty-2 = \"\"\"\n\"\"\"\nempty-3 = '''\n'''\nempty-4 = \"\"\"\\\n   \\\n   \"\"\"",
            expected: #"{empty-1: "", empty-2: "", empty-3: "", empty-4: ""}"#),
        Valid(
            name: "table/array-within-dotted", toml: "[fruit]\napple.color = \"red\"\n\n[[fruit.apple.seeds]]\nsize = 2",
            expected: #"{fruit: {apple: {color: "red", seeds: [{size: 2}]}}}"#),
        Valid(name: "table/without-super", toml: "[x.y.z.w]\n[x]", expected: "{x: {y: {z: {w: {}}}}}"),
        Valid(name: "table/whitespace", toml: "[\"valid key\"]", expected: #"{"valid key": {}}"#),
        Valid(
            name: "table/keyword", toml: "[true]\n\n[false]\n\n[inf]\n\n[nan]",
            expected: "{true: {}, false: {}, inf: {}, nan: {}}"),
        Valid(
            name: "table/names", toml: "[a.b.c]\n[a.\"b.c\"]\n[a.'d.e']\n[a.' x ']\n[ d.e.f ]\n[ g . h . i ]\n[ j . \"ʞ\" . 'l' ]\n[x.1.2]",
            expected: #"{a: {b: {c: {}}, "b.c": {}, "d.e": {}, " x ": {}}, d: {e: {f: {}}}, g: {h: {i: {}}}, j: {"ʞ": {l: {}}}, x: {1: {2: {}}}}"#),
        Valid(
            name: "float/zero", toml: "zero = 0.0\nsigned-pos = +0.0\nsigned-neg = -0.0\nexponent = 0e0\nexponent-two-0 = 0e00\nexponent-signed-pos = +0e0\nexponent-signed-neg = -0e0",
            expected: "{zero: 0.0, signed-pos: 0.0, signed-neg: -0.0, exponent: 0.0, exponent-two-0: 0.0, exponent-signed-pos: 0.0, exponent-signed-neg: -0.0}"),
        Valid(
            name: "float/inf-and-nan", toml: "nan = nan\nnan_neg = -nan\nnan_plus = +nan\ninfinity = inf\ninfinity_neg = -inf\ninfinity_plus = +inf",
            expected: "{nan: nan, nan_neg: -nan, nan_plus: nan, infinity: inf, infinity_neg: -inf, infinity_plus: inf}"),
        Valid(
            name: "integer/long", toml: "int64-max = 9223372036854775807\nint64-max-neg = -9223372036854775808",
            expected: "{int64-max: 9223372036854775807, int64-max-neg: -9223372036854775808}"),
        Valid(
            name: "whitespace", toml: "\t\n  key\t=\t\"value\"\t\n\t[\ttable\t]\t\n\tarr\t= [\t1\t,\t2\t]\t",
            expected: #"{key: "value", table: {arr: [1, 2]}}"#),
        Valid(
            name: "local-time-and-date", toml: "t = 07:32:00\nd = 1979-05-27\nms = 00:32:00.999999",
            expected: "{t: 07:32:00, d: 1979-05-27, ms: 00:32:00.999999}"),
        Valid(
            name: "unicode", toml: "\"午饭\" = \"午饭时间到了\"\nescaped = \"\\u5348\\U0000996D\"\n'ʎǝʞ' = '''\n日本語'''",
            expected: #"{"午饭": "午饭时间到了", escaped: "午饭", "ʎǝʞ": "日本語"}"#),
    ]

    static let invalid: [Invalid] = [
        Invalid(name: "array/double-comma-1", toml: "array = [1,,2]", line: 1),
        Invalid(name: "array/no-close-1", toml: "no-close-1 = [ 1, 2, 3\n", line: 2),
        Invalid(name: "array/tables-1", toml: "# INVALID TOML DOC\nfruit = []\n\n[[fruit]] # Not allowed", line: 4),
        Invalid(name: "array/extending-table", toml: "a = [{ b = 1 }]\n\n# Cannot extend tables within static arrays\n[a.c]\nfoo = 1", line: 4),
        Invalid(
            name: "array/text-after-array-entries",
            toml: "array = [\n  \"Is there life after an array separator?\", No\n  \"Entry\"\n]", line: 2),
        Invalid(name: "array/no-comma", toml: "arr = [ 1 2 ]", line: 1),
        Invalid(name: "bool/wrong-case-false", toml: "b = FALSE", line: 1),
        Invalid(name: "bool/starting-same-true", toml: "a = truthy", line: 1),
        Invalid(name: "bool/almost-false", toml: "a = fals", line: 1),
        Invalid(name: "control/comment-del", toml: "a = \"ok\"\n# \u{7F}", line: 2),
        Invalid(name: "control/string-bs", toml: "a = \"\u{8}\"", line: 1),
        Invalid(name: "control/multi-cr", toml: "a = \"\"\"\r\"\"\"", line: 1),
        Invalid(name: "control/bare-cr", toml: "# The next line has a lone carriage return\n\r", line: 2),
        Invalid(name: "control/string-null", toml: "a = 'null\u{0}'", line: 1),
        Invalid(name: "datetime/hour-over", toml: "# time-hour = 2DIGIT ; 00-23\nd = 2006-01-01T24:00:00-00:00", line: 2),
        Invalid(name: "datetime/mday-over", toml: "d = 2006-01-32T00:00:00-00:00", line: 1),
        Invalid(name: "datetime/month-under", toml: "d = 2007-00-01T00:00:00-00:00", line: 1),
        Invalid(name: "datetime/no-secs", toml: "no-secs = 1987-07-05T17:45Z", line: 1),
        Invalid(name: "datetime/trailing-t", toml: "d = 2006-01-30T", line: 1),
        Invalid(name: "datetime/no-leads", toml: "no-leads = 1987-7-05T17:45:00Z", line: 1),
        Invalid(name: "datetime/offset-overflow-hour", toml: "d = 1985-06-18 17:04:07+25:00", line: 1),
        Invalid(name: "datetime/feb-29", toml: "\"not a leap year\" = 2100-02-29T15:15:15Z", line: 1),
        Invalid(name: "float/leading-zero", toml: "leading-zero = 03.14", line: 1),
        Invalid(name: "float/trailing-point", toml: "trailing-point = 1.", line: 1),
        Invalid(name: "float/exp-double-e", toml: "exp-double-e = 1ee2", line: 1),
        Invalid(name: "float/nan-incomplete", toml: "nan-incomplete = na", line: 1),
        Invalid(name: "float/inf-underscore", toml: "inf_underscore = in_f", line: 1),
        Invalid(name: "float/double-point", toml: "double-point = 0..1", line: 1),
        Invalid(name: "float/exp-point", toml: "exp-point = 1e2.3", line: 1),
        Invalid(name: "float/leading-point", toml: "leading-point = .12345", line: 1),
        Invalid(name: "inline-table/add", toml: "a={}\n# Inline tables are immutable and can't be extended\n[a.b]", line: 3),
        Invalid(name: "inline-table/double-comma", toml: "t = {x=3,,y=4}", line: 1),
        Invalid(name: "inline-table/duplicate-key", toml: "tbl = { a = 1, a = 2 }", line: 1),
        Invalid(name: "inline-table/empty-comma", toml: "t = {,}", line: 1),
        Invalid(name: "inline-table/linebreak", toml: "simple = { a = 1 \n}", line: 1),
        Invalid(name: "inline-table/no-comma", toml: "t = {x = 3 y = 4}", line: 1),
        Invalid(name: "inline-table/overwrite", toml: "tab = { inner = { dog = \"best\" }, inner.cat = \"worst\" }", line: 1),
        Invalid(name: "inline-table/trailing-comma", toml: "# A terminating comma is not permitted\nabc = { abc = 123, }", line: 2),
        Invalid(name: "inline-table/dotted-then-header", toml: "a = { b.c = 1 }\n[a.b]", line: 2),
        Invalid(name: "integer/capital-prefix", toml: "v = 0XFF", line: 1),
        Invalid(name: "integer/double-sign-plus", toml: "double-sign-plus = ++99", line: 1),
        Invalid(name: "integer/incomplete-bin", toml: "incomplete-bin = 0b", line: 1),
        Invalid(name: "integer/invalid-oct", toml: "invalid-oct = 0o778", line: 1),
        Invalid(name: "integer/negative-hex", toml: "negative-hex = -0xff", line: 1),
        Invalid(name: "integer/positive-bin", toml: "positive-bin = +0b11", line: 1),
        Invalid(name: "integer/text-after-integer", toml: "answer = 42 the ultimate answer?", line: 1),
        Invalid(name: "integer/leading-us", toml: "leading-us = _123", line: 1),
        Invalid(name: "integer/us-after-bin", toml: "us-after-bin = 0b_1", line: 1),
        Invalid(name: "key/bare-invalid-character", toml: "bare!key = 123", line: 1),
        Invalid(name: "key/dotted-redefine-table-1", toml: "a = false\na.b = true", line: 2),
        Invalid(name: "key/dotted-redefine-table-2", toml: "# Defined a.b as int\na.b = 1\n# Tries to access it as table: error\na.b.c = 2", line: 4),
        Invalid(name: "key/duplicate-keys", toml: "dupe = false\ndupe = true", line: 2),
        Invalid(name: "key/empty", toml: " = 1", line: 1),
        Invalid(name: "key/hash", toml: "a# = 1", line: 1),
        Invalid(name: "key/newline", toml: "barekey\n   = 123", line: 1),
        Invalid(name: "key/open-bracket", toml: "[abc = 1", line: 1),
        Invalid(name: "key/partial-quoted", toml: "partial\"quoted\" = 5", line: 1),
        Invalid(name: "key/single-open-bracket", toml: "[", line: 1),
        Invalid(name: "key/start-bracket", toml: "[a]\n[xyz = 5\n[b]", line: 2),
        Invalid(name: "key/two-equals", toml: "key= = 1", line: 1),
        Invalid(name: "key/without-value", toml: "key", line: 1),
        Invalid(name: "key/multiline-key", toml: "\"\"\"long\nkey\"\"\" = 1", line: 1),
        Invalid(name: "key/after-table", toml: "[error] this = \"should not be here\"", line: 1),
        Invalid(name: "key/special-character", toml: "μ = \"greek small letter mu\"", line: 1),
        Invalid(name: "key/after-value", toml: "first = \"Tom\" last = \"Preston-Werner\" # INVALID", line: 1),
        Invalid(name: "string/bad-byte-escape", toml: "naughty = \"\\xAg\"", line: 1),
        Invalid(name: "string/bad-escape", toml: "invalid-escape = \"This string has a bad \\a escape character.\"", line: 1),
        Invalid(name: "string/bad-multiline", toml: "multi = \"first line\nsecond line\"", line: 1),
        Invalid(name: "string/bad-uni-esc", toml: "str = \"val\\ue\"", line: 1),
        Invalid(name: "string/out-of-range-unicode-escape", toml: "a = \"\"\"\\UFFFFFFFF\"\"\"", line: 1),
        Invalid(name: "string/missing-quotes", toml: "name = value", line: 1),
        Invalid(name: "string/multiline-bad-escape", toml: "k = \"\"\"t\\a\"\"\"", line: 1),
        Invalid(name: "string/multiline-lit-no-close", toml: "invalid = '''\n    this will fail", line: 1),
        Invalid(name: "string/text-after-string", toml: "string = \"Is there life after strings?\" No.", line: 1),
        Invalid(name: "string/wrong-close", toml: "bad-ending-quote = \"double and single'", line: 1),
        Invalid(name: "string/literal-multiline-quotes", toml: "a = '''6 apostrophes: ''''''", line: 1),
        Invalid(name: "string/no-close", toml: "no-ending-quote = \"One time, at band camp", line: 1),
        Invalid(name: "string/basic-multiline-unknown-escape", toml: "a = \"\"\"\n\\@\n\"\"\"", line: 2),
        Invalid(name: "table/append-with-dotted-keys-1", toml: "[a.b.c]\n  z = 9\n[a]\n  b.c.t = \"no\"", line: 4),
        Invalid(name: "table/append-with-dotted-keys-2", toml: "[a.b.c.d]\n  z = 9\n[a]\n  b.c.d.k.t = \"no\"", line: 4),
        Invalid(name: "table/append-to-array-with-dotted-keys", toml: "[[a.b]]\n\n[a]\nb.y = 2", line: 4),
        Invalid(name: "table/array-empty", toml: "[[]]\nname = \"Born to Run\"", line: 1),
        Invalid(name: "table/array-implicit", toml: "[[albums.songs]]\nname = \"Glory Days\"\n\n[[albums]]\nname = \"Born in the USA\"", line: 4),
        Invalid(name: "table/array-missing-bracket", toml: "[[albums]\nname = \"Born to Run\"", line: 1),
        Invalid(name: "table/duplicate", toml: "[a]\nb = 1\n\n[a]\nc = 2", line: 4),
        Invalid(name: "table/duplicate-key-dotted-table", toml: "[fruit]\napple.color = \"red\"\n\n[fruit.apple] # INVALID", line: 4),
        Invalid(name: "table/duplicate-key-dotted-table2", toml: "[fruit]\napple.taste.sweet = true\n\n[fruit.apple.taste] # INVALID", line: 4),
        Invalid(name: "table/duplicate-key-table", toml: "[fruit]\ntype = \"apple\"\n\n[fruit.type]\napple = \"yes\"", line: 4),
        Invalid(name: "table/duplicate-table-array", toml: "[tbl]\n[[tbl]]", line: 2),
        Invalid(name: "table/duplicate-table-array2", toml: "[[tbl]]\n[tbl]", line: 2),
        Invalid(name: "table/empty", toml: "[]", line: 1),
        Invalid(name: "table/empty-implicit-table", toml: "[naughty..naughty]", line: 1),
        Invalid(name: "table/equals-sign", toml: "[name=bad]", line: 1),
        Invalid(name: "table/llbrace", toml: "[ [table]]", line: 1),
        Invalid(name: "table/nested-brackets-open", toml: "[a[b]\nzyx = 42", line: 1),
        Invalid(name: "table/quoted-no-close", toml: "[\"where will it end]\nname = value", line: 1),
        Invalid(name: "table/redefine-1", toml: "# Define b as int, and try to use it as a table: error\n[a]\nb = 1\n\n[a.b]\nc = 2", line: 5),
        Invalid(name: "table/redefine-2", toml: "[t1]\nt2.t3.v = 0\n[t1.t2]", line: 3),
        Invalid(name: "table/redefine-3", toml: "[t1]\nt2.t3.v = 0\n[t1.t2.t3]", line: 3),
        Invalid(name: "table/rrbrace", toml: "[[table] ]", line: 1),
        Invalid(name: "table/text-after-table", toml: "[error] this shouldn't be here", line: 1),
        Invalid(name: "table/whitespace", toml: "[invalid key]", line: 1),
        Invalid(name: "table/with-pound", toml: "[key#group]\nanswer = 42", line: 1),
        Invalid(name: "table/super-twice", toml: "[a.b]\n[a]\n[a]", line: 3),
        Invalid(name: "table/multiline-key", toml: "[a.\"\"\"b\"\"\"]", line: 1),
    ]

    @Test(arguments: valid)
    func validDocumentParsesToTheExpectedValues(_ document: Valid) throws {
        let actual = try rendered(document.toml)
        #expect(actual == document.expected)
    }

    @Test(arguments: invalid)
    func invalidDocumentIsRejectedOnTheRightLine(_ document: Invalid) {
        guard let error = parseError(document.toml) else { return }
        #expect(error.position.line == document.line, "\(error)")
        #expect(error.position.column >= 1)
        #expect(!error.message.isEmpty)
    }
}
