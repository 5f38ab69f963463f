import CarillonCore
import CarillonProtocol
import Foundation
import Testing

@Suite("Wire messages")
struct WireTests {
    @Test("a request's id may be a number or a string, or absent")
    func requestIDs() throws {
        let decoder = Wire.decoder()
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"id":7,"cmd":"status"}"#.utf8)).id == .number(7))
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"id":"a1","cmd":"status"}"#.utf8)).id == .string("a1"))
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"cmd":"status"}"#.utf8)).id == nil)
    }

    @Test("dates are strict: every field in range, a day that exists, a four-digit year")
    func strictDates() throws {
        struct Dated: Decodable { var at: Date }
        func decode(_ text: String) -> Date? {
            try? Wire.decoder().decode(Dated.self, from: Data(#"{"at":"\#(text)"}"#.utf8)).at
        }
        #expect(decode("2026-10-09T07:50:00+08:00") == Date(timeIntervalSince1970: 1_791_503_400))
        #expect(decode("2028-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_835_395_200))
        #expect(decode("2026-12-31T23:59:59Z") != nil)
        #expect(decode("2026-12-31T23:59:59.250-05:30") != nil)
        // Foundation alone reads the first as March 2 and the last as a year 99999.
        for bad in ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2027-02-29T00:00:00Z",
            "99999-01-01T00:00:00Z", "2026-10-09", "2026-10-09T25:00:00Z", "2026-10-09T07:60:00Z", "2026-10-09T07:50:00+24:00",
            "", "x", "2026-10-09T07:50:00+99:99", "2026-10-09T07:50:00", "2026-10-09T07:50:00Zx", "2026-10-09T07:50:00.Z",
            "+2026-10-09T07:50:00Z", "2026-1-09T07:50:00Z"]
        {
            #expect(decode(bad) == nil, "\(bad)")
        }
    }

    @Test("a school's counts are 0 to 10^12, and a fleet's sums never overflow")
    func countsInRange() throws {
        func decode(_ broadcasts: String) throws -> StatsCounts {
            let json = #"{"broadcasts":\#(broadcasts),"instant":0,"safety":0,"bells":0,"plans":0,"drills":0,"missed":0}"#
            return try Wire.decoder().decode(StatsCounts.self, from: Data(json.utf8))
        }
        #expect(try decode("1000000000000").broadcasts == 1_000_000_000_000)
        for bad in ["1000000000001", "-1", "9223372036854775807", "9223372036854775808", "1e300"] {
            #expect(throws: DecodingError.self, "\(bad)") { try decode(bad) }
        }
        let huge = StatsCounts(broadcasts: .max, missed: .max - 1)
        #expect((huge + StatsCounts(broadcasts: 1, missed: 5)) == StatsCounts(broadcasts: .max, missed: .max))
        #expect((StatsCounts(bells: 2) + StatsCounts(bells: 3)).bells == 5)
    }

    @Test("a command whose arguments are optional may omit `args`")
    func omittedArguments() throws {
        let stop = try Wire.decoder().decode(Request<StopArgs>.self, from: Data(#"{"id":1,"cmd":"stop"}"#.utf8))
        #expect(stop.args == StopArgs(play: nil))
        let status = try Wire.decoder().decode(Request<Empty>.self, from: Data(#"{"cmd":"status"}"#.utf8))
        #expect(status.args == Empty())
    }

    @Test("a command with a required argument refuses to decode without it")
    func requiredArgument() {
        #expect(throws: DecodingError.self) {
            try Wire.decoder().decode(Request<PlayArgs>.self, from: Data(#"{"id":1,"cmd":"play"}"#.utf8))
        }
    }

    @Test("keys are snake_case on the wire, and a response is one line")
    func snakeCase() throws {
        let info = ZoneOutcome(zone: "main", output: "main", outcome: "finished", firstFrame: 480, frames: 24000, latencyMs: 1.5)
        let data = try Wire.encoder().encode(Response.success(.number(3), info))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""first_frame":480"#))
        #expect(text.contains(#""latency_ms":1.5"#))
        #expect(!text.contains("\n"))
        let back = try Wire.decoder().decode(Response<ZoneOutcome>.self, from: data)
        #expect(back.result == info && back.id == .number(3) && back.ok)
    }

    @Test("an error reply carries a stable code and a message")
    func errorReply() throws {
        let data = try Wire.encoder().encode(Response.failure(.number(1), WireError(.unknownClip, "no clip `x`")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
        let error = object?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unknown-clip")
        #expect(error?["message"] as? String == "no clip `x`")
    }

    @Test("error codes are stable strings", arguments: ErrorCode.allCases)
    func errorCodesAreKebabCase(code: ErrorCode) {
        #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "-" })
    }
}
