import CarillonTOML
import Testing

@Suite("Tables and arrays of tables")
struct TableTests {
    @Test func keysBelongToTheMostRecentHeader() throws {
        let text = "top = 0\n[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456"
        #expect(try rendered(text)
            == #"{top: 0, table-1: {key1: "some string", key2: 123}, table-2: {key1: "another string", key2: 456}}"#)
    }

    @Test func headerKeysMayBeQuotedDottedAndSpaced() throws {
        let text = "[dog.\"tater.man\"]\ntype.name = \"pug\"\n[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]\n[\"c d\"]"
        #expect(try rendered(text) == """
            {dog: {"tater.man": {type: {name: "pug"}}}, a: {b: {c: {}}}, d: {e: {f: {}}}, g: {h: {i: {}}}, \
            j: {"ʞ": {l: {}}}, "c d": {}}
            """)
    }

    @Test func superTablesAreImplicitAndMayBeDefinedLaterOnce() throws {
        let table = try parse("[x.y.z.w]\na = 1\n\n[x]\nb = 2")
        #expect(render(table) == "{x: {y: {z: {w: {a: 1}}}, b: 2}}")
        #expect(table.entry(for: "x")?.keyPosition == pos(4, 1))
        #expect(table["x"]?.position == pos(4, 1))
        #expect(lookup(table, "x", "y")?.position == pos(1, 1))
    }

    @Test func tablesMayBeDefinedOutOfOrder() throws {
        #expect(try rendered("[fruit.apple]\n[animal]\n[fruit.orange]") == "{fruit: {apple: {}, orange: {}}, animal: {}}")
    }

    @Test func headersMayAddSubTablesToDottedKeyTables() throws {
        let text = "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple.texture]\nsmooth = true"
        #expect(try rendered(text)
            == #"{fruit: {apple: {color: "red", taste: {sweet: true}, texture: {smooth: true}}}}"#)
        #expect(try rendered("[fruit]\napple.color = \"red\"\n[[fruit.apple.seeds]]\nsize = 2")
            == #"{fruit: {apple: {color: "red", seeds: [{size: 2}]}}}"#)
    }

    @Test func arrayOfTablesAppendsOneTablePerHeader() throws {
        let text = """
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            color = "gray"
            """
        let table = try parse(text)
        #expect(render(table)
            == #"{products: [{name: "Hammer", sku: 738594937}, {}, {name: "Nail", color: "gray"}]}"#)
        guard let products = table["products"], case .array(let elements) = products.value else { throw TestFailure() }
        #expect(products.position == pos(1, 1))
        #expect(elements.map(\.position) == [pos(1, 1), pos(5, 1), pos(7, 1)])
    }

    @Test func nestedArraysOfTablesAttachToTheMostRecentElement() throws {
        let text = """
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """
        #expect(try rendered(text) == """
            {fruits: [{name: "apple", physical: {color: "red", shape: "round"}, varieties: [{name: "red delicious"}, \
            {name: "granny smith"}]}, {name: "banana", varieties: [{name: "plantain"}]}]}
            """)
    }

    @Test func subTablesRepeatPerArrayElement() throws {
        #expect(try rendered("[[a]]\n[a.b]\nx = 1\n[[a]]\n[a.b]\nx = 2") == "{a: [{b: {x: 1}}, {b: {x: 2}}]}")
    }

    @Test func arrayOfTablesMayLiveInATableDefinedLater() throws {
        #expect(try rendered("[[a.b]]\nx = 1\n[a]\ny = 2") == "{a: {b: [{x: 1}], y: 2}}")
    }

    @Test func positionsPointAtHeadersKeysAndValues() throws {
        let text = """
            title = "Bells"
            [server]
              host.name = "bell"
              port = 8080
            """
        let table = try parse(text)
        #expect(table.position == .start)
        #expect(table.entry(for: "title")?.keyPosition == pos(1, 1))
        #expect(table["title"]?.position == pos(1, 9))
        #expect(table.entry(for: "server")?.keyPosition == pos(2, 1))
        guard case .table(let server)? = table["server"]?.value else { throw TestFailure() }
        #expect(server.position == pos(2, 1))
        #expect(server.entry(for: "host")?.keyPosition == pos(3, 3))
        #expect(server["host"]?.position == pos(3, 3))
        #expect(lookup(table, "server", "host", "name")?.position == pos(3, 15))
        #expect(server.entry(for: "port")?.keyPosition == pos(4, 3))
        #expect(server["port"]?.position == pos(4, 10))
    }

    @Test func columnsCountUnicodeScalarsNotBytes() throws {
        let table = try parse("\"午饭\" = \"时间到了\"\n\"é\" = 1")
        #expect(table["午饭"]?.position == pos(1, 8))
        #expect(parseError("a = \"午饭\" b")?.position == pos(1, 10))
    }

    @Test func entriesKeepDocumentOrderAndLookupIsByKey() throws {
        let table = try parse("zeta = 1\nalpha = 2\n[mid]\n[beta]\n")
        #expect(table.keys == ["zeta", "alpha", "mid", "beta"])
        #expect(table["alpha"]?.value == .integer(2))
        #expect(table["missing"] == nil)
        #expect(table.count == 4)
    }
}
