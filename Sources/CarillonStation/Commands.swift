import CarillonControl
import CarillonProtocol

/// The command table: every command the daemon answers, in one place.
enum Commands {
    static func table(station: Station) -> Dispatcher {
        Dispatcher([
            .command(.hello, arguments: HelloArgs.self) { args, _ throws(WireError) in
                guard args.protocols.contains(protocolVersion) else {
                    throw WireError(.unsupportedProtocol, "this daemon speaks protocol \(protocolVersion) only")
                }
                return HelloResult(protocolVersion: protocolVersion, server: "carillond", version: Station.version)
            },
            .command(.status, arguments: Empty.self) { _, _ in await station.status() },
            .command(.metrics, arguments: Empty.self) { _, _ in await station.metricsText() },
            .command(.adminBackup, arguments: Empty.self) { _, _ throws(WireError) in try await station.backup() },
            .command(.adminRestore, arguments: RestoreArgs.self) { args, _ throws(WireError) in
                try await station.restore(args)
            },
            .command(.play, arguments: PlayArgs.self) { args, peer throws(WireError) in
                try await station.play(args, by: peer.address)
            },
            .command(.stop, arguments: StopArgs.self) { args, peer throws(WireError) in
                try await station.stop(args, by: peer.address)
            },
            .command(.wait, arguments: WaitArgs.self) { args, _ throws(WireError) in try await station.wait(args) },
            .command(.say, arguments: SayArgs.self) { args, peer throws(WireError) in
                try await station.say(args, by: peer.address)
            },
            .command(.libraryList, arguments: LibraryListArgs.self) { args, _ throws(WireError) in
                try await station.libraryList(args)
            },
            .command(.libraryShow, arguments: LibraryShowArgs.self) { args, _ throws(WireError) in
                try await station.libraryShow(args)
            },
            .command(.libraryRender, arguments: RenderArgs.self) { args, _ in await station.libraryRender(args) },
            .command(.libraryProgress, arguments: Empty.self) { _, _ in await station.libraryProgress() },
            .command(.libraryUpload, arguments: UploadArgs.self) { args, _ throws(WireError) in
                try await station.upload(args)
            },
            .command(.libraryChunk, arguments: ChunkArgs.self) { args, _ throws(WireError) in
                try await station.chunk(args)
            },
            .command(.libraryImport, arguments: ImportArgs.self) { args, peer throws(WireError) in
                try await station.importClip(args, by: peer.address)
            },
            .command(.scheduleShow, arguments: Empty.self) { _, _ throws(WireError) in try await station.scheduleShow() },
            .command(.scheduleNext, arguments: ScheduleNextArgs.self) { args, _ throws(WireError) in
                try await station.scheduleNext(args)
            },
            .command(.scheduleApply, arguments: ScheduleApplyArgs.self) { args, peer throws(WireError) in
                try await station.scheduleApply(args, by: peer.address)
            },
        ])
    }
}
