import CALSA
import Glibc

/// The sample formats the engine can write, in order of preference.
enum SampleFormat: CaseIterable {
    case s16, s32, float32

    var alsa: snd_pcm_format_t {
        switch self {
        case .s16: SND_PCM_FORMAT_S16_LE
        case .s32: SND_PCM_FORMAT_S32_LE
        case .float32: SND_PCM_FORMAT_FLOAT_LE
        }
    }

    var bytes: Int {
        switch self {
        case .s16: 2
        case .s32, .float32: 4
        }
    }
}

/// An open ALSA playback PCM in interleaved read-write mode.
///
/// Used by its output thread only.
final class ALSAPCM {
    private let handle: OpaquePointer
    private let device: String
    private let periodMicroseconds: Int
    let sampleFormat: SampleFormat
    let format: AudioFormat
    private(set) var periodFrames = 0
    private(set) var bufferFrames = 0

    private static let quietErrors: Void = { _ = carillon_alsa_silence_errors() }()

    /// Opens `device` and configures it. `extraConfig` is ALSA configuration text laid over the
    /// system's, so that a PCM can be defined in Carillon's own config.
    init(
        device: String, extraConfig: String?, format: AudioFormat, periodMicroseconds: Int, bufferMicroseconds: Int
    ) throws(AudioError) {
        _ = Self.quietErrors
        var pcm: OpaquePointer?
        var err: Int32
        if let extraConfig {
            var config: OpaquePointer?
            err = Self.loadConfig(extraConfig, into: &config)
            guard err >= 0, let config else { throw AudioError("alsa_conf: \(Self.describe(err))") }
            defer { snd_config_delete(config) }
            err = snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_PLAYBACK, 0, config)
        } else {
            err = snd_pcm_open(&pcm, device, SND_PCM_STREAM_PLAYBACK, 0)
        }
        guard err >= 0, let pcm else { throw AudioError("cannot open ALSA device \"\(device)\": \(Self.describe(err))") }
        handle = pcm
        self.device = device
        self.format = format
        self.periodMicroseconds = periodMicroseconds
        var period = 0
        var buffer = 0
        do {
            sampleFormat = try Self.configure(
                pcm, device: device, format: format, periodMicroseconds: periodMicroseconds,
                bufferMicroseconds: bufferMicroseconds, period: &period, buffer: &buffer)
        } catch {
            snd_pcm_close(pcm)
            throw error
        }
        periodFrames = period
        bufferFrames = buffer
    }

    /// Sets the hardware and software parameters and prepares the PCM; returns the sample format chosen.
    private static func configure(
        _ pcm: OpaquePointer, device: String, format: AudioFormat, periodMicroseconds: Int, bufferMicroseconds: Int,
        period periodFrames: inout Int, buffer bufferFrames: inout Int
    ) throws(AudioError) -> SampleFormat {
        var chosen: SampleFormat?
        var rate = UInt32(format.sampleRate)
        var period = snd_pcm_uframes_t(0)
        var buffer = snd_pcm_uframes_t(0)
        var hw: OpaquePointer?
        snd_pcm_hw_params_malloc(&hw)
        defer { snd_pcm_hw_params_free(hw) }
        var err = snd_pcm_hw_params_any(pcm, hw)
        if err >= 0 { err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) }
        if err >= 0 {
            chosen = SampleFormat.allCases.first { snd_pcm_hw_params_set_format(pcm, hw, $0.alsa) >= 0 }
            if chosen == nil { err = -EINVAL }
        }
        if err >= 0 { err = snd_pcm_hw_params_set_channels(pcm, hw, UInt32(format.channels)) }
        if err >= 0 { err = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1) }
        if err >= 0 { err = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, nil) }
        // The buffer first: a device that limits the number of periods then lengthens the period,
        // which costs nothing, since the engine paces itself and never waits for period wake-ups.
        var bufferTime = UInt32(bufferMicroseconds)
        var periodTime = UInt32(periodMicroseconds)
        if err >= 0 { err = snd_pcm_hw_params_set_buffer_time_near(pcm, hw, &bufferTime, nil) }
        if err >= 0 { err = snd_pcm_hw_params_set_period_time_near(pcm, hw, &periodTime, nil) }
        if err >= 0 { err = snd_pcm_hw_params(pcm, hw) }
        if err >= 0 { err = snd_pcm_hw_params_get_period_size(hw, &period, nil) }
        if err >= 0 { err = snd_pcm_hw_params_get_buffer_size(hw, &buffer) }
        guard err >= 0, let chosen else {
            throw AudioError("cannot configure \"\(device)\" for \(format): \(Self.describe(err))")
        }
        guard Int(rate) == format.sampleRate else {
            throw AudioError("\"\(device)\" cannot play at \(format.sampleRate) Hz (nearest \(rate) Hz)")
        }

        var sw: OpaquePointer?
        snd_pcm_sw_params_malloc(&sw)
        defer { snd_pcm_sw_params_free(sw) }
        err = snd_pcm_sw_params_current(pcm, sw)
        // Start as soon as one period is queued, so the first sample is not held back.
        if err >= 0 { err = snd_pcm_sw_params_set_start_threshold(pcm, sw, period) }
        if err >= 0 { err = snd_pcm_sw_params_set_avail_min(pcm, sw, period) }
        if err >= 0 { err = snd_pcm_sw_params(pcm, sw) }
        if err >= 0 { err = snd_pcm_prepare(pcm) }
        guard err >= 0 else { throw AudioError("cannot configure \"\(device)\": \(Self.describe(err))") }
        periodFrames = Int(period)
        bufferFrames = Int(buffer)
        return chosen
    }

    /// Drops what is queued and sets a new buffer size; the format stays as it was.
    func resize(bufferMicroseconds: Int) throws(AudioError) {
        snd_pcm_drop(handle)
        snd_pcm_hw_free(handle)
        let chosen = try Self.configure(
            handle, device: device, format: format, periodMicroseconds: periodMicroseconds,
            bufferMicroseconds: bufferMicroseconds, period: &periodFrames, buffer: &bufferFrames)
        guard chosen == sampleFormat else {
            throw AudioError("\"\(device)\" changed its sample format when its buffer was resized")
        }
    }

    deinit {
        snd_pcm_drop(handle)
        snd_pcm_close(handle)
    }

    /// Writes interleaved frames; returns frames written or a negative errno.
    func write(_ bytes: UnsafeRawPointer, frames: Int) -> Int {
        Int(snd_pcm_writei(handle, bytes, snd_pcm_uframes_t(frames)))
    }

    /// Recovers from an underrun (-EPIPE) or a suspend (-ESTRPIPE); returns a negative errno if it can't.
    func recover(_ error: Int32) -> Int32 {
        snd_pcm_recover(handle, error, 1)
    }

    /// Frames queued ahead of the speaker as the device reports them; 0 for PCMs that don't know.
    func delay() -> Int {
        var frames = snd_pcm_sframes_t(0)
        return snd_pcm_delay(handle, &frames) < 0 ? 0 : Int(frames)
    }

    /// Frames the application may write now without blocking; a negative errno on error.
    func avail() -> Int { Int(snd_pcm_avail(handle)) }

    /// Frames written but not yet played that can be taken back; 0 where the PCM cannot rewind.
    func rewindable() -> Int { max(0, Int(snd_pcm_rewindable(handle))) }

    /// Takes back up to `frames` written but not yet played, so that what is written next replaces
    /// them; returns the frames taken back (0 if none could be).
    func rewind(_ frames: Int) -> Int {
        guard frames > 0 else { return 0 }
        return max(0, Int(snd_pcm_rewind(handle, snd_pcm_uframes_t(frames))))
    }

    /// Moves forward over up to `frames` taken back by `rewind`, leaving them to play as written;
    /// returns the frames moved over.
    func forward(_ frames: Int) -> Int {
        guard frames > 0 else { return 0 }
        return max(0, Int(snd_pcm_forward(handle, snd_pcm_uframes_t(frames))))
    }

    static func describe(_ err: Int32) -> String { String(cString: snd_strerror(err)) }

    /// The system's ALSA configuration with `text` laid over it: for outputs and captures alike.
    static func loadConfig(_ text: String, into config: inout OpaquePointer?) -> Int32 {
        var global: OpaquePointer?
        var err = snd_config_update_ref(&global)
        if err < 0 { return err }
        var copy: OpaquePointer?
        err = snd_config_copy(&copy, global)
        snd_config_unref(global)
        if err < 0 { return err }
        var input: OpaquePointer?
        err = text.withCString { snd_input_buffer_open(&input, $0, -1) }
        if err < 0 {
            snd_config_delete(copy)
            return err
        }
        err = snd_config_load(copy, input)
        snd_input_close(input)
        if err < 0 {
            snd_config_delete(copy)
            return err
        }
        config = copy
        return 0
    }
}
