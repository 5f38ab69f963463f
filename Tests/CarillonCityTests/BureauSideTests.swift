import CarillonCity
import Foundation
import Testing

/// The pure parts of the bureau's side: the broker's generated config and ACLs, the bundle notice
/// a school reads from the broker (untrusted bytes), the month of the retained counts.
@Suite("City link: broker config, bundle notices, months")
struct BureauSideTests {
    let config = BrokerConfig(
        schools: [.init(id: "sz-0001", district: "nanshan"), .init(id: "sz-0002", district: nil)], hosts: ["mqtt.bureau.example", "10.0.0.5"],
        directory: "/etc/mosquitto/carillon")

    @Test("each school reads its district and its own topics, writes only its own; the bureau has its own CA and port")
    func brokerConfig() {
        #expect(config.problem == nil)
        let acl = config.schoolsACL
        #expect(acl.contains("pattern read carillon/v1/city/#\n"))
        #expect(acl.contains("pattern read carillon/v1/school/%u/bundle\n"))
        #expect(acl.contains("pattern write carillon/v1/school/%u/status\n"))
        #expect(acl.contains("pattern write carillon/v1/school/%u/ack\n"))
        #expect(acl.contains("user sz-0001\ntopic read carillon/v1/district/nanshan/#\n"))
        #expect(!acl.contains("user sz-0002"), "a school without a district reads no district")
        #expect(!acl.contains("readwrite") && !acl.contains("write carillon/v1/city") && !acl.contains("/alert"))
        #expect(config.bureauACL.contains("pattern readwrite carillon/v1/#"))
        let conf = config.mosquittoConf
        #expect(conf.contains("per_listener_settings true"))
        #expect(conf.contains("listener 8883\n") && conf.contains("listener 8884\n"))
        #expect(conf.contains("cafile /etc/mosquitto/carillon/schools-ca.crt") && conf.contains("cafile /etc/mosquitto/carillon/bureau-ca.crt"))
        #expect(conf.components(separatedBy: "use_username_as_clientid true").count == 2, "the schools' listener only")
        #expect(conf.components(separatedBy: "allow_anonymous false").count == 3)
        #expect(config.certificateScript.contains("subjectAltName=DNS:mqtt.bureau.example,IP:10.0.0.5"))
        #expect(config.certificateScript.contains("school sz-0001\nschool sz-0002\n"))
    }

    @Test(
        "broker-config refuses what would make a wrong config",
        arguments: [
            ([BrokerConfig.School(id: "bureau", district: nil)], ["h"], "/x", "may not be called `bureau`"),
            ([.init(id: "a b", district: nil)], ["h"], "/x", "not a school id"),
            ([.init(id: "a", district: "x/y")], ["h"], "/x", "the district of `a`"),
            ([.init(id: "a", district: nil), .init(id: "a", district: nil)], ["h"], "/x", "listed twice"),
            ([.init(id: "a", district: nil)], [], "/x", "name the broker's host"),
            ([.init(id: "a", district: nil)], ["h;rm"], "/x", "not a host name"),
            ([.init(id: "a", district: nil)], ["h"], "relative", "absolute path"),
            ([], ["h"], "/x", "names no school"),
        ])
    func brokerConfigProblems(schools: [BrokerConfig.School], hosts: [String], directory: String, problem: String) {
        let config = BrokerConfig(schools: schools, hosts: hosts, directory: directory)
        #expect(config.problem?.contains(problem) == true, "\(String(describing: config.problem))")
    }

    static let bundle = Data("carillon-bundle 1\nnot really, but bytes".utf8)
    static let digest = String(repeating: "ab", count: 32)

    @Test("a notice reads back as written: inline, or fetched from a URL; its bytes are checked against it")
    func noticeRoundTrip() throws {
        let inline = BundleNotice.make(bundle: Self.bundle, version: 12, digest: Self.digest, url: nil, issued: 1)
        #expect(try BundleNotice.read(inline.encoded()) == inline)
        #expect(inline.matches(Self.bundle))
        #expect(!inline.matches(Self.bundle + Data([0])))
        var flipped = Self.bundle
        flipped[0] ^= 1
        #expect(!inline.matches(flipped))
        let fetched = BundleNotice.make(bundle: Self.bundle, version: 12, digest: Self.digest, url: "https://b.example/v12.bundle", issued: 1)
        #expect(fetched.inline == nil)
        #expect(try BundleNotice.read(fetched.encoded()) == fetched)
        #expect(try BundleNotice.read(Data()) == nil, "a cleared retained notice")
    }

    @Test(
        "a notice from the broker that is not one is refused with what is wrong",
        arguments: [
            ("not json", "not a bundle notice"),
            (#"{"v":2,"version":1,"digest":"D","sha256":"D","size":1,"inline":"AA==","issued":1}"#, "notice version 2"),
            (#"{"v":1,"version":0,"digest":"D","sha256":"D","size":1,"inline":"AA==","issued":1}"#, "`version` must be"),
            (#"{"v":1,"version":1,"digest":"xyz","sha256":"D","size":1,"inline":"AA==","issued":1}"#, "64 hex digits"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":0,"inline":"","issued":1}"#, "`size` must be"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":2,"inline":"AA==","issued":1}"#, "`inline` must be"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":1,"issued":1}"#, "one of them"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":1,"inline":"AA==","url":"https://a/b","issued":1}"#, "one of them"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":1,"url":"http://bureau.example/b","issued":1}"#, "http:// only to this machine"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":1,"url":"ftp://a/b","issued":1}"#, "must be https://"),
            (#"{"v":1,"version":1,"digest":"D","sha256":"D","size":999999999,"url":"https://a/b","issued":1}"#, "`size` must be"),
        ])
    func badNotices(text: String, problem: String) {
        let payload = Data(text.replacingOccurrences(of: "\"D\"", with: "\"\(Self.digest)\"").utf8)
        do throws(NoticeError) {
            _ = try BundleNotice.read(payload)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(problem), "\(error)")
        }
        let oversized = Data(repeating: UInt8(ascii: " "), count: BundleNotice.maxNoticeBytes + 1)
        #expect(throws: NoticeError.self) { try BundleNotice.read(oversized) }
    }

    @Test("months: YYYY-MM only, and a month's bounds in the school's zone")
    func months() throws {
        for good in ["2026-11", "2000-01", "2999-12"] { #expect(SchoolMonthStats.isMonth(good), "\(good)") }
        for bad in ["2026-13", "2026-00", "26-11", "2026-1", "2026/11", "1999-12", "2026-11-01", ""] {
            #expect(!SchoolMonthStats.isMonth(bad), "\(bad)")
        }
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        // 2026-11-30T17:00Z is already December in Shanghai.
        let month = SchoolMonthStats.month(of: Date(timeIntervalSince1970: 1_796_058_000), in: shanghai)
        #expect(month.name == "2026-12")
        #expect(month.start == Date(timeIntervalSince1970: 1_796_054_400))  // 2026-11-30T16:00Z
        #expect(month.end == Date(timeIntervalSince1970: 1_798_732_800))  // 2026-12-31T16:00Z
    }
}
