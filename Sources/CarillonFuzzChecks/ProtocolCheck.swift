@_spi(Fuzzing) import CarillonControl
import CarillonProtocol
import Foundation

/// One request line as the daemon decodes it (Dispatcher.respond, then CommandSpec.admit): the head
/// first, then the whole request with the arguments of the command it names. The Dispatcher itself
/// lives in CarillonControl (NIO), so its table is mirrored here from CarillonStation/Commands.swift.
/// A decoded request must also encode (the audit log writes its arguments) and decode again to the
/// same value. Two fast paths are checked against Foundation, differentially: a line that
/// `RequestScanner` reads must give `JSONDecoder`'s head and empty arguments, and `WireJSON` must
/// write the bytes `JSONEncoder` writes for every decoded argument value.
enum ProtocolCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let line = Data(input)
        let decoder = Wire.decoder()
        if let plain = RequestScanner.scan(line) {
            let head = try? decoder.decode(RequestHead.self, from: line)
            guard let head, head.id == plain.id, head.cmd == plain.cmd, (try? decoder.decode(Request<Empty>.self, from: line)) != nil
            else { throw FuzzFinding("RequestScanner read \(plain), JSONDecoder \(String(describing: head))") }
        }
        guard let head = try? decoder.decode(RequestHead.self, from: line) else {
            // The refusal echoes the id when it can read one.
            _ = try? decoder.decode(IDOnly.self, from: line)
            return
        }
        _ = head.id?.description
        guard let name = CommandName(rawValue: head.cmd) else { return }
        switch name {
        case .hello: try check(HelloArgs.self, line)
        case .auth: try check(AuthArgs.self, line)
        case .status, .metrics, .libraryProgress, .scheduleShow, .scheduleHistory, .planList, .planStatus, .adminBackup:
            try check(Empty.self, line)
        case .events: try check(EventsArgs.self, line)
        case .play: try check(PlayArgs.self, line)
        case .stop: try check(StopArgs.self, line)
        case .shout: try check(ShoutArgs.self, line)
        case .wait: try check(WaitArgs.self, line)
        case .say: try check(SayArgs.self, line)
        case .libraryList: try check(LibraryListArgs.self, line)
        case .libraryShow: try check(LibraryShowArgs.self, line)
        case .libraryRender: try check(RenderArgs.self, line)
        case .libraryUpload, .bundleUpload: try check(UploadArgs.self, line)
        case .libraryChunk, .bundleChunk: try check(ChunkArgs.self, line)
        case .libraryImport: try check(ImportArgs.self, line)
        case .scheduleNext: try check(ScheduleNextArgs.self, line)
        case .scheduleApply: try check(ScheduleApplyArgs.self, line)
        case .scheduleRollback: try check(ScheduleRollbackArgs.self, line)
        case .bundleApply: try check(BundleApplyArgs.self, line)
        case .logPlays: try check(LogArgs.self, line)
        case .stats: try check(StatsArgs.self, line)
        case .logAudit: try check(AuditArgs.self, line)
        case .planStart: try check(PlanStartArgs.self, line)
        case .planStop: try check(PlanStopArgs.self, line)
        case .logPlans: try check(PlanLogArgs.self, line)
        case .adminRestore: try check(RestoreArgs.self, line)
        case .cityAlert: try check(CityAlertArgs.self, line)
        case .announce: try check(AnnounceArgs.self, line)
        case .announceList: try check(AnnounceListArgs.self, line)
        case .announceCancel: try check(AnnounceCancelArgs.self, line)
        case .planAck: try check(PlanAckArgs.self, line)
        case .sayPreview: try check(SayPreviewArgs.self, line)
        case .webPair: try check(WebPairArgs.self, line)
        case .webDevices: try check(Empty.self, line)
        case .webRevoke: try check(WebRevokeArgs.self, line)
        case .webRedeem: try check(WebRedeemArgs.self, line)
        case .webSession: try check(WebSessionArgs.self, line)
        }
    }

    private struct IDOnly: Decodable { var id: RequestID? }

    private static func check<A: Codable & Sendable & Hashable>(_ type: A.Type, _ line: Data) throws(FuzzFinding) {
        guard var args = try? Wire.decoder().decode(Request<A>.self, from: line).args else { return }
        // A caller limited to some zones: `all` or absent becomes theirs (CommandSpec.admit).
        if var scoped = args as? any ZoneTargeting {
            let asked = scoped.zones ?? ["all"]
            if asked == ["all"] { scoped.zones = ["teaching"] }
            if let narrowed = scoped as? A { args = narrowed }
        }
        let encoded: Data
        do { encoded = try Wire.encoder().encode(args) } catch {
            throw FuzzFinding("decoded \(A.self) does not encode: \(error)")
        }
        if let fast = WireJSON.encode(args), fast != Array(encoded) {
            throw FuzzFinding(
                "WireJSON wrote \(String(decoding: fast, as: UTF8.self)), JSONEncoder \(String(decoding: encoded, as: UTF8.self))")
        }
        let again: A
        do { again = try Wire.decoder().decode(A.self, from: encoded) } catch {
            throw FuzzFinding("\(A.self) encoded as \(String(decoding: encoded, as: UTF8.self)) does not decode: \(error)")
        }
        if again != args {
            throw FuzzFinding("\(A.self) changed in a round trip: \(args) -> \(String(decoding: encoded, as: UTF8.self)) -> \(again)")
        }
    }
}
