@_spi(Fuzzing) @testable import CarillonControl
import CarillonProtocol
import Foundation
import Testing

/// `WireJSON` must write exactly what `Wire.encoder()` writes, or decline.
@Suite("The fast wire encoder")
struct WireJSONTests {
    /// What `Wire.encoder()` writes for `value`.
    private func foundation<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try Wire.encoder().encode(value), as: UTF8.self)
    }

    private func fast<T: Encodable>(_ value: T) -> String? {
        WireJSON.encode(value).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Both encoders agree, and the fast one did not decline.
    private func same<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try foundation(value)
        let got = fast(value)
        #expect(got != nil, "declined: \(expected)", sourceLocation: sourceLocation)
        #expect(got == expected, sourceLocation: sourceLocation)
        #expect(String(decoding: try Dispatcher.wireJSON(value), as: UTF8.self) == expected, sourceLocation: sourceLocation)
    }

    private static let start = Date(timeIntervalSince1970: 1_795_000_000)

    static let status = StatusResult(
        server: "Carillon \"demo\" / school", version: "0.1.0", startedAt: start, uptimeSeconds: 99.24361956119537,
        outputs: [
            OutputInfo(name: "main", device: "cap", state: "running", fault: nil, sampleRate: 48000, channels: 2, xruns: 0),
            OutputInfo(name: "yard", device: "hw:1,0", state: "fault", fault: "device lost:\n\tEIO", sampleRate: 44100, channels: 1, xruns: 7),
        ],
        zones: [
            ZoneInfo(zone: "teaching", output: "main", sounding: [3], queued: [4, 5]),
            ZoneInfo(zone: "playground", output: "yard", sounding: [], queued: []),
        ],
        playing: [PlayInfo(play: 3, clip: "bell.start", zones: ["teaching"], level: "bell", requestedAt: start.addingTimeInterval(0.25))],
        clips: 620,
        storage: StorageInfo(state: "failing", failedWrites: 2, lastError: "disk full", lastErrorAt: start, since: start))

    @Test("status, as a response with every kind of id, and refusals")
    func responses() throws {
        for id: RequestID? in [nil, .number(0), .number(-42), .number(Int64.max), .number(Int64.min), .string("abc"), .string("")] {
            try same(Response.success(id, Self.status))
            try same(Response<Empty>.failure(id, WireError(.notFound, "play 9 is not sounding")))
        }
        try same(Response.success(.number(1), Empty()))
        try same(Response.success(.number(1), HelloResult(protocolVersion: 1, server: "carillond", version: "0.1.0")))
        try same(Response.success(.number(1), Identity(name: "uid 1000 (ann)", role: .teacher, zones: ["teaching", "yard"])))
        try same(Response.success(.number(1), AnyEncodable(Self.status)))
    }

    @Test("events, with and without their optional fields")
    func events() throws {
        try same(Event(event: "play.started", at: Self.start, play: 7, clip: "tip.fire.012", zones: ["all"], level: "announcement", by: "schedule"))
        try same(Event(event: "events.dropped", at: Self.start, detail: "fell 256 events behind"))
        try same(Event(event: "plan.started", at: Self.start, plan: "fire", title: "火警疏散", drill: true))
        try same(
            Event(
                event: "announce.played", at: Self.start, play: 9, zones: ["room-101"], level: "announcement", by: "uid 1000 (ann)@unix",
                announcement: 4, due: Self.start.addingTimeInterval(-0.5)))
    }

    @Test("announcements and zone groups, as the daemon answers them")
    func announcements() throws {
        let booked = AnnouncementInfo(
            announcement: 4, at: Self.start, clip: nil, text: "请到操场集合。", voice: "zh", zones: ["room-101", "yard"],
            state: "pending", createdBy: "uid 1000 (ann)@unix", createdAt: Self.start.addingTimeInterval(-60))
        try same(Response.success(.number(1), booked))
        var played = booked
        (played.state, played.play, played.endedAt, played.detail) = ("played", 12, Self.start, nil)
        try same(Response.success(.number(2), AnnouncementList(announcements: [booked, played])))
        var status = Self.status
        status.zoneGroups = [ZoneGroupInfo(name: "初一年级", zones: ["room-101", "room-102"])]
        try same(Response.success(.number(3), status))
        try same(AnnounceArgs(at: Self.start, clip: "bell.start", zones: ["初一年级"]))
    }

    @Test("a type that writes another into its own object: stats rows")
    func mergedObjects() throws {
        let json = #"""
            {"from":"2026-09-01T00:00:00Z","timezone":"Asia/Shanghai","by":"category",
             "total":{"broadcasts":3,"instant":1,"safety":1,"bells":1,"plans":0,"drills":0,"missed":2},
             "rows":[{"group":"bell","broadcasts":1,"instant":0,"safety":0,"bells":1,"plans":0,"drills":0,"missed":0}]}
            """#
        let stats = try Wire.decoder().decode(StatsResult.self, from: Data(json.utf8))
        try same(stats)
        try same(Response.success(.number(3), stats))
    }

    @Test("strings: every ASCII character, slashes, and text beyond ASCII")
    func strings() throws {
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        for text in [ascii, "", "/a/b\\c\"d\"", "晨会：请同学们有序排队。", "e\u{301} \u{2028}\u{2029} 🔔👩‍👩‍👧", "\u{7F}\u{80}\u{FEFF}"] {
            try same(Event(event: text, at: Self.start, detail: text))
            try same([text])
            try same(Single(value: text))
        }
    }

    @Test("numbers: integers at their limits, doubles and floats as JSONEncoder spells them")
    func numbers() throws {
        try same(Numbers(
            int: .min, int8: .min, int16: .min, int32: .min, int64: .max, uint: .max, uint8: .max, uint16: .max, uint32: .max,
            uint64: .max))
        let doubles: [Double] = [
            0, -0.0, 1, -1.5, 0.1, 1e-7, 123.456, 1e15, 1e16, 1e20, 1e300, .pi, .greatestFiniteMagnitude,
            .leastNonzeroMagnitude, .leastNormalMagnitude, 99.24361956119537, 5e-324, 4294967296.5,
        ]
        try same(doubles)
        try same(doubles.map { Float($0) }.filter(\.isFinite))
        for double in doubles { try same(Single(value: double)) }
    }

    @Test("non-finite numbers are declined, and the response falls back to the fixed line as before")
    func nonFinite() throws {
        #expect(fast([Double.nan]) == nil)
        #expect(fast(Single(value: Double.infinity)) == nil)
        let line = String(decoding: Dispatcher.encodeLine(Response.success(.number(1), [Double.nan])), as: UTF8.self)
        #expect(line == #"{"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#)
    }

    @Test("dates as .iso8601 writes them, fractions and all")
    func dates() throws {
        let dates = [
            Self.start, Self.start.addingTimeInterval(0.999_999), Self.start.addingTimeInterval(-0.5), Date(timeIntervalSince1970: 0),
            Date(timeIntervalSince1970: -315_619_200.25), Date(timeIntervalSinceReferenceDate: 0), Date.distantFuture, Date.distantPast,
        ]
        for date in dates {
            try same(Single(value: date))
            try same([date, date])
            try same(Optionals(date: date))
        }
    }

    @Test("keys in snake case, as JSONEncoder splits them")
    func keys() throws {
        for key in [
            "a", "startedAt", "URL", "myURLValue", "aB", "_leading", "trailing_", "__both__", "a1B2c3", "ABC", "x_Y", "already_snake",
            "Über", "straßeName", "ÀÉ", "camelCase2D", "", "a b", "key\"quote",
        ] {
            try same(Keyed(keys: [key]))
        }
    }

    @Test("repeated keys keep the last value; nested and re-opened containers; values that encode nothing")
    func containers() throws {
        try same(Keyed(keys: ["b", "a", "b", "c", "a"]))
        try same(Nested())
        try same(TwoContainers())
        try same(Optionals(date: nil))
        try same([Optionals(date: Self.start), Optionals(date: nil)])
        try same(EncodesNothing(inner: true))
    }

    @Test("what only JSONEncoder handles is declined, and the response still matches it")
    func declines() throws {
        #expect(fast(["camelKey": 1]) == nil)
        #expect(fast([1: "a"]) == nil)
        #expect(fast(Data([1, 2, 3])) == nil)
        #expect(fast([URL(string: "https://example.com/a b")!]) == nil)
        #expect(fast([Decimal(string: "1.25")!]) == nil)
        #expect(fast(ReadsCodingPath()) == nil)
        #expect(fast(EncodesNothing(inner: false)) == nil)
        for value in [["camelKey": 1]] {
            let expected = try foundation(Response.success(.number(1), value))
            #expect(String(decoding: Dispatcher.encodeLine(Response.success(.number(1), value)), as: UTF8.self) == expected)
        }
        let mixed = ["camelKey": Data([1])]
        #expect(String(decoding: try Dispatcher.wireJSON(mixed), as: UTF8.self) == (try foundation(mixed)))
    }

    @Test("deep and wide values built from a grammar of containers")
    func generated() throws {
        // Every shape up to depth 3 from a small alphabet of node kinds: systematic, not random.
        for tree in Tree.all(depth: 3) {
            try same(tree)
        }
    }
}

// MARK: - Values for the tests

private struct Single<T: Encodable>: Encodable {
    let value: T
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

private struct Numbers: Encodable {
    var int: Int, int8: Int8, int16: Int16, int32: Int32, int64: Int64
    var uint: UInt, uint8: UInt8, uint16: UInt16, uint32: UInt32, uint64: UInt64
}

private struct Optionals: Encodable {
    var date: Date?
    var text: String? = nil
    var list: [Int?] = [1, nil, 3]

    enum CodingKeys: String, CodingKey { case date, text, list, explicitNull }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(date, forKey: .date)
        try container.encodeIfPresent(text, forKey: .text)
        try container.encode(list, forKey: .list)
        // Through the generic path: an Optional's own encoding, null when empty.
        try container.encode(date, forKey: .explicitNull)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Encodes its keys in order, each with its position as the value.
private struct Keyed: Encodable {
    let keys: [String]
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (index, key) in keys.enumerated() { try container.encode(index, forKey: AnyKey(key)) }
    }
}

private struct Nested: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        var inner = container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("innerObject"))
        try inner.encode("x", forKey: AnyKey("zKey"))
        try inner.encode(true, forKey: AnyKey("aKey"))
        var list = container.nestedUnkeyedContainer(forKey: AnyKey("someList"))
        try list.encode(1.5)
        try list.encodeNil()
        var deeper = list.nestedContainer(keyedBy: AnyKey.self)
        try deeper.encode(UInt8(7), forKey: AnyKey("deepValue"))
        var deepest = list.nestedUnkeyedContainer()
        try deepest.encode("end")
        try container.encodeNil(forKey: AnyKey("nothingHere"))
    }
}

private struct TwoContainers: Encodable {
    func encode(to encoder: any Encoder) throws {
        var first = encoder.container(keyedBy: AnyKey.self)
        try first.encode(1, forKey: AnyKey("firstOne"))
        var second = encoder.container(keyedBy: AnyKey.self)
        try second.encode(2, forKey: AnyKey("secondOne"))
        try second.encode(3, forKey: AnyKey("firstOne"))
    }
}

/// Nested, it encodes nothing, which JSONEncoder writes as `{}`; at the top it is an error.
private struct EncodesNothing: Encodable {
    let inner: Bool
    func encode(to encoder: any Encoder) throws {
        guard inner else { return }
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(EncodesNothing(inner: false), forKey: AnyKey("empty"))
        var list = container.nestedUnkeyedContainer(forKey: AnyKey("list"))
        try list.encode(EncodesNothing(inner: false))
    }
}

private struct ReadsCodingPath: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(encoder.codingPath.count, forKey: AnyKey("depth"))
    }
}

/// A value whose shape is data: every combination of container kinds to a depth.
private indirect enum Tree: Encodable {
    case string(String)
    case number(Double)
    case flag(Bool)
    case null
    case list([Tree])
    case object([(String, Tree)])

    static func all(depth: Int) -> [Tree] {
        let leaves: [Tree] = [.string("a/\"b\"\n"), .number(-2.5e-9), .flag(false), .null]
        guard depth > 0 else { return leaves }
        let smaller = all(depth: depth - 1)
        // Keep it small: a few of the smaller trees in each container.
        let picks = Array(smaller.enumerated().filter { $0.offset % max(1, smaller.count / 5) == 0 }.map(\.element))
        var trees = leaves
        trees.append(.list([]))
        trees.append(.object([]))
        trees.append(.list(picks))
        trees.append(.object(picks.enumerated().map { ("key\($0.offset)Name", $0.element) }))
        trees.append(.object(picks.enumerated().reversed().map { ("zKey\($0.offset % 2)", $0.element) }))
        return trees
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .flag(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .list(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let members):
            var container = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in members { try container.encode(value, forKey: AnyKey(key)) }
        }
    }
}
