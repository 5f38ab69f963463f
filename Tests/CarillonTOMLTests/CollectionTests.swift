import CarillonTOML
import Testing

@Suite("Arrays and inline tables")
struct CollectionTests {
    @Test func arraysOfEveryShape() throws {
        let text = #"""
            integers = [ 1, 2, 3 ]
            colors = [ "red", "yellow", "green" ]
            nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', """are the same""", '''type''' ]
            numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
            contributors = [ "Foo Bar <foo@example.com>", { name = "Baz Qux", email = "bazqux@example.com" } ]
            empty = []
            """#
        #expect(try rendered(text) == """
            {integers: [1, 2, 3], colors: ["red", "yellow", "green"], nested_arrays_of_ints: [[1, 2], [3, 4, 5]], \
            nested_mixed_array: [[1, 2], ["a", "b", "c"]], string_array: ["all", "strings", "are the same", "type"], \
            numbers: [0.1, 0.2, 0.5, 1, 2, 5], contributors: ["Foo Bar <foo@example.com>", {name: "Baz Qux", \
            email: "bazqux@example.com"}], empty: []}
            """)
    }

    @Test func multilineArraysAllowCommentsAndATrailingComma() throws {
        let text = """
            integers = [
              1,  # first
              2,
              # a comment line
              3,
            ]
            empty = [ # nothing
            ]
            """
        let table = try parse(text)
        #expect(render(table) == "{integers: [1, 2, 3], empty: []}")
        guard case .array(let elements)? = table["integers"]?.value else { throw TestFailure() }
        #expect(elements.map(\.position) == [pos(2, 3), pos(3, 3), pos(5, 3)])
    }

    @Test func malformedArraysAreRejectedWhereTheyGoWrong() {
        expectError("v = [1 2]", line: 1, column: 8, "expected `,` or `]`")
        expectError("v = [1,,2]", line: 1, column: 8, "expected a value, found `,`")
        expectError("v = [,]", line: 1, column: 6, "expected a value, found `,`")
        expectError("v = [1, 2\n", line: 2, column: 1, "expected `]` to close the array opened at line 1, column 5")
        expectError("v = [1 # comment ]", line: 1, column: 19, "expected `]`")
    }

    @Test func inlineTablesHoldKeysIncludingDottedOnes() throws {
        let text = """
            name = { first = "Tom", last = "Preston-Werner" }
            point = {x=1,y=2}
            animal = { type.name = "pug", type.size = "small" }
            empty = {}
            nested = { a = { b = { c = [1, { d = 2 }] } } }
            """
        #expect(try rendered(text) == """
            {name: {first: "Tom", last: "Preston-Werner"}, point: {x: 1, y: 2}, \
            animal: {type: {name: "pug", size: "small"}}, empty: {}, nested: {a: {b: {c: [1, {d: 2}]}}}}
            """)
    }

    @Test func valuesInsideInlineTablesMaySpanLines() throws {
        #expect(try rendered("t = { list = [\n  1,\n  2,\n], text = \"\"\"\nx\"\"\" }") == #"{t: {list: [1, 2], text: "x"}}"#)
    }

    @Test func inlineTablePositionsPointAtTheBraceAndKeys() throws {
        let table = try parse("point = { x = 1, y.z = 2 }")
        guard let point = table["point"], case .table(let inner) = point.value else { throw TestFailure() }
        #expect(point.position == pos(1, 9))
        #expect(inner.position == pos(1, 9))
        #expect(inner.entry(for: "x")?.keyPosition == pos(1, 11))
        #expect(inner.entry(for: "y")?.keyPosition == pos(1, 18))
        #expect(lookup(table, "point", "y", "z")?.position == pos(1, 24))
    }

    @Test func inlineTablesMustBeOnOneLineWithoutTrailingComma() {
        expectError("t = { a = 1, }", line: 1, column: 14, "cannot have a trailing comma")
        expectError("t = { a = 1,\n b = 2 }", line: 1, column: 13, "must be written on one line")
        expectError("t = { a = 1\n}", line: 1, column: 12, "must be written on one line")
        expectError("t = {\n}", line: 1, column: 6, "must be written on one line")
        expectError("t = { a = 1 b = 2 }", line: 1, column: 13, "expected `,` or `}`")
        expectError("t = { a = 1", line: 1, column: 12, "expected `}` to close the inline table")
        expectError("t = { , }", line: 1, column: 7, "expected a key, found `,`")
    }

    @Test func inlineTablesCannotRepeatOrMixKeys() {
        expectError("t = { a = 1, a = 2 }", line: 1, column: 14, "duplicate key `t.a`")
        expectError("t = { a.b = 1, a = 2 }", line: 1, column: 16, "duplicate key `t.a`")
        expectError("t = { a = { b = 1 }, a.c = 2 }", line: 1, column: 22, "cannot add keys to inline table `t.a`")
    }

    @Test func inlineTablesAreCompleteOnceDefined() {
        expectError("[product]\ntype = { name = \"Nail\" }\ntype.edible = false", line: 3, column: 1,
            "cannot add keys to inline table `product.type` defined at line 2, column 8")
        expectError("[product]\ntype.name = \"Nail\"\ntype = { edible = false }", line: 3, column: 1,
            "duplicate key `product.type`")
        expectError("a = { b = 1 }\n[a]\nc = 2", line: 2, column: 2, "table `a` is already defined as an inline table at line 1, column 5")
        expectError("a = { b = 1 }\n[a.c]", line: 2, column: 2, "cannot add keys to inline table `a`")
        expectError("a = { b = { c = 1 } }\n[a.b.d]", line: 2, column: 2, "cannot add keys to inline table `a`")
        expectError("a = {}\n[[a.b]]", line: 2, column: 3, "cannot add keys to inline table `a`")
        expectError("a = [{ b = 1 }]\n[[a]]", line: 2, column: 3, "cannot append to `a` with [[a]]: it is a static array")
        expectError("a = [{ b = 1 }]\n[a.c]", line: 2, column: 2, "cannot use `a` as a table: it is already defined as an array")
    }
}
