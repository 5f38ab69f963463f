import CarillonCore
import Foundation
import Testing

@Suite("Tip rotation: tip:today and tip:next")
struct TipRotationTests {
    let fire = ["tip.fire.001", "tip.fire.002", "tip.fire.003"]

    /// The day's tip of `category` on each of `days` consecutive days from 2026-10-12, asking `slots` times a day.
    func days(
        _ days: Int, from first: String = "2026-10-12", slots: Int = 1, category: String = "fire",
        candidates: [String], state: inout RotationState
    ) -> [String?] {
        (0..<days).map { offset in
            let date = day(first).adding(days: offset)
            let answers = (0..<slots).map { _ in
                TipRotation.today(category: category, on: date, candidates: candidates, state: &state)
            }
            #expect(Set(answers).count == 1, "\(date): \(answers)")
            return answers[0]
        }
    }

    @Test("tip:today is the same at every slot of a day and advances daily")
    func todayStableWithinADay() {
        var state = RotationState()
        #expect(days(3, slots: 4, candidates: fire, state: &state) == fire)
        #expect(state.played["fire"] == fire)
    }

    @Test(
        "tip:today repeats nothing until the category is used up, then starts a new cycle without an immediate repeat")
    func todayCycles() {
        let tips = (1...5).map { "tip.food.00\($0)" }
        var state = RotationState()
        let chosen = days(12, slots: 2, category: "food", candidates: tips, state: &state).compactMap { $0 }
        #expect(chosen.count == 12)
        #expect(Array(chosen[0..<5]) == tips)
        #expect(Array(chosen[5..<10]) == tips)
        #expect(zip(chosen, chosen.dropFirst()).allSatisfy { $0 != $1 })
    }

    @Test("a new cycle never begins with the tip just played when there are two candidates or more")
    func newCycleAvoidsTheLastTip() {
        var state = RotationState()
        #expect(days(3, candidates: fire, state: &state) == fire)
        // The library reorders: the tip just played now comes first.
        let reordered = ["tip.fire.003", "tip.fire.001", "tip.fire.002"]
        #expect(
            days(3, from: "2026-10-15", candidates: reordered, state: &state) == [
                "tip.fire.001", "tip.fire.003", "tip.fire.002",
            ])

        var two = RotationState()
        let pair = ["a", "b"]
        let picks = (0..<6).map { _ in TipRotation.next(category: "cyber", candidates: pair, state: &two) }
        #expect(picks == ["a", "b", "a", "b", "a", "b"])
        two.played["cyber"] = ["b", "a"]
        #expect(TipRotation.next(category: "cyber", candidates: pair, state: &two) == "b")
    }

    @Test("a single candidate is played every time")
    func singleCandidate() {
        var state = RotationState()
        let picks = (0..<3).map { _ in TipRotation.next(category: "law", candidates: ["tip.law.001"], state: &state) }
        #expect(picks == ["tip.law.001", "tip.law.001", "tip.law.001"])
        #expect(days(2, category: "law", candidates: ["tip.law.001"], state: &state) == ["tip.law.001", "tip.law.001"])
    }

    @Test("tip:next takes a new tip at each slot, and shares the cycle with tip:today")
    func nextAdvancesPerSlot() {
        var state = RotationState()
        let picks = (0..<7).map { _ in TipRotation.next(category: "fire", candidates: fire, state: &state) }
        #expect(picks == fire + fire + [fire[0]])

        var shared = RotationState()
        let today = day("2026-10-16")
        #expect(TipRotation.today(category: "fire", on: today, candidates: fire, state: &shared) == fire[0])
        #expect(TipRotation.next(category: "fire", candidates: fire, state: &shared) == fire[1])
        #expect(TipRotation.today(category: "fire", on: today, candidates: fire, state: &shared) == fire[0])
        #expect(TipRotation.next(category: "fire", candidates: fire, state: &shared) == fire[2])
        // Used up, and the tip just played was the third: the next day starts over with the first.
        #expect(
            TipRotation.today(category: "fire", on: today.adding(days: 1), candidates: fire, state: &shared) == fire[0])
    }

    @Test("categories rotate independently")
    func categoriesIndependent() {
        var state = RotationState()
        let date = day("2026-10-12")
        let traffic = ["tip.traffic.001", "tip.traffic.002"]
        #expect(TipRotation.today(category: "fire", on: date, candidates: fire, state: &state) == fire[0])
        #expect(TipRotation.today(category: "traffic", on: date, candidates: traffic, state: &state) == traffic[0])
        #expect(TipRotation.next(category: "traffic", candidates: traffic, state: &state) == traffic[1])
        #expect(TipRotation.next(category: "fire", candidates: fire, state: &state) == fire[1])
    }

    @Test("the rotation state survives a Codable round trip and continues identically")
    func codableRoundTrip() throws {
        var state = RotationState()
        _ = days(2, candidates: fire, state: &state)
        _ = TipRotation.next(category: "food", candidates: ["x", "y"], state: &state)
        let restored = try JSONDecoder().decode(RotationState.self, from: try JSONEncoder().encode(state))
        #expect(restored == state)

        var original = state
        var copy = restored
        let a = days(4, from: "2026-10-14", candidates: fire, state: &original)
        let b = days(4, from: "2026-10-14", candidates: fire, state: &copy)
        #expect(a == b)
        #expect(original == copy)
    }

    @Test("candidates changing midway: ids no longer candidates are ignored, new ones join the cycle")
    func candidatesChange() {
        var state = RotationState()
        #expect(TipRotation.next(category: "fire", candidates: fire, state: &state) == "tip.fire.001")
        #expect(TipRotation.next(category: "fire", candidates: fire, state: &state) == "tip.fire.002")
        // A library update removes 001 and adds 004.
        let updated = ["tip.fire.002", "tip.fire.003", "tip.fire.004"]
        #expect(TipRotation.next(category: "fire", candidates: updated, state: &state) == "tip.fire.003")
        #expect(TipRotation.next(category: "fire", candidates: updated, state: &state) == "tip.fire.004")
        // All of the current candidates played: a new cycle, not starting with 004.
        #expect(TipRotation.next(category: "fire", candidates: updated, state: &state) == "tip.fire.002")
        #expect(state.played["fire"] == ["tip.fire.002"])
    }

    @Test("a day's tip that is no longer a candidate is replaced that day")
    func todayReplacedWhenWithdrawn() {
        var state = RotationState()
        let date = day("2026-10-12")
        #expect(TipRotation.today(category: "fire", on: date, candidates: fire, state: &state) == "tip.fire.001")
        let withdrawn = Array(fire.dropFirst())
        #expect(TipRotation.today(category: "fire", on: date, candidates: withdrawn, state: &state) == "tip.fire.002")
        #expect(TipRotation.today(category: "fire", on: date, candidates: withdrawn, state: &state) == "tip.fire.002")
    }

    @Test("no candidates: nil, and the state is unchanged")
    func emptyCandidates() {
        var state = RotationState()
        _ = TipRotation.next(category: "fire", candidates: fire, state: &state)
        let before = state
        #expect(TipRotation.next(category: "fire", candidates: [], state: &state) == nil)
        #expect(TipRotation.today(category: "fire", on: day("2026-10-12"), candidates: [], state: &state) == nil)
        #expect(TipRotation.today(category: "mental", on: day("2026-10-12"), candidates: [], state: &state) == nil)
        #expect(state == before)
    }

    @Test("the days' tips are kept for about two weeks")
    func todayIsPruned() {
        var state = RotationState()
        let many = (1...40).map { "tip.cases.\($0)" }
        _ = days(30, from: "2026-09-01", category: "cases", candidates: many, state: &state)
        let last = day("2026-09-30")
        let kept = state.today.keys.compactMap { LocalDate(String($0.prefix(10))) }
        #expect(kept.count == state.today.count)
        #expect(kept.allSatisfy { $0.distance(to: last) <= 14 })
        #expect(kept.count == 15)
        #expect(state.today["2026-09-30|cases"] == "tip.cases.30")
    }
}

@Suite("Tip rotation: grade bands and seasons")
struct TipRotationBandsAndSeasonsTests {
    let october = day("2026-10-12")  // autumn
    let july = day("2026-07-01")  // summer

    @Test("only tips for one of the school's bands are chosen")
    func bands() {
        let pool = [
            RotationTip(id: "tip.fire.001", grades: [.lowerPrimary]),
            RotationTip(id: "tip.fire.002", grades: [.juniorMiddle]),
            RotationTip(id: "tip.fire.003", grades: [.upperPrimary, .juniorMiddle]),
            RotationTip(id: "tip.fire.004"),
        ]
        var state = RotationState()
        let primary: Set<GradeBand> = [.lowerPrimary, .upperPrimary]
        let picks = (0..<6).map { _ in
            TipRotation.pick(.tipNext, category: "fire", on: october, pool: pool, grades: primary, state: &state)
        }
        #expect(picks == ["tip.fire.001", "tip.fire.003", "tip.fire.004", "tip.fire.001", "tip.fire.003", "tip.fire.004"])
        var middle = RotationState()
        #expect(
            TipRotation.pick(.tipNext, category: "fire", on: october, pool: pool, grades: [.juniorMiddle], state: &middle)
                == "tip.fire.002")
        var none = RotationState()
        let upperOnly = [RotationTip(id: "tip.fire.001", grades: [.upperPrimary])]
        #expect(
            TipRotation.pick(.tipNext, category: "fire", on: october, pool: upperOnly, grades: [.lowerPrimary], state: &none)
                == nil)
    }

    @Test("a tip plays only in its season, and the season's own tips come before the all-year ones")
    func seasons() {
        let pool = [
            RotationTip(id: "tip.outdoor.001"),
            RotationTip(id: "tip.outdoor.002", season: .summer),
            RotationTip(id: "tip.outdoor.003", season: .winter),
            RotationTip(id: "tip.outdoor.004"),
        ]
        var state = RotationState()
        let summer = (0..<3).map { _ in
            TipRotation.pick(.tipNext, category: "outdoor", on: july, pool: pool, state: &state)
        }
        #expect(summer == ["tip.outdoor.002", "tip.outdoor.001", "tip.outdoor.004"])
        // The winter tip has not played: the cycle waits for it, repeating the in-season tip heard longest ago.
        #expect(TipRotation.pick(.tipNext, category: "outdoor", on: july, pool: pool, state: &state) == "tip.outdoor.002")
        #expect(TipRotation.pick(.tipNext, category: "outdoor", on: july, pool: pool, state: &state) == "tip.outdoor.001")
        // Winter comes: the winter tip first, which completes the cycle; the next pick starts a new one.
        let january = day("2027-01-11")
        #expect(TipRotation.pick(.tipNext, category: "outdoor", on: january, pool: pool, state: &state) == "tip.outdoor.003")
        #expect(state.played["outdoor"]?.count == 4)
        #expect(TipRotation.pick(.tipNext, category: "outdoor", on: january, pool: pool, state: &state) == "tip.outdoor.001")
        #expect(state.played["outdoor"] == ["tip.outdoor.001"])
        // Nothing in season: no tip rather than one out of season.
        var empty = RotationState()
        let summerOnly = [RotationTip(id: "tip.outdoor.002", season: .summer)]
        #expect(TipRotation.pick(.tipToday, category: "outdoor", on: january, pool: summerOnly, state: &empty) == nil)
    }

    @Test("tip:today is one tip a day for the school's bands; culture:next is a rotation of its own")
    func todayAndCulture() {
        let pool = [RotationTip(id: "tip.law.001", grades: [.juniorMiddle]), RotationTip(id: "tip.law.002")]
        var state = RotationState()
        for _ in 0..<3 {
            #expect(
                TipRotation.pick(.tipToday, category: "law", on: october, pool: pool, grades: [.lowerPrimary], state: &state)
                    == "tip.law.002")
        }
        let culture = (1...3).map { RotationTip(id: "culture.00\($0)") }
        let picks = (0..<4).map { _ in
            TipRotation.pick(.cultureNext, category: "culture", on: october, pool: culture, state: &state)
        }
        #expect(picks == ["culture.001", "culture.002", "culture.003", "culture.001"])
        #expect(TipRotation.pick(.play("bell.start"), category: "law", on: october, pool: pool, state: &state) == nil)
    }

    @Test("the season of a date: spring March–April, summer May–August, autumn September–November, winter the rest")
    func seasonOfDate() {
        #expect(ClipSeason(of: day("2026-04-30")) == .spring)
        #expect(ClipSeason(of: day("2026-05-01")) == .summer)
        #expect(ClipSeason(of: day("2026-08-31")) == .summer)
        #expect(ClipSeason(of: day("2026-11-30")) == .autumn)
        #expect(ClipSeason(of: day("2026-12-01")) == .winter)
        #expect(ClipSeason(of: day("2027-02-28")) == .winter)
        #expect(ClipSeason.all.holds(day("2026-07-01")))
        #expect(!ClipSeason.winter.holds(day("2026-07-01")))
    }

    @Test("grade bands: the set as stored, the old single names, and what is refused")
    func gradeText() {
        #expect(GradeBand.text(GradeBand.all) == "lower-primary,upper-primary,junior-middle")
        #expect(GradeBand.text([.juniorMiddle, .lowerPrimary]) == "lower-primary,junior-middle")
        #expect(GradeBand.bands(fromText: "upper-primary,junior-middle") == [.upperPrimary, .juniorMiddle])
        #expect(GradeBand.bands(fromText: "primary") == [.lowerPrimary, .upperPrimary])
        #expect(GradeBand.bands(fromText: "high") == [.juniorMiddle])
        #expect(GradeBand.bands(fromText: "all") == GradeBand.all)
        #expect(GradeBand.bands(fromText: "") == nil)
        #expect(GradeBand.bands(fromText: "senior-high") == nil)
        #expect(GradeBand.bands(fromText: "lower-primary,") == nil)
    }
}
