import CarillonAudio
import CarillonCore
import CarillonStation
import CarillonTesting
import Foundation
import Testing

@Suite("The shipped library")
struct ShippedLibraryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("audio-library").path

    @Test("loads without errors: over 1,000 spoken clips, 900 tips, 60 in each older subject and 40 in each newer one")
    func catalog() throws {
        let library = try Library.load(directory: Self.root)
        let tips = library.clips.values.filter { $0.category == .tip }
        #expect(tips.count >= 900)
        for (index, subject) in Clip.tipSubjects.enumerated() {
            // The twelve subjects of 2026, then the five added in 2027 (epidemic to intruder).
            #expect(tips.filter { $0.subject == subject }.count >= (index < 12 ? 60 : 40), "subject \(subject)")
        }
        let spoken = library.clips.values.filter { if case .speech = $0.source { true } else { false } }
        #expect(spoken.count >= 1000)
        #expect(library.clips.values.filter { $0.category == .culture }.count >= 30)
        for id in ["msg.fire.evacuate", "msg.earthquake.shaking", "msg.lockdown", "msg.weather.shelter", "msg.drill.prefix"] {
            #expect(library.clips[id]?.category == .message, "\(id)")
        }
        for id in ["bell.start", "bell.prep", "bell.westminster", "chime.pre-announce", "alarm.evacuation", "alarm.earthquake", "alarm.lockdown"] {
            #expect(library.clips[id] != nil, "\(id)")
        }
        // Tips are spoken, in Mandarin, and every text is distinct.
        #expect(tips.allSatisfy { if case .speech(_, "zh") = $0.source { true } else { false } })
        let texts = tips.compactMap { if case .speech(let text, _) = $0.source { text } else { nil } }
        #expect(Set(texts).count == texts.count)
        // The emergency numbers of current national guidance are there, each in its subject.
        for (number, subject) in [("12395", "outdoor"), ("96110", "cyber"), ("12356", "mental"), ("12339", "security")] {
            #expect(tips.contains { $0.subject == subject && text(of: $0).contains(number) }, "\(number) in \(subject)")
        }
        // Seasonal facts are tagged: drowning in summer, gas and carbon monoxide in winter.
        #expect(tips.contains { $0.season == .summer && text(of: $0).contains("溺水") })
        #expect(tips.contains { $0.season == .winter && (text(of: $0).contains("煤气") || text(of: $0).contains("一氧化碳")) })
    }

    private func text(of clip: Clip) -> String { if case .speech(let text, _) = clip.source { text } else { "" } }

    @Test("README states the library's counts as they are")
    func readmeCounts() throws {
        let library = try Library.load(directory: Self.root)
        func count(_ category: ClipCategory) -> Int { library.clips.values.filter { $0.category == category }.count }
        let subjects = Set(library.clips.values.compactMap(\.subject)).count
        let readme = try String(contentsOfFile: Self.root + "/../README.md", encoding: .utf8)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        let sentence = "The library ships \(library.clips.count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) clips: "
            + "\(count(.tip)) safety tips in \(subjects) subjects, \(count(.culture)) campus-culture clips, \(count(.message)) "
            + "emergency messages (all read aloud in Mandarin), \(count(.bell)) bells and chimes and \(count(.alarm)) alarms"
        #expect(readme.contains(sentence), "README should say: \(sentence)")
    }

    @Test("a rendered tip is speech of plausible length at the library's loudness, not silence")
    func renderedTip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try Library.load(directory: Self.root)
        let tip = try #require(library.clips["tip.fire.001"])
        let renderer = Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18)
        let path = try renderer.file(for: tip)
        let audio = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 22050, channels: 1))
        let seconds = Double(audio.frameCount) / 22050
        // 35 characters of Mandarin read at a calm pace.
        #expect(seconds > 3 && seconds < 20, "\(seconds) s")
        let frames = stride(from: 0, to: audio.samples.count - 441, by: 441).map { start in
            Signal.rms(Array(audio.samples[start..<(start + 441)]))
        }
        #expect(Double(frames.filter { $0 > 0.01 }.count) / Double(frames.count) > 0.5, "mostly voiced, not silence")
        #expect(renderer.cachedFile(for: tip) == path)
    }
}
