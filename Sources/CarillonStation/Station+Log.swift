public import CarillonControl
import Logging
public import CarillonProtocol
import CarillonStore
import Foundation

extension Station {
    /// `log.plays`: the play log with its filters.
    public func logPlays(_ args: LogArgs) async throws(WireError) -> LogResult {
        let limit = try Self.limit(args.limit)
        let query = PlayQuery(
            from: args.from, to: args.to, category: args.category, zone: args.zone, source: args.source, level: args.level,
            limit: limit)
        await flushWrites()  // every start and end that happened before the question
        do {
            let rows = try await store.plays(query)
            return LogResult(
                plays: rows.map { row in
                    LoggedPlay(
                        play: row.id, clip: row.clip, category: row.category, zones: row.zones, level: row.level,
                        source: row.source, requestedBy: row.requestedBy, requestedAt: row.requestedAt,
                        firstSampleAt: row.firstSampleAt, latencyMs: row.latency.map { Double($0 / .microseconds(1)) / 1000 },
                        heardAt: row.audibleAt, endedAt: row.endedAt, outcome: row.outcome, detail: row.detail)
                })
        } catch {
            throw WireError(.internal, error.description)
        }
    }

    /// `log.audit`: who changed what.
    public func logAudit(_ args: AuditArgs) async throws(WireError) -> AuditResult {
        let query = AuditQuery(from: args.from, to: args.to, actor: args.actor, command: args.command, limit: try Self.limit(args.limit))
        do {
            return AuditResult(
                entries: try await store.audit(query).map {
                    AuditEntry(
                        at: $0.at, actor: $0.actor, role: $0.role, source: $0.source, command: $0.command,
                        arguments: $0.arguments, ok: $0.ok, errorCode: $0.errorCode, message: $0.message)
                })
        } catch {
            throw WireError(.internal, error.description)
        }
    }

    /// Records one audited command. A failed write is logged and counted against the storage's
    /// health (without a hop onto the actor); the command's answer stands.
    public nonisolated func audit(_ peer: Peer, command: String, arguments: String, result: Result<String?, WireError>) async {
        var record = AuditRecord(
            id: 0, at: Date(), actor: peer.name, role: peer.identity?.role.rawValue ?? "none", source: peer.address,
            command: command, arguments: arguments, ok: true, errorCode: nil, message: nil)
        switch result {
        case .success(let summary): record.message = summary
        case .failure(let error):
            record.ok = false
            record.errorCode = error.code.rawValue
            record.message = error.message
        }
        do {
            _ = try await store.appendAudit(record)
            storage.succeeded()
        } catch {
            storage.failed("audit log", error, metadata: ["command": "\(command)"])
        }
    }

    /// A log query's `limit`: 100 by default, 1 to 10000.
    static func limit(_ limit: Int?) throws(WireError) -> Int {
        let limit = limit ?? 100
        guard (1...10_000).contains(limit) else { throw WireError(.invalidArguments, "`limit` must be 1 to 10000") }
        return limit
    }
}
