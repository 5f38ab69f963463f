import CarillonCore
import Foundation
import Testing

@Suite("Announcements booked for later: the rules, on an injected clock")
struct AnnouncementRulesTests {
    let rules = AnnouncementRules()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func booked(_ id: Int64, in seconds: Double, state: Announcement.State = .pending, zones: [String] = ["yard"])
        -> Announcement
    {
        Announcement(
            id: id, at: now.addingTimeInterval(seconds), content: .clip("bell.start"), zones: zones, state: state,
            createdBy: "t", createdAt: now.addingTimeInterval(-3600))
    }

    @Test("a time must be after now and at most 30 days ahead")
    func times() throws {
        #expect(throws: AnnouncementError.inThePast(at: now, now: now)) { try rules.checkTime(now, now: now) }
        #expect(throws: AnnouncementError.inThePast(at: now.addingTimeInterval(-1), now: now)) {
            try rules.checkTime(now.addingTimeInterval(-1), now: now)
        }
        try rules.checkTime(now.addingTimeInterval(1), now: now)
        try rules.checkTime(now.addingTimeInterval(30 * 86400), now: now)
        #expect(throws: AnnouncementError.tooFarAhead(at: now.addingTimeInterval(30 * 86400 + 1), horizonDays: 30)) {
            try rules.checkTime(now.addingTimeInterval(30 * 86400 + 1), now: now)
        }
        #expect(
            AnnouncementError.inThePast(at: now.addingTimeInterval(-60), now: now).description
                == "2027-01-15T07:59:00Z is not after now (2027-01-15T08:00:00Z); book a time to come")
    }

    @Test("a text is trimmed, must not be empty and holds at most 300 characters")
    func texts() throws {
        #expect(try rules.checkText("  请到操场集合。\n") == "请到操场集合。")
        #expect(throws: AnnouncementError.emptyText) { try rules.checkText(" \n\t ") }
        #expect(try rules.checkText(String(repeating: "字", count: 300)).count == 300)
        #expect(throws: AnnouncementError.textTooLong(characters: 301, limit: 300)) {
            try rules.checkText(String(repeating: "字", count: 301))
        }
    }

    @Test("at most 200 may wait at once")
    func capacity() throws {
        try rules.checkCapacity(pending: 199)
        #expect(throws: AnnouncementError.tooMany(limit: 200)) { try rules.checkCapacity(pending: 200) }
    }

    @Test("nothing is due before its time; the wake is the earliest time to come")
    func notYet() {
        let (decisions, wake) = rules.step([booked(1, in: 30), booked(2, in: 5)], now: now)
        #expect(decisions.isEmpty)
        #expect(wake == now.addingTimeInterval(5))
        #expect(rules.step([], now: now).wake == nil)
    }

    @Test("one whose second has come plays, on the second and up to the late grace; later than that it is missed")
    func dueAndMissed() {
        let pending = [
            booked(1, in: 0), booked(2, in: -60), booked(3, in: -60.5), booked(4, in: -3600), booked(5, in: 10),
        ]
        let (decisions, wake) = rules.step(pending, now: now)
        #expect(
            decisions == [
                .missed(4, lateness: 3600), .missed(3, lateness: 60.5), .play(2, lateness: 60), .play(1, lateness: 0),
            ])
        #expect(wake == now.addingTimeInterval(10))
    }

    @Test("a restart long after: every one whose time passed is missed, none plays as a backlog")
    func noBacklog() {
        let pending = (1...5).map { booked(Int64($0), in: -Double($0) * 600) }
        let (decisions, wake) = rules.step(pending, now: now)
        #expect(decisions.allSatisfy { if case .missed = $0 { true } else { false } })
        #expect(decisions.count == 5)
        #expect(wake == nil)
    }

    @Test("only pending ones are decided: a played or cancelled one never plays again, whatever the clock says")
    func onlyPending() {
        let done = [
            booked(1, in: -1, state: .played), booked(2, in: -1, state: .cancelled), booked(3, in: 5, state: .missed),
        ]
        let (decisions, wake) = rules.step(done, now: now)
        #expect(decisions.isEmpty)
        #expect(wake == nil)
    }

    @Test("a caller limited to zones sees those touching theirs and cancels only those inside theirs")
    func zoneLimits() {
        let both = booked(1, in: 10, zones: ["yard", "gate"])
        #expect(AnnouncementRules.isVisible(both, allowed: nil) && AnnouncementRules.mayCancel(both, allowed: nil))
        #expect(AnnouncementRules.isVisible(both, allowed: ["yard"]))
        #expect(!AnnouncementRules.mayCancel(both, allowed: ["yard"]))
        #expect(AnnouncementRules.mayCancel(both, allowed: ["yard", "gate", "room-101"]))
        #expect(!AnnouncementRules.isVisible(both, allowed: ["room-101"]))
    }
}
