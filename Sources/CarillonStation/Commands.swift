import CarillonControl
import CarillonProtocol
import Foundation

/// The command table: every command the daemon answers, with the role it needs and whether it is
/// audited, in one place. `auth` is the server's own (see `CommandSpec.auth`).
enum Commands {
    /// - Parameter desk: booked announcements, a concern of its own that the table reaches directly.
    static func table(station: Station, announcements desk: AnnouncementDesk) -> [CommandSpec] {
        let groups = station.zoneGroups
        // Every command whose arguments name zones sees zone groups expanded, by whatever transport.
        return commands(station: station, desk: desk).map { $0.expandingZones { groups.expand($0) } }
    }

    private static func commands(station: Station, desk: AnnouncementDesk) -> [CommandSpec] {
        [
            .command(.hello, role: nil, arguments: HelloArgs.self) { args, _ throws(WireError) in
                guard args.protocols.contains(protocolVersion) else {
                    throw WireError(.unsupportedProtocol, "this daemon speaks protocol \(protocolVersion) only")
                }
                return HelloResult(protocolVersion: protocolVersion, server: "carillond", version: Station.version)
            },
            .command(.status, role: .viewer, arguments: Empty.self) { _, _ in await station.status() },
            .command(.metrics, role: .viewer, arguments: Empty.self) { _, _ in await station.metricsText() },
            .stream(.events, role: .viewer, arguments: EventsArgs.self) { args, session throws(WireError) in
                try await station.streamEvents(args, to: session)
            },
            .command(.play, role: .teacher, audited: true, arguments: PlayArgs.self) { args, peer throws(WireError) in
                let play = { @Sendable () async throws(WireError) in
                    try await station.play(args, by: peer.description, role: peer.identity?.role ?? .viewer)
                }
                return try await args.level == "emergency" ? urgent(play) : play()
            },
            .command(.stop, role: .teacher, audited: true, arguments: StopArgs.self) { args, peer throws(WireError) in
                try await urgent { () throws(WireError) in try await station.stop(args, by: peer.description, identity: peer.identity) }
            }.inEmergencyLane(),
            .stream(.shout, role: .teacher, audited: true, arguments: ShoutArgs.self) { args, session throws(WireError) in
                try await station.shout(args, session: session)
            },
            .command(.wait, role: .viewer, arguments: WaitArgs.self) { args, _ throws(WireError) in try await station.wait(args) },
            .command(.say, role: .teacher, audited: true, arguments: SayArgs.self) { args, peer throws(WireError) in
                try await station.say(args, by: peer.description)
            },
            .command(.sayPreview, role: .teacher, arguments: SayPreviewArgs.self) { args, _ throws(WireError) in
                try await station.sayPreview(args)
            },
            .command(.libraryList, role: .viewer, arguments: LibraryListArgs.self) { args, _ throws(WireError) in
                try await station.libraryList(args)
            },
            .command(.libraryShow, role: .viewer, arguments: LibraryShowArgs.self) { args, _ throws(WireError) in
                try await station.libraryShow(args)
            },
            .command(.libraryRender, role: .admin, audited: true, arguments: RenderArgs.self) { args, _ in
                await station.libraryRender(args)
            },
            .command(.libraryProgress, role: .viewer, arguments: Empty.self) { _, _ in await station.libraryProgress() },
            // Uploads are audited once, at `library.import`; their chunks would only flood the log.
            .command(.libraryUpload, role: .admin, arguments: UploadArgs.self) { args, _ throws(WireError) in
                try await station.upload(args)
            },
            .command(.libraryChunk, role: .admin, arguments: ChunkArgs.self) { args, _ throws(WireError) in
                try await station.chunk(args)
            },
            .command(.libraryImport, role: .admin, audited: true, arguments: ImportArgs.self) { args, peer throws(WireError) in
                try await station.importClip(args, by: peer.description)
            },
            .command(.scheduleShow, role: .viewer, arguments: Empty.self) { _, _ throws(WireError) in try await station.scheduleShow() },
            .command(.scheduleNext, role: .viewer, arguments: ScheduleNextArgs.self) { args, _ throws(WireError) in
                try await station.scheduleNext(args)
            },
            .command(.scheduleApply, role: .admin, audited: true, arguments: ScheduleApplyArgs.self) { args, peer throws(WireError) in
                try await station.scheduleApply(args, by: peer.description)
            },
            .command(.scheduleHistory, role: .viewer, arguments: Empty.self) { _, _ throws(WireError) in
                try await station.scheduleHistory()
            },
            .command(.scheduleRollback, role: .admin, audited: true, arguments: ScheduleRollbackArgs.self) { args, peer throws(WireError) in
                try await station.scheduleRollback(args, by: peer.description)
            },
            // A bundle is uploaded like a clip, under the bureau's role; it is audited once, when applied.
            .command(.bundleUpload, role: .bureau, arguments: UploadArgs.self) { args, _ throws(WireError) in
                try await station.upload(args)
            },
            .command(.bundleChunk, role: .bureau, arguments: ChunkArgs.self) { args, _ throws(WireError) in
                try await station.chunk(args)
            },
            .command(.bundleApply, role: .bureau, audited: true, arguments: BundleApplyArgs.self) { args, peer throws(WireError) in
                try await station.bundleApply(args, by: peer.description, role: peer.identity?.role ?? .viewer)
            },
            .command(.logPlays, role: .viewer, arguments: LogArgs.self) { args, _ throws(WireError) in
                try await station.logPlays(args)
            },
            .command(.stats, role: .viewer, arguments: StatsArgs.self) { args, _ throws(WireError) in try await station.stats(args) },
            .command(.logAudit, role: .admin, arguments: AuditArgs.self) { args, _ throws(WireError) in
                try await station.logAudit(args)
            },
            .command(.planList, role: .viewer, arguments: Empty.self) { _, _ in await station.planList() },
            .command(.planStatus, role: .viewer, arguments: Empty.self) { _, _ in await station.planStatus() },
            .command(.planStart, role: .leader, audited: true, arguments: PlanStartArgs.self) { args, peer throws(WireError) in
                try await urgent { () throws(WireError) in try await station.planStart(args, by: peer.description) }
            }.inEmergencyLane(),
            .command(.planStop, role: .leader, audited: true, arguments: PlanStopArgs.self) { args, peer throws(WireError) in
                try await urgent { () throws(WireError) in try await station.planStop(args, by: peer.description) }
            }.inEmergencyLane(),
            // A person acknowledges their own task: the identity is the one acknowledged.
            .command(.planAck, role: .viewer, audited: true, arguments: PlanAckArgs.self) { args, peer throws(WireError) in
                try await station.planAck(args, person: peer.name)
            },
            // The phone console: pairing is the admin's; `web.redeem` and `web.session` are what the
            // console's server runs, as the admin peer `console`, when a phone pairs or comes back.
            .command(.webPair, role: .admin, audited: true, arguments: WebPairArgs.self) { args, _ throws(WireError) in
                try await station.webPair(args)
            },
            .command(.webDevices, role: .admin, arguments: Empty.self) { _, _ throws(WireError) in try await station.roster.devices() },
            .command(.webRevoke, role: .admin, audited: true, arguments: WebRevokeArgs.self) { args, _ throws(WireError) in
                try await station.roster.revoke(args)
            },
            .command(.webRedeem, role: .admin, audited: true, arguments: WebRedeemArgs.self) { args, _ throws(WireError) in
                try await station.roster.redeem(args)
            },
            .command(.webSession, role: .admin, arguments: WebSessionArgs.self) { args, _ throws(WireError) in
                try await station.roster.session(args)
            },
            .command(.logPlans, role: .viewer, arguments: PlanLogArgs.self) { args, _ throws(WireError) in
                try await station.planLog(args)
            },
            // The city link's way in (and a bureau tool's over TCP): the alert is checked whole here.
            .command(.cityAlert, role: .bureau, audited: true, arguments: CityAlertArgs.self) { args, peer throws(WireError) in
                try await urgent { () async throws(WireError) in await station.cityAlert(args, by: peer.description) }
            }.inEmergencyLane(),
            .command(.announce, role: .teacher, audited: true, arguments: AnnounceArgs.self) { args, peer throws(WireError) in
                try await desk.book(args, by: peer)
            },
            .command(.announceList, role: .viewer, arguments: AnnounceListArgs.self) { args, peer throws(WireError) in
                try await desk.list(args, by: peer)
            },
            .command(.announceCancel, role: .teacher, audited: true, arguments: AnnounceCancelArgs.self) { args, peer throws(WireError) in
                try await desk.cancel(args, by: peer)
            },
            .command(.adminBackup, role: .admin, audited: true, arguments: Empty.self) { _, _ throws(WireError) in
                try await station.backup()
            },
            .command(.adminRestore, role: .admin, audited: true, arguments: RestoreArgs.self) { args, _ throws(WireError) in
                try await station.restore(args)
            },
        ]
    }
}

/// Runs a command at high priority, ahead of the other clients' requests waiting for the Station
/// (see `atHighPriority`): an emergency plan or a stop must not queue behind a flood of `status`.
/// Not cancelled when its client goes: a plan started stays started.
func urgent<T: Sendable>(_ body: @escaping @Sendable () async throws(WireError) -> T) async throws(WireError) -> T {
    try await Task(priority: .high) { () async -> Result<T, WireError> in
        do throws(WireError) { return .success(try await body()) } catch { return .failure(error) }
    }.value.get()
}
