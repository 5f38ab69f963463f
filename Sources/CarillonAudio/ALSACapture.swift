import CALSA
import Glibc

/// A microphone: an ALSA PCM opened for capture, read as float samples in blocking reads.
///
/// This is the client's end of a live announcement (capture, then Opus, then the network).
/// Not `Sendable`: one thread owns it, reads it and closes it. A read blocks for at most the time
/// its frames take to arrive, so a capture loop can check a stop flag between reads.
public final class ALSACapture {
    /// The ALSA PCM name, as given: it names the device in every error.
    public let device: String
    /// What `read` returns: interleaved float frames at this rate and channel count.
    public let format: AudioFormat
    /// Overruns recovered so far: audio was lost because reads fell behind.
    public private(set) var overruns = 0

    private var handle: OpaquePointer?
    private let sampleFormat: SampleFormat

    private static let quietErrors: Void = { _ = carillon_alsa_silence_errors() }()

    /// Opens `device` for capture and configures it for `format`.
    /// - Parameters:
    ///   - device: an ALSA PCM name: `default`, `plughw:1,0`, or one defined in `alsaConfig`. A `plug`
    ///     PCM converts whatever the hardware gives; a raw `hw` one must support the format itself.
    ///   - alsaConfig: ALSA configuration text laid over the system's, so a PCM can be defined inline.
    ///   - format: mono at Opus's 48 kHz by default, so the encoder takes the audio as it comes.
    ///   - periodMilliseconds: the device's unit of transfer; a read wakes at most this late.
    ///   - bufferMilliseconds: how far reads may fall behind before audio is lost (an overrun).
    /// - Throws: `AudioError` naming the device if it cannot be opened or cannot give `format`.
    public init(
        device: String, alsaConfig: String? = nil,
        format: AudioFormat = AudioFormat(sampleRate: opusSampleRate, channels: 1),
        periodMilliseconds: Int = 10, bufferMilliseconds: Int = 200
    ) throws(AudioError) {
        _ = Self.quietErrors
        self.device = device
        self.format = format
        var pcm: OpaquePointer?
        var err: Int32
        if let alsaConfig {
            var config: OpaquePointer?
            err = ALSAPCM.loadConfig(alsaConfig, into: &config)
            guard err >= 0, let config else {
                throw AudioError("ALSA configuration for capture device \"\(device)\": \(ALSAPCM.describe(err))")
            }
            defer { snd_config_delete(config) }
            err = snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_CAPTURE, 0, config)
        } else {
            err = snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, 0)
        }
        guard err >= 0, let pcm else {
            let hint = err == -ENOENT ? " (no such PCM, no sound card, or a file it names is missing)" : ""
            throw AudioError("cannot open ALSA capture device \"\(device)\": \(ALSAPCM.describe(err))\(hint)")
        }

        var chosen: SampleFormat?
        var rate = UInt32(format.sampleRate)
        var hw: OpaquePointer?
        snd_pcm_hw_params_malloc(&hw)
        defer { snd_pcm_hw_params_free(hw) }
        err = snd_pcm_hw_params_any(pcm, hw)
        if err >= 0 { err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) }
        if err >= 0 {
            // S16 first: what microphones deliver, and converted exactly; float or S32 otherwise.
            chosen = [SampleFormat.s16, .float32, .s32].first { snd_pcm_hw_params_set_format(pcm, hw, $0.alsa) >= 0 }
            if chosen == nil { err = -EINVAL }
        }
        if err >= 0 { err = snd_pcm_hw_params_set_channels(pcm, hw, UInt32(format.channels)) }
        if err >= 0 { err = snd_pcm_hw_params_set_rate_resample(pcm, hw, 1) }
        if err >= 0 { err = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, nil) }
        var periodTime = UInt32(periodMilliseconds * 1000)
        var bufferTime = UInt32(bufferMilliseconds * 1000)
        if err >= 0 { err = snd_pcm_hw_params_set_period_time_near(pcm, hw, &periodTime, nil) }
        if err >= 0 { err = snd_pcm_hw_params_set_buffer_time_near(pcm, hw, &bufferTime, nil) }
        if err >= 0 { err = snd_pcm_hw_params(pcm, hw) }
        if err >= 0 { err = snd_pcm_prepare(pcm) }
        guard err >= 0, let chosen else {
            snd_pcm_close(pcm)
            throw AudioError("cannot configure capture device \"\(device)\" for \(format): \(ALSAPCM.describe(err))")
        }
        guard Int(rate) == format.sampleRate else {
            snd_pcm_close(pcm)
            throw AudioError(
                "capture device \"\(device)\" cannot record at \(format.sampleRate) Hz (nearest \(rate) Hz)")
        }
        self.handle = pcm
        self.sampleFormat = chosen
    }

    deinit { close() }

    /// Reads exactly `frames` frames, blocking until they are captured. Capture starts with the
    /// first read; an overrun (reads fell behind) is recovered and counted, and reading goes on.
    /// - Throws: `AudioError` if the device fails beyond recovery or was closed.
    public func read(frames: Int) throws(AudioError) -> [Float] {
        guard let handle else { throw AudioError("capture device \"\(device)\" is closed") }
        let channels = format.channels
        let samples = max(0, frames) * channels
        var out = [Float](repeating: 0, count: samples)
        guard samples > 0 else { return out }
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: samples * sampleFormat.bytes, alignment: 16)
        defer { bytes.deallocate() }
        // Zeroed, so frames a device reports without filling (the `file` PCM past its input's end) read as silence.
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: samples * sampleFormat.bytes)
        var got = 0
        while got < frames {
            let n = Int(
                snd_pcm_readi(handle, bytes + got * channels * sampleFormat.bytes, snd_pcm_uframes_t(frames - got)))
            if n > 0 {
                got += n
                continue
            }
            if n == 0 || n == -Int(EAGAIN) {
                // Nothing yet (a blocking read should not say so, but some plugins do): wait, don't spin.
                _ = snd_pcm_wait(handle, 100)
                continue
            }
            if n == -Int(EPIPE) { overruns += 1 }
            if snd_pcm_recover(handle, Int32(n), 1) < 0 {
                throw AudioError("capture device \"\(device)\" failed: \(ALSAPCM.describe(Int32(n)))")
            }
        }
        out.withUnsafeMutableBufferPointer { out in
            switch sampleFormat {
            case .s16:
                let input = bytes.assumingMemoryBound(to: Int16.self)
                for i in 0..<samples { out[i] = Float(input[i]) / 32768 }
            case .s32:
                let input = bytes.assumingMemoryBound(to: Int32.self)
                for i in 0..<samples { out[i] = Float(Double(input[i]) / 2_147_483_648) }
            case .float32:
                let input = bytes.assumingMemoryBound(to: Float.self)
                for i in 0..<samples { out[i] = input[i] }
            }
        }
        return out
    }

    /// Stops capturing and releases the device; later reads throw. Safe to call twice.
    public func close() {
        guard let handle else { return }
        snd_pcm_drop(handle)
        snd_pcm_close(handle)
        self.handle = nil
    }
}

@available(*, unavailable, message: "one thread owns a capture device: it reads and closes it")
extension ALSACapture: Sendable {}
