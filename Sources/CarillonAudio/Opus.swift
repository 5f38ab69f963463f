import COpus

/// The rate live voice travels at: Opus's native rate, so neither end resamples inside the codec.
public let opusSampleRate = 48_000

/// Samples in one Opus frame of live voice: 20 ms at 48 kHz, the usual trade of latency for overhead.
public let opusFrameSamples = 960

/// The largest Opus packet (RFC 6716): anything longer is not Opus and is refused unread.
let opusMaxPacketBytes = 1275

/// The most one packet can decode to: 120 ms at 48 kHz.
public let opusMaxDecodedSamples = 5760

/// Encodes live speech for the wire: mono, 48 kHz, 20 ms frames, tuned for voice, with in-band
/// forward error correction so a lost packet can be partly rebuilt from the next one.
///
/// Not `Sendable`: the codec state changes with every frame, so one task or thread owns it at a
/// time (hand it over, don't share it).
public final class OpusVoiceEncoder {
    private let state: OpaquePointer

    /// - Parameter bitrate: bits per second; 32 kbps keeps speech clear at a fraction of PCM's size.
    /// - Throws: `AudioError` if libopus refuses the settings.
    public init(bitrate: Int = 32_000) throws(AudioError) {
        var error: Int32 = 0
        guard let state = opus_encoder_create(Int32(opusSampleRate), 1, OPUS_APPLICATION_VOIP, &error), error == OPUS_OK
        else { throw AudioError("cannot create Opus encoder: \(opusMessage(error))") }
        // Configured before `self.state` is set: `deinit` frees it only once `self` is whole.
        for (what, set) in [
            ("bitrate \(bitrate)", { carillon_opus_set_bitrate(state, Int32(clamping: bitrate)) }),
            ("voice signal", { carillon_opus_set_signal_voice(state) }),
            ("in-band FEC", { carillon_opus_set_inband_fec(state, 1) }),
        ] as [(String, () -> Int32)] {
            let result = set()
            guard result == OPUS_OK else {
                opus_encoder_destroy(state)
                throw AudioError("cannot set Opus encoder \(what): \(opusMessage(result))")
            }
        }
        self.state = state
    }

    deinit { opus_encoder_destroy(state) }

    /// Encodes one frame of exactly `opusFrameSamples` samples in [-1, 1] into one packet.
    /// - Throws: `AudioError` for a frame of another size, or if libopus fails.
    public func encode(_ frame: [Float]) throws(AudioError) -> [UInt8] {
        guard frame.count == opusFrameSamples else {
            throw AudioError("an Opus frame holds \(opusFrameSamples) samples, not \(frame.count)")
        }
        var packet = [UInt8](repeating: 0, count: opusMaxPacketBytes)
        let bytes = frame.withUnsafeBufferPointer { pcm in
            packet.withUnsafeMutableBufferPointer { out in
                opus_encode_float(
                    state, pcm.baseAddress!, Int32(opusFrameSamples), out.baseAddress!, Int32(opusMaxPacketBytes))
            }
        }
        guard bytes > 0 else { throw AudioError("Opus encoding failed: \(opusMessage(bytes))") }
        packet.removeSubrange(Int(bytes)...)
        return packet
    }
}

/// Decodes live speech from the wire into mono 48 kHz samples, and conceals lost packets.
///
/// Packets come from the network, so any bytes at all give either audio or an `AudioError`.
/// Not `Sendable`: one task or thread owns it at a time, like the encoder.
public final class OpusVoiceDecoder {
    private let state: OpaquePointer
    private var pcm = [Float](repeating: 0, count: opusMaxDecodedSamples)

    /// - Throws: `AudioError` if libopus cannot make a decoder.
    public init() throws(AudioError) {
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(opusSampleRate), 1, &error), error == OPUS_OK else {
            throw AudioError("cannot create Opus decoder: \(opusMessage(error))")
        }
        self.state = state
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes one packet: usually `opusFrameSamples` samples, up to 120 ms for longer packets.
    /// - Throws: `AudioError` for an empty packet (use `conceal()` for a lost one), one longer than
    ///   Opus allows, or one libopus finds corrupt.
    public func decode(_ packet: [UInt8]) throws(AudioError) -> [Float] {
        guard !packet.isEmpty else { throw AudioError("empty Opus packet") }
        guard packet.count <= opusMaxPacketBytes else {
            throw AudioError("Opus packet of \(packet.count) bytes is over the \(opusMaxPacketBytes)-byte limit")
        }
        let state = state
        let samples = packet.withUnsafeBufferPointer { data in
            pcm.withUnsafeMutableBufferPointer { out in
                opus_decode_float(
                    state, data.baseAddress, Int32(data.count), out.baseAddress!, Int32(opusMaxDecodedSamples), 0)
            }
        }
        guard samples >= 0 else { throw AudioError("corrupt Opus packet: \(opusMessage(samples))") }
        return Array(pcm[0..<Int(samples)])
    }

    /// Stands in for one lost 20 ms packet: libopus extends the voice from what it last decoded,
    /// which is far less jarring than a hole of silence.
    public func conceal() -> [Float] {
        let state = state
        let samples = pcm.withUnsafeMutableBufferPointer { out in
            opus_decode_float(state, nil, 0, out.baseAddress!, Int32(opusFrameSamples), 0)
        }
        // Concealment cannot fail on a valid decoder; should it ever, silence is the honest stand-in.
        guard samples == Int32(opusFrameSamples) else { return [Float](repeating: 0, count: opusFrameSamples) }
        return Array(pcm[0..<opusFrameSamples])
    }
}

@available(*, unavailable, message: "one owner at a time: codec state changes with every frame")
extension OpusVoiceEncoder: Sendable {}

@available(*, unavailable, message: "one owner at a time: codec state changes with every frame")
extension OpusVoiceDecoder: Sendable {}

private func opusMessage(_ code: Int32) -> String { String(cString: opus_strerror(code)) }
