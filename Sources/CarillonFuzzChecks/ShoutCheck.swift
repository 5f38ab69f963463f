import CarillonAudio
import Foundation

/// Any bytes as a shout's voice stream (`ShoutStream`, as the station feeds it the lines after
/// `shout`): lines of base64 Opus packets up to a `.`. The first byte sets the length limit, in
/// 10 ms steps, so that the limit is reached often. Every step's voice is finite and at most one
/// packet long, and the count never passes the limit.
enum ShoutCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let first = input.first else { return }
        let stream: ShoutStream
        do { stream = try ShoutStream(maxFrames: Int(first) * opusSampleRate / 100) } catch {
            throw FuzzFinding("no Opus decoder: \(error)")
        }
        for line in input.dropFirst().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = Data(line)
            if ShoutStream.isEnd(line) { return }
            switch stream.take(line) {
            case .voice(let voice):
                guard voice.count <= opusMaxDecodedSamples else {
                    throw FuzzFinding("a packet decoded to \(voice.count) samples")
                }
                guard voice.allSatisfy(\.isFinite) else { throw FuzzFinding("a packet decoded to samples that are not numbers") }
            case .notBase64, .limit:
                return
            }
            guard stream.frames <= stream.maxFrames else { throw FuzzFinding("\(stream.frames) frames past the limit \(stream.maxFrames)") }
        }
    }
}
