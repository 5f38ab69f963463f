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
