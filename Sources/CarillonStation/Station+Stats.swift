public import CarillonProtocol
import CarillonCore
import CarillonStore
import Foundation

extension Station {
    /// `stats`: what the school broadcast in a window, as totals and optionally by group. The
    /// counting rules are `Store.stats`'s; days end at the schedule's midnights.
    public func stats(_ args: StatsArgs) async throws(WireError) -> StatsResult {
        var grouping: StatsGrouping?
        if let by = args.by {
            guard let parsed = StatsGrouping(rawValue: by) else {
                throw WireError(.invalidArguments, "`by` must be one of \(StatsArgs.groupings.joined(separator: ", ")), not `\(by)`")
            }
            grouping = parsed
        }
        if let from = args.from, let to = args.to, from > to {
            throw WireError(.invalidArguments, "`from` must not be after `to`")
        }
        let timeZone = active?.schedule.timeZone ?? .current
        await flushWrites()  // counts every play that ended before the question
        do {
            let report = try await store.stats(StatsQuery(from: args.from, to: args.to, by: grouping, timeZone: timeZone))
            return StatsResult(
                from: args.from, to: args.to, by: args.by, timezone: active?.schedule.timeZoneName ?? timeZone.identifier, total: report.total,
                rows: grouping == nil ? nil : report.groups.map { StatsRow(group: $0.key, counts: $0.counters) })
        } catch {
            throw WireError(.internal, error.description)
        }
    }
}
