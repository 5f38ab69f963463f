import CEbur128
import Foundation

/// EBU R128 measurements of one programme.
public struct LoudnessReport: Hashable, Sendable {
    /// Integrated (gated) loudness in LUFS; `-infinity` when nothing passes the −70 LUFS absolute gate.
    public var integratedLoudness: Double
    /// Loudness range (EBU Tech 3342) in LU; 0 for programmes shorter than one 3 s short-term block.
    public var loudnessRange: Double
    /// Highest true peak over all channels in dBTP (4× oversampled below 96 kHz); `-infinity` for digital silence.
    public var truePeak: Double
    /// Highest sample peak over all channels in dBFS; `-infinity` for digital silence.
    public var samplePeak: Double
    /// Length of the measured audio in seconds.
    public var duration: Double

    /// A report from its measurements; normally made by `LoudnessMeter.report()`.
    public init(integratedLoudness: Double, loudnessRange: Double, truePeak: Double, samplePeak: Double, duration: Double) {
        self.integratedLoudness = integratedLoudness
        self.loudnessRange = loudnessRange
        self.truePeak = truePeak
        self.samplePeak = samplePeak
        self.duration = duration
    }

    /// True when the programme is silent for R128 purposes (below the −70 LUFS gate), so it has no loudness to adjust.
    public var isSilent: Bool { integratedLoudness == -.infinity }
}

/// Why loudness could not be measured or a gain computed.
public enum LoudnessError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The channel count is outside 1…8.
    case unsupportedChannelCount(Int)
    /// The sample rate is outside `Loudness.sampleRateRange`.
    case unsupportedSampleRate(Int)
    /// The channel roles given do not match the channel count.
    case channelRolesMismatch(roles: Int, channels: Int)
    /// A chunk of interleaved samples does not hold whole frames.
    case partialFrame(samples: Int, channels: Int)
    /// A sample is NaN or infinite, which would poison the measurement.
    case nonFiniteSample
    /// The programme is silent (integrated loudness −∞), so no gain can reach a target.
    case silence
    /// A target, ceiling or reported value needed for the gain is not a finite number.
    case nonFiniteValue(String)
    /// libebur128 failed (out of memory, or an error code).
    case libraryFailed(String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .unsupportedChannelCount(let count):
            "cannot measure \(count) channels; 1 to \(Loudness.maxChannels) are supported"
        case .unsupportedSampleRate(let rate):
            "cannot measure at \(rate) Hz; \(Loudness.sampleRateRange.lowerBound)…\(Loudness.sampleRateRange.upperBound) Hz is supported"
        case .channelRolesMismatch(let roles, let channels):
            "\(roles) channel roles given for \(channels) channels"
        case .partialFrame(let samples, let channels):
            "\(samples) interleaved samples are not whole frames of \(channels) channels"
        case .nonFiniteSample:
            "the audio contains a NaN or infinite sample"
        case .silence:
            "the audio is silent (below the -70 LUFS gate); its loudness cannot be adjusted"
        case .nonFiniteValue(let what):
            "\(what) is not a finite number"
        case .libraryFailed(let reason):
            "libebur128 failed: \(reason)"
        }
    }
}

/// How a channel counts towards loudness (the ITU-R BS.1770 channel weights).
public enum LoudnessChannel: Hashable, Sendable {
    /// Left, right, centre or a rear channel beyond ±120°: weight 1.
    case front
    /// A surround channel between ±60° and ±120° (5.1's Ls and Rs): weight 1.41 (+1.5 dB).
    case surround
    /// Low-frequency effects or any channel to leave out: weight 0.
    case excluded
    /// A mono signal played on two loudspeakers, counted twice: weight 2 (+3 dB).
    case dualMono

    /// libebur128's default roles (L R C LFE Ls Rs) for up to 6 channels; channels 7–8 count as front.
    public static func defaultRoles(channels: Int) -> [LoudnessChannel] {
        let layout: [LoudnessChannel] = [.front, .front, .front, .excluded, .surround, .surround]
        return (0..<channels).map { $0 < layout.count ? layout[$0] : .front }
    }

    /// The libebur128 channel type with this weight.
    var ebur128Channel: Int32 {
        let value: UInt32 =
            switch self {
            case .front: EBUR128_LEFT.rawValue
            case .surround: EBUR128_LEFT_SURROUND.rawValue
            case .excluded: EBUR128_UNUSED.rawValue
            case .dualMono: EBUR128_DUAL_MONO.rawValue
            }
        return Int32(value)
    }
}

/// A streaming EBU R128 meter (libebur128) with small memory for any length; not thread-safe, one thread at a time.
public final class LoudnessMeter {
    /// Interleaved channels per frame.
    public let channels: Int
    /// Frames per second.
    public let sampleRate: Int
    /// Frames measured so far.
    public private(set) var frameCount = 0

    private var state: UnsafeMutablePointer<ebur128_state>

    /// A meter for `channels` (1…8) at `sampleRate`; `roles` default to `LoudnessChannel.defaultRoles(channels:)`.
    public init(channels: Int, sampleRate: Int, roles: [LoudnessChannel]? = nil) throws(LoudnessError) {
        guard (1...Loudness.maxChannels).contains(channels) else { throw .unsupportedChannelCount(channels) }
        guard Loudness.sampleRateRange.contains(sampleRate) else { throw .unsupportedSampleRate(sampleRate) }
        let roles = roles ?? LoudnessChannel.defaultRoles(channels: channels)
        guard roles.count == channels else { throw .channelRolesMismatch(roles: roles.count, channels: channels) }

        let mode = EBUR128_MODE_I.rawValue | EBUR128_MODE_LRA.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue
        guard let state = ebur128_init(UInt32(channels), UInt(sampleRate), Int32(mode)) else {
            throw .libraryFailed("ebur128_init returned NULL (out of memory?)")
        }
        self.state = state
        self.channels = channels
        self.sampleRate = sampleRate
        for (index, role) in roles.enumerated() {
            let status = ebur128_set_channel(state, UInt32(index), role.ebur128Channel)
            guard status == Int32(EBUR128_SUCCESS.rawValue) else {
                throw .libraryFailed("ebur128_set_channel(\(index)) returned \(status)")
            }
        }
    }

    deinit {
        var state: UnsafeMutablePointer<ebur128_state>? = state
        ebur128_destroy(&state)
    }

    /// Measures the next chunk of interleaved frames (any size); blocks for the filtering, about 1/100 of real time.
    public func add(_ interleaved: UnsafeBufferPointer<Float>) throws(LoudnessError) {
        guard interleaved.count % channels == 0 else {
            throw .partialFrame(samples: interleaved.count, channels: channels)
        }
        guard let base = interleaved.baseAddress, !interleaved.isEmpty else { return }
        guard interleaved.allSatisfy(\.isFinite) else { throw .nonFiniteSample }
        let frames = interleaved.count / channels
        let status = ebur128_add_frames_float(state, base, frames)
        guard status == Int32(EBUR128_SUCCESS.rawValue) else {
            throw .libraryFailed("ebur128_add_frames_float returned \(status)")
        }
        frameCount += frames
    }

    /// Measures the next chunk of interleaved frames, as `add(_:)` with a buffer pointer.
    public func add(_ interleaved: [Float]) throws(LoudnessError) {
        try interleaved.withUnsafeBufferPointer { buffer throws(LoudnessError) in try add(buffer) }
    }

    /// The measurements of everything added so far; more audio may be added afterwards.
    public func report() throws(LoudnessError) -> LoudnessReport {
        var integrated = 0.0
        var range = 0.0
        try check(ebur128_loudness_global(state, &integrated), "ebur128_loudness_global")
        try check(ebur128_loudness_range(state, &range), "ebur128_loudness_range")
        var truePeak = 0.0
        var samplePeak = 0.0
        for channel in 0..<UInt32(channels) {
            var value = 0.0
            try check(ebur128_true_peak(state, channel, &value), "ebur128_true_peak")
            truePeak = max(truePeak, value)
            try check(ebur128_sample_peak(state, channel, &value), "ebur128_sample_peak")
            samplePeak = max(samplePeak, value)
        }
        return LoudnessReport(
            integratedLoudness: integrated,
            loudnessRange: range,
            truePeak: 20 * log10(truePeak),
            samplePeak: 20 * log10(samplePeak),
            duration: Double(frameCount) / Double(sampleRate))
    }

    private func check(_ status: Int32, _ call: String) throws(LoudnessError) {
        guard status == Int32(EBUR128_SUCCESS.rawValue) else { throw .libraryFailed("\(call) returned \(status)") }
    }
}

/// One-shot measurement and loudness normalization gains.
public enum Loudness {
    /// The most interleaved channels a meter accepts.
    public static let maxChannels = 8
    /// Sample rates a meter accepts, in Hz.
    public static let sampleRateRange: ClosedRange<Int> = 8_000...768_000
    /// Target for speech over a PA system, in LUFS: louder than broadcast's −23, leaving headroom for the ceiling.
    public static let speechTarget = -18.0

    /// Measures a whole interleaved buffer; blocks (about 1/100 of its duration at 48 kHz stereo), thread-safe.
    public static func measure(samples: [Float], channels: Int, sampleRate: Int) throws(LoudnessError) -> LoudnessReport {
        let meter = try LoudnessMeter(channels: channels, sampleRate: sampleRate)
        try meter.add(samples)
        return try meter.report()
    }

    /// Gain (dB) reaching `target` LUFS, lowered to keep true peak ≤ `truePeakCeiling`; throws `.silence`; thread-safe.
    public static func gain(toReach target: Double = speechTarget, from report: LoudnessReport, truePeakCeiling: Double = -1)
        throws(LoudnessError) -> Double
    {
        guard target.isFinite else { throw .nonFiniteValue("target loudness \(target)") }
        guard truePeakCeiling.isFinite else { throw .nonFiniteValue("true-peak ceiling \(truePeakCeiling)") }
        if report.isSilent { throw .silence }
        guard report.integratedLoudness.isFinite else {
            throw .nonFiniteValue("integrated loudness \(report.integratedLoudness)")
        }
        guard !report.truePeak.isNaN, report.truePeak != .infinity else {
            throw .nonFiniteValue("true peak \(report.truePeak)")
        }
        let gain = target - report.integratedLoudness
        return min(gain, truePeakCeiling - report.truePeak)
    }
}
