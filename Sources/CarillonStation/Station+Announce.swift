import CarillonAudio
import CarillonCore
import CarillonProtocol
import CarillonStore
import Foundation

/// What the announcement desk asks of the Station: the zones and clips of the school now, and the
/// play of a booked text. The desk keeps its own state (`AnnouncementDesk`).
extension Station {
    /// The zones a request names, zone groups and `all` expanded, checked against the school's, in
    /// the school's order: for every play and booking.
    func resolveZones(_ names: [String]?) throws(WireError) -> [String] {
        do {
            return try (names ?? []).map { ZoneName($0) }.resolved(against: config.zoneNames, groups: config.zoneGroups)
                .map(\.rawValue)
        } catch {
            // Name the zones there are, so a typo can be put right without reading the config.
            throw WireError(
                .unknownZone,
                error.description + "; the zones are " + config.zoneNames.map(\.rawValue).joined(separator: ", ")
                    + config.zoneGroups.listed)
        }
    }

    /// Whether the library has the clip `id`.
    func hasClip(_ id: String) -> Bool { library.clips[id] != nil }

    /// The clip that stands for a spoken text: its speech is rendered into the cache under it.
    nonisolated static func spokenClip(_ text: String, voice: String) -> Clip {
        Clip(id: "say", category: .message, title: String(text.prefix(40)), source: .speech(text: text, voice: voice))
    }

    /// Reads a booked text at the announcement level, after the pre-announce chime, as `say` does,
    /// from the speech rendered when it was booked (rendered now if the cache lost it).
    func sayRendered(_ text: String, voice: String, zones: [String], by peer: String) async throws(WireError)
        -> PlayInfo
    {
        let clip = Self.spokenClip(text, voice: voice)
        let renderer = self.renderer
        let chimeClip = library.clips["chime.pre-announce"]
        let audio: PCMBuffer
        do {
            audio = try await offPoolThrowing { () throws(AudioError) in
                let format = AudioFormat(sampleRate: 48000, channels: 1)
                let path: String
                if let cached = renderer.cachedFile(for: clip) {
                    path = cached
                } else {
                    path = try renderer.file(for: clip)
                }
                let speech = try PCMBuffer.decode(path: path, to: format)
                guard let chimeClip else { return speech }
                let chime = try PCMBuffer.decode(path: try renderer.file(for: chimeClip), to: format)
                return chime.appending(.silence(seconds: 0.3, format: format)).appending(speech)
            }
        } catch {
            throw WireError(.badAudio, error.message)
        }
        return try await start(
            clip: clip, audio: .buffer(audio), level: .announcement, zones: zones, source: "announce", by: peer)
    }

    /// Logs a booked announcement that will not play, as the scheduler logs a missed event: a play
    /// row whose outcome is `missed`, so that `log` and `stats` count it. - Returns: its play id.
    func recordMissedAnnouncement(clip: String, zones: [String], due: Date, by peer: String, detail: String) async
        -> PlayID
    {
        let id = nextPlayID
        nextPlayID += 1
        await logMissed(
            PlayRecord(
                id: id, clip: clip, zones: zones, level: Level.announcement.rawValue, source: "announce", requestedBy: peer,
                requestedAt: due),
            detail: detail)
        return id
    }

    /// Removes the render of a booked text once no booking needs it, unless a library clip speaks
    /// the same text: the cache would otherwise keep every text ever booked. Anyone who needs it
    /// later renders it again.
    func discardRenderedText(_ text: String, voice: String) {
        let source = ClipSource.speech(text: text, voice: voice)
        guard !library.clips.values.contains(where: { $0.source == source }),
            let path = renderer.cachedFile(for: Self.spokenClip(text, voice: voice))
        else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The zone groups for `status`; nil when the school has none.
    var zoneGroupInfo: [ZoneGroupInfo]? {
        config.zoneGroups.isEmpty
            ? nil : config.zoneGroups.groups.map { ZoneGroupInfo(name: $0.name, zones: $0.zones.map(\.rawValue)) }
    }
}
