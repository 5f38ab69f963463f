public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A text-to-speech program a school licenses: it reads text (or the front-end's pinyin) on standard input and
/// writes a WAV on standard output. Its output is checked before use; any failure is an `ExternalVoiceError`,
/// and the caller falls back to espeak-ng. Blocking (up to `timeout`); thread-safe.
public struct ExternalVoice: Sendable, Hashable {
    /// What the program reads on standard input.
    public enum Input: String, Sendable, Hashable, CaseIterable {
        /// The normalized text (numbers and symbols already in words), as UTF-8.
        case text
        /// The front-end's pinyin, as espeak-ng's pinyin voice gets it (`di4 zhen4, qing3 ...`).
        case pinyin
    }

    /// The program and its arguments; the program is run directly, not through a shell.
    public let command: [String]
    /// What the program reads.
    public let input: Input
    /// How long one text may take before the program is killed.
    public let timeout: Duration

    /// The most WAV bytes accepted (about 12 minutes of 48 kHz 16-bit stereo): more is garbage or a runaway.
    public static let maxOutputBytes = 128 * 1024 * 1024

    /// A voice running `command`; nothing is started until `render`.
    public init(command: [String], input: Input = .text, timeout: Duration = .seconds(20)) {
        self.command = command
        self.input = input
        self.timeout = timeout
    }

    /// Runs the program on one text and returns its checked audio; blocks until it exits or is killed.
    public func render(_ spoken: SpokenText) throws(ExternalVoiceError) -> SpeechAudio {
        let stdin = input == .text ? spoken.normalized : spoken.voiceInput
        let output = try run(stdin: Data(stdin.utf8))
        let audio: SpeechAudio
        do { audio = try WAVReader.read(output) } catch { throw .badOutput("\(error)") }
        guard audio.duration >= 0.1 else {
            throw .badOutput("the WAV holds \(audio.samples.count) samples, under 0.1 s")
        }
        guard audio.samples.contains(where: { abs($0) > 0.001 }) else { throw .badOutput("the WAV is silent") }
        return audio
    }

    /// Starts the program, feeds `stdin`, collects standard output; kills it at the timeout or past the size limit.
    private func run(stdin: Data) throws(ExternalVoiceError) -> Data {
        guard let program = command.first, !program.isEmpty else { throw .cannotStart("no program given") }
        _ = ignoreBrokenPipes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(command.dropFirst())
        let inPipe = Pipe()
        let outPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do { try process.run() } catch { throw .cannotStart("\(program): \(error.localizedDescription)") }

        // Writing and reading on their own threads: a program that neither reads nor exits must not block us.
        let collected = Mutex(Data())
        let overflow = Atomic<Bool>(false)
        let readDone = DispatchSemaphore(value: 0)
        let pid = process.processIdentifier
        DispatchQueue.global().async {
            let handle = outPipe.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                let size = collected.withLock { data in
                    data.append(chunk)
                    return data.count
                }
                if size > Self.maxOutputBytes {
                    overflow.store(true, ordering: .relaxed)
                    kill(pid, SIGKILL)
                    break
                }
            }
            readDone.signal()
        }
        DispatchQueue.global().async {
            let handle = inPipe.fileHandleForWriting
            // A program that exits without reading gives EPIPE here rather than SIGPIPE (see ignoreBrokenPipes).
            try? handle.write(contentsOf: stdin)
            try? handle.close()
        }

        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            kill(pid, SIGKILL)
            exited.wait()
            _ = readDone.wait(timeout: .now() + 1)
            throw .timedOut(seconds: seconds)
        }
        // The program may leave a child holding the pipe open; do not wait for it forever.
        _ = readDone.wait(timeout: .now() + 2)
        if overflow.load(ordering: .relaxed) { throw .badOutput("more than \(Self.maxOutputBytes) bytes of output") }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .failed(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal)
        }
        return collected.withLock { $0 }
    }
}

/// SIGPIPE ignored process-wide, once: writing to a voice that exited must fail with EPIPE, not kill the daemon.
private let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

/// Why an external voice produced no usable audio.
public enum ExternalVoiceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The program could not be started.
    case cannotStart(String)
    /// The program did not finish in time and was killed.
    case timedOut(seconds: Double)
    /// The program exited with a non-zero status or was killed by a signal.
    case failed(status: Int32, signalled: Bool)
    /// What it wrote is not a usable WAV.
    case badOutput(String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .cannotStart(let why): "the external voice cannot be started: \(why)"
        case .timedOut(let seconds): "the external voice did not finish within \(seconds) s and was killed"
        case .failed(let status, let signalled):
            signalled
                ? "the external voice was killed by signal \(status)"
                : "the external voice exited with status \(status)"
        case .badOutput(let why): "the external voice wrote no usable WAV: \(why)"
        }
    }
}

/// A minimal RIFF/WAVE reader for what TTS programs write: PCM 8/16/24/32-bit or float 32, any channel count
/// (mixed to mono). A streamed WAV's unknown sizes (0 or 0xFFFFFFFF) are taken as "to the end".
/// SPI for the fuzz target: what an external program writes is outside input.
@_spi(Fuzzing) public enum WAVReader {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func read(_ data: Data) throws(Failure) -> SpeechAudio {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> UInt32? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3])
                << 24
        }
        func u16(_ at: Int) -> UInt16? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8)
        else {
            throw Failure(description: "it does not start with a RIFF/WAVE header")
        }
        var offset = 12
        var format: (code: UInt16, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            guard let declared = u32(offset + 4) else { break }
            let body = offset + 8
            let available = bytes.count - body
            let size = declared == 0 || Int(declared) > available ? available : Int(declared)
            if id == "fmt " {
                guard size >= 16, var code = u16(body), let channels = u16(body + 2), let rate = u32(body + 4),
                    let bits = u16(body + 14)
                else { throw Failure(description: "its fmt chunk is short") }
                if code == 0xFFFE, size >= 26, let sub = u16(body + 24) { code = sub }  // WAVE_FORMAT_EXTENSIBLE
                format = (code, Int(channels), Int(rate), Int(bits))
            } else if id == "data" {
                guard let format else { throw Failure(description: "its data chunk comes before the fmt chunk") }
                return try decode(bytes[body..<body + size], format: format)
            }
            offset = body + size + (size & 1)
        }
        throw Failure(description: "it has no data chunk")
    }

    private static func decode(_ body: ArraySlice<UInt8>, format: (code: UInt16, channels: Int, rate: Int, bits: Int))
        throws(Failure) -> SpeechAudio
    {
        guard (1...8).contains(format.channels) else {
            throw Failure(description: "it has \(format.channels) channels")
        }
        guard (8000...192_000).contains(format.rate) else {
            throw Failure(description: "its sample rate is \(format.rate) Hz")
        }
        let width: Int
        switch (format.code, format.bits) {
        case (1, 8): width = 1
        case (1, 16): width = 2
        case (1, 24): width = 3
        case (1, 32), (3, 32): width = 4
        default: throw Failure(description: "format \(format.code) with \(format.bits) bits is not PCM or float 32")
        }
        let frameBytes = width * format.channels
        let frames = body.count / frameBytes
        var samples = [Float](repeating: 0, count: frames)
        var index = body.startIndex
        for frame in 0..<frames {
            var sum: Float = 0
            for _ in 0..<format.channels {
                var value: Float
                switch (format.code, width) {
                case (1, 1): value = (Float(body[index]) - 128) / 128
                case (1, 2):
                    value = Float(Int16(bitPattern: UInt16(body[index]) | UInt16(body[index + 1]) << 8)) / 32768
                case (1, 3):
                    let raw = Int32(
                        bitPattern: UInt32(body[index]) << 8 | UInt32(body[index + 1]) << 16 | UInt32(body[index + 2])
                            << 24)
                    value = Float(raw >> 8) / 8_388_608
                case (1, 4):
                    let raw =
                        UInt32(body[index]) | UInt32(body[index + 1]) << 8 | UInt32(body[index + 2]) << 16 | UInt32(
                            body[index + 3]) << 24
                    value = Float(Int32(bitPattern: raw)) / 2_147_483_648
                default:
                    let raw =
                        UInt32(body[index]) | UInt32(body[index + 1]) << 8 | UInt32(body[index + 2]) << 16 | UInt32(
                            body[index + 3]) << 24
                    value = Float(bitPattern: raw)
                }
                if !value.isFinite { value = 0 }
                sum += value
                index += width
            }
            samples[frame] = max(-1, min(1, sum / Float(format.channels)))
        }
        return SpeechAudio(samples: samples, sampleRate: format.rate)
    }
}
