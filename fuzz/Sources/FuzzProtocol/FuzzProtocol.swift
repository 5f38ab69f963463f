import CLibFuzzer
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
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let line = Data(UnsafeBufferPointer(start: start, count: count))
    let decoder = Wire.decoder()
    if let plain = RequestScanner.scan(line) {
        let head = try? decoder.decode(RequestHead.self, from: line)
        guard let head, head.id == plain.id, head.cmd == plain.cmd, (try? decoder.decode(Request<Empty>.self, from: line)) != nil
        else { fatalError("RequestScanner read \(plain), JSONDecoder \(String(describing: head))") }
    }
    guard let head = try? decoder.decode(RequestHead.self, from: line) else {
        // The refusal echoes the id when it can read one.
        _ = try? decoder.decode(IDOnly.self, from: line)
        return 0
    }
    _ = head.id?.description
    guard let name = CommandName(rawValue: head.cmd) else { return 0 }
    switch name {
    case .hello: check(HelloArgs.self, line)
    case .auth: check(AuthArgs.self, line)
    case .status, .metrics, .libraryProgress, .scheduleShow, .scheduleHistory, .planList, .planStatus, .adminBackup:
        check(Empty.self, line)
    case .events: check(EventsArgs.self, line)
    case .play: check(PlayArgs.self, line)
    case .stop: check(StopArgs.self, line)
    case .shout: check(ShoutArgs.self, line)
    case .wait: check(WaitArgs.self, line)
    case .say: check(SayArgs.self, line)
    case .libraryList: check(LibraryListArgs.self, line)
    case .libraryShow: check(LibraryShowArgs.self, line)
    case .libraryRender: check(RenderArgs.self, line)
    case .libraryUpload, .bundleUpload: check(UploadArgs.self, line)
    case .libraryChunk, .bundleChunk: check(ChunkArgs.self, line)
    case .libraryImport: check(ImportArgs.self, line)
    case .scheduleNext: check(ScheduleNextArgs.self, line)
    case .scheduleApply: check(ScheduleApplyArgs.self, line)
    case .scheduleRollback: check(ScheduleRollbackArgs.self, line)
    case .bundleApply: check(BundleApplyArgs.self, line)
    case .logPlays: check(LogArgs.self, line)
    case .stats: check(StatsArgs.self, line)
    case .logAudit: check(AuditArgs.self, line)
    case .planStart: check(PlanStartArgs.self, line)
    case .planStop: check(PlanStopArgs.self, line)
    case .logPlans: check(PlanLogArgs.self, line)
    case .adminRestore: check(RestoreArgs.self, line)
    }
    return 0
}

private struct IDOnly: Decodable { var id: RequestID? }

private func check<A: Codable & Sendable & Hashable>(_ type: A.Type, _ line: Data) {
    guard var args = try? Wire.decoder().decode(Request<A>.self, from: line).args else { return }
    // A caller limited to some zones: `all` or absent becomes theirs (CommandSpec.admit).
    if var scoped = args as? any ZoneTargeting {
        let asked = scoped.zones ?? ["all"]
        if asked == ["all"] { scoped.zones = ["teaching"] }
        if let narrowed = scoped as? A { args = narrowed }
    }
    let encoded: Data
    do { encoded = try Wire.encoder().encode(args) } catch {
        fatalError("decoded \(A.self) does not encode: \(error)")
    }
    if let fast = WireJSON.encode(args), fast != Array(encoded) {
        fatalError("WireJSON wrote \(String(decoding: fast, as: UTF8.self)), JSONEncoder \(String(decoding: encoded, as: UTF8.self))")
    }
    let again: A
    do { again = try Wire.decoder().decode(A.self, from: encoded) } catch {
        fatalError("\(A.self) encoded as \(String(decoding: encoded, as: UTF8.self)) does not decode: \(error)")
    }
    if again != args {
        fatalError("\(A.self) changed in a round trip: \(args) -> \(String(decoding: encoded, as: UTF8.self)) -> \(again)")
    }
}

/// The executable's entry: SwiftPM links `main` to `FuzzProtocol_main`; libFuzzer parses the arguments.
@_cdecl("FuzzProtocol_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
