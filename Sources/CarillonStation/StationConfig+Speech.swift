public import CarillonSpeech
import CarillonTOML
import Foundation

/// `[speech]`: the school's own lexicon and, optionally, a licensed voice in place of espeak-ng.
///
/// ```toml
/// [speech]
/// lexicon = "lexicon.txt"                    # lines of `词 pin1 yin1`; errors as FILE:LINE
/// command = ["/opt/tts/bin/say-wav", "--zh"] # reads stdin, writes a WAV on stdout
/// input = "text"                             # or "pinyin": what the command reads
/// timeout = 20                               # seconds per text before the command is killed
/// ```
public struct SpeechConfig: Sendable, Equatable {
    /// The lexicon file, absolute, if the config names one.
    public var lexiconFile: String?
    /// The school's words, parsed from `lexiconFile`.
    public var school = SchoolLexicon()
    /// The external voice, if `command` is set; espeak-ng is the fallback.
    public var externalVoice: ExternalVoice?

    /// No school lexicon, espeak-ng only.
    public init() {}
}

extension StationConfig {
    /// Reads `[speech]`; a bad lexicon line is reported at its own FILE:LINE.
    static func parseSpeech(_ table: inout TOMLReader, base: String, errors: inout Errors) -> SpeechConfig {
        var config = SpeechConfig()
        var lexiconProblems: [TOMLError] = []
        errors.run { () throws(TOMLError) in
            guard let name = try table.string("lexicon") else { return }
            let file = resolve(name, base)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw table.error("cannot read the speech lexicon \(file)", at: "lexicon")
            }
            config.lexiconFile = file
            do throws(SchoolLexiconError) {
                config.school = try SchoolLexicon(parsing: String(decoding: data, as: UTF8.self), file: file)
            } catch {
                lexiconProblems = error.problems.map {
                    TOMLError(file: file, position: TOMLPosition(line: $0.line, column: 1), message: $0.message)
                }
            }
        }
        for problem in lexiconProblems { errors.append(problem) }
        let input = errors.run { () throws(TOMLError) -> ExternalVoice.Input in
            guard let name = try table.string("input") else { return .text }
            guard let input = ExternalVoice.Input(rawValue: name) else {
                throw table.error("`speech.input` must be \"text\" or \"pinyin\"", at: "input")
            }
            return input
        }
        let timeout = errors.run { () throws(TOMLError) -> Double in
            let seconds = try table.double("timeout") ?? 20
            guard (1...300).contains(seconds) else {
                throw table.error("`speech.timeout` must be 1 to 300 seconds", at: "timeout")
            }
            return seconds
        }
        errors.run { () throws(TOMLError) in
            guard let command = try table.stringArray("command") else { return }
            guard let program = command.first, !program.isEmpty else {
                throw table.error(
                    "`speech.command` must list the program and its arguments, e.g. [\"/opt/tts/bin/say-wav\"]",
                    at: "command")
            }
            config.externalVoice = ExternalVoice(
                command: [resolve(program, base)] + command.dropFirst(), input: input ?? .text,
                timeout: .milliseconds(Int64((timeout ?? 20) * 1000)))
        }
        errors.run { () throws(TOMLError) in try table.finish() }
        return config
    }
}
