import CLibFuzzer
import CarillonAudio
import CarillonLoudness
import Foundation

/// Any bytes as an uploaded audio file, checked as an import checks one (Station.checkAudio): decoded
/// to its end by `AudioFileCheck.scan` while a loudness meter measures it, then the normalization gain.
/// libsndfile reads from a path, so the input goes through one temporary file per process.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    var meter: LoudnessMeter?
    do {
        let report = try AudioFileCheck.scan(path: path, maxSeconds: maxImportSeconds) { samples, format throws(AudioError) in
            do {
                if meter == nil { meter = try LoudnessMeter(channels: format.channels, sampleRate: format.sampleRate) }
                try meter?.add(samples)
            } catch {
                throw AudioError("cannot measure loudness: \(error)")
            }
        }
        precondition(report.frames > 0 && report.seconds <= Double(maxImportSeconds), "scan accepted \(report)")
        if let loudness = try? meter?.report(), !loudness.isSilent {
            _ = try? Loudness.gain(toReach: Loudness.speechTarget, from: loudness)
        }
    } catch {
        _ = error.message
    }
    return 0
}

/// As Station.maxImportSeconds.
private let maxImportSeconds = 30 * 60
private let path = NSTemporaryDirectory() + "/carillon-fuzz-audio-\(getpid()).bin"

/// The executable's entry: SwiftPM links `main` to `FuzzAudio_main`; libFuzzer parses the arguments.
@_cdecl("FuzzAudio_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
