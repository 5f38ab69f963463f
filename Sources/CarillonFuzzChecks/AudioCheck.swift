import CarillonAudio
import CarillonLoudness
import Foundation

/// Any bytes as an uploaded audio file, checked as an import checks one (Station.checkAudio): the
/// RIFF header's data length first, then decoded to its end by `AudioFileCheck.scan` while a
/// loudness meter measures it, then the normalization gain. libsndfile reads from a path, so the
/// input goes through a temporary file, named by the process id and removed after each input.
enum AudioCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard FileManager.default.createFile(atPath: path, contents: Data(input)) else {
            throw FuzzFinding("cannot write \(path)")
        }
        defer { unlink(path) }
        var meter: LoudnessMeter?
        let report: AudioFileReport
        do {
            report = try AudioFileCheck.scan(path: path, maxSeconds: maxImportSeconds) { samples, format throws(AudioError) in
                do {
                    if meter == nil { meter = try LoudnessMeter(channels: format.channels, sampleRate: format.sampleRate) }
                    try meter?.add(samples)
                } catch {
                    throw AudioError("cannot measure loudness: \(error)")
                }
            }
        } catch {
            _ = error.message
            return
        }
        guard report.frames > 0, report.seconds <= Double(maxImportSeconds) else { throw FuzzFinding("scan accepted \(report)") }
        if let loudness = try? meter?.report(), !loudness.isSilent {
            _ = try? Loudness.gain(toReach: Loudness.speechTarget, from: loudness)
        }
    }

    /// As Station.maxImportSeconds.
    private static let maxImportSeconds = 30 * 60
    private static let path = NSTemporaryDirectory() + "/carillon-fuzz-audio-\(getpid()).bin"
}
