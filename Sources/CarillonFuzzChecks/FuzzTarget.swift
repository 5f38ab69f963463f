import Foundation

/// A fuzz input that broke a property: a differential check or an invariant. A crash is not one of
/// these; it ends the process, in the fuzzer and in the corpus test alike.
public struct FuzzFinding: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The parsers and checks that `make fuzz` drives, one entry each. The fuzzing executables in fuzz/
/// call these, and so does the corpus test in `make test` for every file of fuzz/corpus/<target>,
/// crash inputs included: one entry point, so a replayed input meets exactly what the fuzzer ran.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A request line, as the dispatcher decodes it, with the fast paths checked against Foundation.
    case `protocol`
    /// Any bytes as a TOML document.
    case toml
    /// Any bytes as a `schedule.toml`.
    case schedule
    /// Any bytes as an emergency plan file.
    case plan
    /// Any bytes as a signed bundle.
    case bundle
    /// Any bytes as an uploaded audio file (WAV headers included).
    case audio
    /// The control connection's line framing.
    case lines
    /// Any bytes as the bureau's schools file.
    case schools
    /// Any bytes as a shout's voice stream.
    case shout
    /// Any bytes as the WAV an external voice writes.
    case wav
    /// Any text through the Mandarin front-end, as `say` and every spoken clip go.
    case speech
    /// Any bytes as the city link reads them from the broker: an alert's envelope, a bundle notice.
    case city

    /// Feeds `input` to the target.
    /// - Throws: `FuzzFinding` when a checked property does not hold.
    public func run(_ input: [UInt8]) throws(FuzzFinding) {
        switch self {
        case .protocol: try ProtocolCheck.run(input)
        case .toml: try TOMLCheck.run(input)
        case .schedule: try ScheduleCheck.run(input)
        case .plan: PlanCheck.run(input)
        case .bundle: try BundleCheck.run(input)
        case .audio: try AudioCheck.run(input)
        case .lines: try LinesCheck.run(input)
        case .schools: try SchoolsCheck.run(input)
        case .shout: try ShoutCheck.run(input)
        case .wav: try WAVCheck.run(input)
        case .speech: try SpeechCheck.run(input)
        case .city: try CityCheck.run(input)
        }
    }
}
