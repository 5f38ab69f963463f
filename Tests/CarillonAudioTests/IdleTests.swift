import CarillonAudio
import CarillonTesting
import Foundation
import Testing

/// An idle output sleeps while its device plays silence; a sound that starts cuts in one period
/// ahead of the speaker, and the capture stays a timeline: frame `f` sounded at `start + f/rate`.
@Suite("An idle output", .ownThread)
struct IdleTests {
    /// One period at the default 5 ms: what a sound cutting into idle silence leaves queued ahead of it.
    private static let margin = 240

    @Test("queued silence is rewound when a sound starts: it lands one period ahead, where the capture has it")
    func queuedCutIn() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory, idle: .queued, milliseconds: 1000)
        defer { rig.engine.shutdown() }
        // A second of silence has played: the device holds about as much again, queued ahead.
        try rig.capture.waitForSize(48000 * 4)

        let clip = WAVFile.noise(frames: 9600, channels: 2, seed: 11)
        try rig.play(clip, id: 1)
        let (start, queued) = try await rig.started(1)
        #expect(queued <= Self.margin, "the queued silence was taken back down to one period: \(queued) frames ahead")
        #expect(start >= 48000, "the sound follows the silence already played")
        let end1 = try await rig.ended(1)
        #expect(end1.reason == .finished && end1.frames == 9600)

        // The silence taken back never reached the capture: the clip sits exactly at the frame reported.
        try rig.capture.waitForSize((start + 9600 + 4800) * 4)
        let captured = rig.capture.samples()
        #expect(captured[..<(start * 2)].allSatisfy { $0 == 0 }, "only silence before the sound")
        #expect(Array(captured[(start * 2)..<(start * 2 + clip.count)]) == clip)
        #expect(captured[(start * 2 + clip.count)..<((start + 9600 + 4800) * 2)].allSatisfy { $0 == 0 }, "silence after it")
    }

    @Test("a rewind takes back only silence: a sound started as another ends follows it, which sounds whole")
    func rewindKeepsAudio() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory, idle: .queued, milliseconds: 1000)
        defer { rig.engine.shutdown() }
        let first = WAVFile.noise(frames: 12000, channels: 2, seed: 21)
        let second = WAVFile.noise(frames: 12000, channels: 2, seed: 22)
        try rig.play(first, id: 1)
        let (a, _) = try await rig.started(1)
        let end1 = try await rig.ended(1)
        #expect(end1.reason == .finished && end1.frames == 12000)
        // The first's last periods are still queued, with idle silence written after them.
        try rig.play(second, id: 2)
        let (b, _) = try await rig.started(2)
        #expect(b >= a + 12000, "the second starts after the first's last frame: \(b) < \(a + 12000)")
        let end2 = try await rig.ended(2)
        #expect(end2.reason == .finished && end2.frames == 12000)

        try rig.capture.waitForSize((b + 12000) * 4)
        let captured = rig.capture.samples()
        #expect(Array(captured[(a * 2)..<(a * 2 + first.count)]) == first, "the first sounded whole")
        #expect(captured[((a + 12000) * 2)..<(b * 2)].allSatisfy { $0 == 0 })
        #expect(Array(captured[(b * 2)..<(b * 2 + second.count)]) == second, "the second sounded whole")
    }

    @Test("on a PCM that does not play in real time, idle silence is written as time passes, and a sound lands one period ahead")
    func lateSilence() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory, idle: .automatic, milliseconds: 500)
        defer { rig.engine.shutdown() }
        // The thread sleeps, yet the capture keeps up with the time that passed.
        try rig.capture.waitForSize(48000 * 4)

        let clip = WAVFile.noise(frames: 4800, channels: 2, seed: 31)
        try rig.play(clip, id: 1)
        let (start, queued) = try await rig.started(1)
        #expect(queued <= Self.margin, "\(queued) frames ahead")
        #expect(start >= 48000)
        let end1 = try await rig.ended(1)
        #expect(end1.reason == .finished && end1.frames == 4800)

        try rig.capture.waitForSize((start + 4800 + 4800) * 4)
        let captured = rig.capture.samples()
        #expect(captured[..<(start * 2)].allSatisfy { $0 == 0 })
        #expect(Array(captured[(start * 2)..<(start * 2 + clip.count)]) == clip)
    }
}
