import CarillonBundle
import CarillonCity
import CarillonCrypto
import Foundation
import Testing

/// The rules a school applies to a published alert, each broken on its own, on a fixed clock.
@Suite("City alert checks")
struct AlertCheckTests {
    let key = BundleKey.generate()
    let now: Int64 = 1_800_000_000_000

    func alert(
        id: String = "alert-0001", issued: Int64? = nil, lifetime: Int64 = 30_000, district: String? = nil, schools: [String]? = nil,
        plan: String? = "earthquake", message: String? = nil, countdown: Int? = nil, signer: Curve25519.Signing.PrivateKey? = nil
    ) -> CityAlert {
        let issued = issued ?? now - 100
        return CityAlert(
            id: id, key: BundleKey.id(of: (signer ?? key).publicKey), issued: issued, expires: issued + lifetime, district: district,
            schools: schools, drill: true, plan: plan, message: message, countdown: countdown)
    }

    func check(_ envelope: Data, school: String = "sz-0001", district: String? = "nanshan", at: Int64? = nil) throws(AlertRefusal) -> CityAlert {
        try AlertCheck(keys: [key.publicKey.rawRepresentation], school: school, district: district).check(envelope, now: at ?? now)
    }

    func reason(_ body: () throws(AlertRefusal) -> Void) -> AlertRefusal.Reason? {
        do throws(AlertRefusal) {
            try body()
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aSignedCurrentAlertForTheCityIsAccepted() throws {
        let envelope = try SignedAlert.sign(alert(countdown: 20), with: key)
        let accepted = try check(envelope)
        #expect(accepted.id == "alert-0001")
        #expect(accepted.sound == .plan("earthquake"))
        #expect(accepted.countdown == 20)
    }

    @Test func aForgedSignatureIsRefused() throws {
        let envelope = try SignedAlert.sign(alert(), with: key)
        var signed = try JSONDecoder().decode(SignedAlert.self, from: envelope)
        // The alert altered after signing: addressed to the whole city as a real alarm.
        var altered = try JSONDecoder().decode(CityAlert.self, from: Data(base64Encoded: signed.alert)!)
        altered.drill = false
        signed.alert = try JSONEncoder().encode(altered).base64EncodedString()
        #expect(reason { () throws(AlertRefusal) in _ = try check(try! JSONEncoder().encode(signed)) } == .badSignature)
    }

    @Test func aKeyNotInTheBureauTableIsRefused() throws {
        let stranger = BundleKey.generate()
        let envelope = try SignedAlert.sign(alert(signer: stranger), with: stranger)
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope) } == .unknownKey)
    }

    @Test func anExpiredAlertIsRefused() throws {
        let envelope = try SignedAlert.sign(alert(issued: now - 60_000, lifetime: 30_000), with: key)
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope) } == .expired)
        // The same alert at its expiry instant still sounds; one millisecond later it does not.
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope, at: now - 30_000) } == nil)
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope, at: now - 29_999) } == .expired)
    }

    @Test func anAlertFromTheFarFutureIsRefused() throws {
        let envelope = try SignedAlert.sign(alert(issued: now + CityAlert.clockSkewMilliseconds + 1), with: key)
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope) } == .notYetValid)
    }

    @Test func anAlertForOtherSchoolsOrAnotherDistrictIsRefused() throws {
        let others = try SignedAlert.sign(alert(schools: ["sz-0002", "sz-0003"]), with: key)
        #expect(reason { () throws(AlertRefusal) in _ = try check(others) } == .notForUs)
        let listed = try SignedAlert.sign(alert(schools: ["sz-0002", "sz-0001"]), with: key)
        #expect(reason { () throws(AlertRefusal) in _ = try check(listed) } == nil)
        let district = try SignedAlert.sign(alert(district: "futian"), with: key)
        #expect(reason { () throws(AlertRefusal) in _ = try check(district) } == .notForUs)
        #expect(reason { () throws(AlertRefusal) in _ = try check(district, district: "futian") } == nil)
        #expect(reason { () throws(AlertRefusal) in _ = try check(district, district: nil) } == .notForUs)
    }

    @Test(arguments: [
        Data("not json".utf8), Data("{}".utf8), Data(#"{"alert":"!!","signature":"AA=="}"#.utf8), Data([0xff, 0xfe, 0x00]),
        Data(#"{"alert":"e30=","signature":"\#(Data(count: 64).base64EncodedString())"}"#.utf8),
    ])
    func malformedEnvelopesAreRefused(_ envelope: Data) {
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope) } == .malformed)
    }

    @Test func aSignedAlertWithBadFieldsIsRefusedAsMalformed() throws {
        // Signed by hand: `sign` itself refuses to sign these.
        func signedRaw(_ alert: CityAlert) throws -> Data {
            let bytes = try JSONEncoder().encode(alert)
            return try JSONEncoder().encode(
                SignedAlert(alert: bytes.base64EncodedString(), signature: try key.signature(for: bytes).base64EncodedString()))
        }
        for bad in [
            alert(id: "short"), alert(plan: "earthquake", message: "两个"), alert(plan: nil, message: "text", countdown: 10),
            alert(countdown: 601), alert(lifetime: 0), alert(lifetime: CityAlert.maxLifetimeMilliseconds + 1),
            alert(district: "a/b"), alert(schools: []),
        ] {
            #expect(reason { () throws(AlertRefusal) in _ = try check(try! signedRaw(bad)) } == .malformed, "\(bad)")
        }
    }

    @Test func anOversizedEnvelopeIsRefusedUnread() {
        let envelope = Data(repeating: UInt8(ascii: " "), count: CityAlert.maxEnvelopeBytes + 1)
        #expect(reason { () throws(AlertRefusal) in _ = try check(envelope) } == .oversized)
    }

    @Test func signingRefusesAnAlertNamingAnotherKey() {
        let other = BundleKey.generate()
        #expect(throws: AlertRefusal.self) { try SignedAlert.sign(alert(signer: other), with: key) }
    }
}

@Suite("City link timing")
struct CityTimingTests {
    @Test func backoffGrowsToItsCapWithFullJitter() {
        var backoff = Backoff(base: .milliseconds(500), cap: .seconds(60))
        var generator = SystemRandomNumberGenerator()
        var bounds: [Duration] = []
        for _ in 0..<12 {
            let bound = backoff.bound
            bounds.append(bound)
            let delay = backoff.next(using: &generator)
            #expect(delay >= .zero && delay <= bound)
        }
        #expect(bounds.prefix(4) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        #expect(bounds.last == .seconds(60))
        backoff.reset()
        #expect(backoff.bound == .milliseconds(500))
    }

    @Test func backoffSpreadsTwoThousandSchools() {
        // One broker restart: every school draws its first delay at the cap's bound. Full jitter
        // spreads them evenly; no second of the window takes more than a few percent of them.
        var generator = SystemRandomNumberGenerator()
        var perSecond = [Int](repeating: 0, count: 61)
        for _ in 0..<2000 {
            var backoff = Backoff(base: .milliseconds(500), cap: .seconds(60))
            for _ in 0..<10 { _ = backoff.next(using: &generator) }
            perSecond[Int(backoff.next(using: &generator).components.seconds)] += 1
        }
        #expect(perSecond.max()! < 120)
    }

    @Test func aTwentySecondCountdownSpeaksAtStepsAfterTheAlarm() throws {
        let countdown = try #require(Countdown(remaining: 20))
        #expect(countdown.cues.map(\.remaining) == [15, 10, 5, 4, 3, 2, 1])
        #expect(countdown.alarm == 5)
        #expect(countdown.cues.first?.text == "地震预警，还有15秒")
        #expect(countdown.cues.map(\.text).suffix(5) == ["五", "四", "三", "二", "一"])
        #expect(countdown.cues.first?.at == 5)
        #expect(countdown.length == 20)
    }

    @Test func aLateAlertCountsDownWhatIsLeft() throws {
        // Issued 20 s ahead, heard 12.5 s later: 7.5 s remain.
        let countdown = try #require(Countdown(remaining: 7.5))
        #expect(countdown.cues.map(\.remaining) == [5, 4, 3, 2, 1])
        #expect(countdown.cues.first?.text == Countdown.phrase(5))
        #expect(countdown.alarm == 2.5)
        #expect(Countdown(remaining: 2) == nil)
    }

    @Test func loopbackIsTheOnlyPlaceWithoutTLS() {
        #expect(CityBroker(host: "127.0.0.1", port: 1883).problem == nil)
        #expect(CityBroker(host: "localhost", port: 1883).problem == nil)
        #expect(CityBroker(host: "mqtt.bureau.example", port: 8883).problem?.contains("TLS is required") == true)
        #expect(CityBroker(host: "mqtt.bureau.example", port: 8883, caFile: "ca.pem").problem?.contains("client certificate") == true)
        #expect(CityBroker(host: "mqtt.bureau.example", port: 8883, caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem").problem == nil)
        #expect(CityBroker(host: "10.0.0.1", port: 8883, caFile: "ca", username: "u", passwordFile: "p").problem == nil)
        #expect(CityBroker(host: "127.0.0.1.example", port: 1883).problem != nil)
        #expect(CityBroker.parseAddress("[::1]:1883")?.host == "::1")
        #expect(CityBroker.parseAddress("host:0") == nil)
        #expect(CityBroker.parseAddress("host:65536") == nil)
    }
}
