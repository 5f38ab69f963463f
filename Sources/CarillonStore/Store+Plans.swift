public import Foundation
import GRDB

/// One run of an emergency plan, with its timeline.
public struct PlanRunRecord: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public var at: Date
        public var step: String
        public init(at: Date, step: String) {
            self.at = at
            self.step = step
        }
    }

    public var id: Int64
    public var plan: String
    public var title: String
    public var drill: Bool
    public var zones: [String]
    public var startedAt: Date
    public var startedBy: String
    public var stoppedAt: Date?
    public var stoppedBy: String?
    public var outcome: String
    public var timeline: [Step]

    public init(
        id: Int64 = 0, plan: String, title: String, drill: Bool, zones: [String], startedAt: Date, startedBy: String,
        stoppedAt: Date? = nil, stoppedBy: String? = nil, outcome: String = "running", timeline: [Step] = []
    ) {
        self.id = id
        self.plan = plan
        self.title = title
        self.drill = drill
        self.zones = zones
        self.startedAt = startedAt
        self.startedBy = startedBy
        self.stoppedAt = stoppedAt
        self.stoppedBy = stoppedBy
        self.outcome = outcome
        self.timeline = timeline
    }
}

extension Store {
    /// Inserts a run (id 0) or replaces it whole; returns its id.
    @discardableResult
    public func savePlanRun(_ run: PlanRunRecord) async throws(StoreError) -> Int64 {
        let timeline = String(decoding: (try? JSONEncoder().encode(run.timeline)) ?? Data("[]".utf8), as: UTF8.self)
        do {
            return try await commit { db in
                let values: [(any DatabaseValueConvertible)?] = [
                    run.plan, run.title, run.drill, run.zones.joined(separator: ","), run.startedAt.microseconds, run.startedBy,
                    run.stoppedAt?.microseconds, run.stoppedBy, run.outcome, timeline,
                ]
                if run.id == 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO plan_run (plan, title, drill, zones, started_at, started_by, stopped_at, stopped_by, outcome, timeline)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, arguments: StatementArguments(values))
                    return db.lastInsertedRowID
                }
                try db.execute(
                    sql: """
                        UPDATE plan_run SET plan = ?, title = ?, drill = ?, zones = ?, started_at = ?, started_by = ?,
                        stopped_at = ?, stopped_by = ?, outcome = ?, timeline = ? WHERE id = ?
                        """, arguments: StatementArguments(values + [run.id]))
                return run.id
            }
        } catch {
            throw StoreError("cannot record the plan run: \(Self.describe(error))")
        }
    }

    /// Plan runs, newest first.
    public func planRuns(limit: Int) async throws(StoreError) -> [PlanRunRecord] {
        try await planRuns(sql: "SELECT * FROM plan_run ORDER BY started_at DESC, id DESC LIMIT ?", [Self.checkedLimit(limit)])
    }

    /// One plan run, by its id.
    public func planRun(id: Int64) async throws(StoreError) -> PlanRunRecord? {
        try await planRuns(sql: "SELECT * FROM plan_run WHERE id = ?", [id]).first
    }

    private func planRuns(sql: String, _ arguments: StatementArguments) async throws(StoreError) -> [PlanRunRecord] {
        do {
            return try await writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    let text: String = row["timeline"]
                    let zones: String = row["zones"]
                    return PlanRunRecord(
                        id: row["id"], plan: row["plan"], title: row["title"], drill: row["drill"],
                        zones: zones.split(separator: ",").map(String.init), startedAt: Date(microseconds: row["started_at"]),
                        startedBy: row["started_by"], stoppedAt: (row["stopped_at"] as Int64?).map(Date.init(microseconds:)),
                        stoppedBy: row["stopped_by"], outcome: row["outcome"],
                        timeline: (try? JSONDecoder().decode([PlanRunRecord.Step].self, from: Data(text.utf8))) ?? [])
                }
            }
        } catch {
            throw StoreError("cannot read the plan runs: \(Self.describe(error))")
        }
    }
}
