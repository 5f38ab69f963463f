import ArgumentParser
import CarillonAudio
import CarillonControl
import CarillonProtocol
import CarillonSpeech
import Foundation
import Synchronization

extension Carillon {
    struct Shout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Speak live to zones: from the microphone, a file, or text read aloud."),
            discussion: Message.about("""
                The voice is sent as Opus in 20 ms frames as it is captured. From the microphone it runs
                until ^C or --seconds; from a file or text, until the audio ends. An emergency cuts a shout.
                """))
        @ParentCommand var root: Carillon
        @OptionGroup var zones: ZoneSelection
        @Option(help: Message.help("The ALSA capture device (the default source).")) var mic: String?
        @Option(help: Message.help("An audio file to send instead of the microphone.")) var file: String?
        @Option(help: Message.help("Text to read aloud (Mandarin) instead of the microphone.")) var tts: String?
        @Flag(help: Message.help("Play the pre-announce chime first.")) var chime = false
        @Option(help: Message.help("Stop after this many seconds.")) var seconds: Double?

        func validate() throws {
            if [mic, file, tts].compactMap({ $0 }).count > 1 { throw ValidationError(Message.oneVoiceSource.text) }
            if let seconds, !(seconds > 0) { throw ValidationError(Message.secondsPositive.text) }
        }

        func run() async throws {
            let source = try openSource()
            let ended = try await root.connection.with { connection in
                let accepted = try await connection.call(
                    .shout, ShoutArgs(zones: try zones.names, chime: chime), returning: ShoutAccepted.self)
                StandardError.write(Message.onTheAir(play: accepted.play, zones: accepted.zones).text + "\n")
                return try await stream(source, over: connection, maxSeconds: seconds)
            }
            if let ended {
                print(Message.shoutEnded(play: ended.play ?? 0, outcome: ended.outcome, detail: ended.detail).text)
                if ended.outcome == "cut" { throw ExitCode(1) }
            }
        }

        /// The audio to send, as 48 kHz mono.
        private func openSource() throws -> any VoiceSource {
            let format = AudioFormat(sampleRate: opusSampleRate, channels: 1)
            if let file {
                do { return BufferSource(try PCMBuffer.decode(path: file, to: format).samples) } catch {
                    throw LocalFailure(message: Message.cannotRead(file, error.message).text)
                }
            }
            if let tts {
                do {
                    let speech = try SpeechSynthesizer().render(tts, voice: .zh)
                    let buffer = PCMBuffer(format: AudioFormat(sampleRate: speech.sampleRate, channels: 1), samples: speech.samples)
                    return BufferSource(try buffer.converted(to: format).samples)
                } catch {
                    throw LocalFailure(message: Message.cannotSpeak("\(error)").text)
                }
            }
            do { return try ALSACapture(device: mic ?? "default", format: format) } catch {
                throw LocalFailure(message: Message.cannotOpenMicrophone(error.message).text)
            }
        }

        /// Sends the voice frame by frame, paced at real time, until the source ends, ^C, the time
        /// limit, or the daemon ends the shout; returns the daemon's `shout.ended` event.
        private func stream(_ source: any VoiceSource, over connection: ControlConnection, maxSeconds: Double?) async throws -> Event? {
            let interrupted = Interrupt()
            let encoder = try OpusVoiceEncoder()
            let frames = maxSeconds.map { Int($0 * 50) } ?? .max
            let daemonEnded = OnceFlag()
            return try await withThrowingTaskGroup(of: Event?.self) { group in
                // The daemon's side: it answers the shout with `shout.ended`, early if it was cut.
                group.addTask {
                    defer { daemonEnded.set() }
                    while let line = try await connection.nextLine() {
                        if let event = try? Wire.decoder().decode(Event.self, from: line), event.event == "shout.ended" {
                            return event
                        }
                    }
                    return nil
                }
                let start = ContinuousClock.now
                var sent = 0
                while sent < frames, !interrupted.fired, !daemonEnded.isSet,
                    let frame = try source.next(samples: opusFrameSamples)
                {
                    let packet = try encoder.encode(frame)
                    do { try await connection.writeLine(Data(Data(packet).base64EncodedString().utf8)) } catch { break }
                    sent += 1
                    // A file or text is sent as fast as a microphone would give it; a microphone
                    // paces itself and this never sleeps.
                    let due = start + .milliseconds(20 * sent)
                    if due > .now { try await Task.sleep(until: due, clock: .continuous) }
                }
                try? await connection.writeLine(Data(".".utf8))
                let ended = try await group.next() ?? nil
                group.cancelAll()
                return ended
            }
        }
    }
}

/// Where a shout's audio comes from: 48 kHz mono frames.
protocol VoiceSource {
    /// The next `samples` samples, zero-padded at the end; nil when there are no more.
    func next(samples: Int) throws -> [Float]?
}

/// A file or rendered text, in memory.
final class BufferSource: VoiceSource {
    private let samples: [Float]
    private var position = 0
    init(_ samples: [Float]) { self.samples = samples }

    func next(samples count: Int) -> [Float]? {
        guard position < samples.count else { return nil }
        var frame = Array(samples[position..<min(position + count, samples.count)])
        position += count
        if frame.count < count { frame += [Float](repeating: 0, count: count - frame.count) }
        return frame
    }
}

extension ALSACapture: VoiceSource {
    func next(samples count: Int) throws -> [Float]? { try read(frames: count) }
}

/// Set by ^C, so that a shout ends with its end marker rather than a dropped connection.
final class Interrupt: @unchecked Sendable {
    private let flag = OnceFlag()
    /// Set once in `init`, never changed: kept only so the handler stays installed.
    private var source: (any DispatchSourceSignal)?

    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT)
        source.setEventHandler { [weak self] in self?.flag.set() }
        source.resume()
        self.source = source
    }

    var fired: Bool { flag.isSet }
}

/// A one-way flag shared between tasks.
final class OnceFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
