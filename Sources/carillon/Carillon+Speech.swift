import ArgumentParser
import CarillonSpeech
import Foundation

extension Carillon {
    struct SpeechCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "speech", abstract: Message.about("What the voice will say: the Mandarin front-end, offline."),
            subcommands: [Show.self])
    }
}

extension Carillon.SpeechCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Print each text normalized and as the pinyin the voice gets; needs no daemon."),
            discussion: Message.about("""
                Uses the same front-end as the daemon. Spans it cannot read with certainty are listed on
                standard error, with what is said for them instead.
                """))

        @Flag(help: Message.help("One JSON object per text: {\"text\", \"normalized\", \"pinyin\"}.")) var json = false
        @Option(help: Message.help("A school lexicon (lines of `词 pin1 yin1`), as [speech] lexicon names it."))
        var lexicon: String?
        @Argument(help: Message.help("The texts to read.")) var texts: [String]

        func validate() throws {
            if texts.isEmpty { throw ValidationError(Message.giveText.text) }
        }

        func run() throws {
            var school = SchoolLexicon()
            if let lexicon {
                guard let data = FileManager.default.contents(atPath: lexicon) else {
                    throw LocalFailure(message: Message.cannotReadFile(lexicon).text)
                }
                do { school = try SchoolLexicon(parsing: String(decoding: data, as: UTF8.self), file: lexicon) } catch {
                    throw LocalFailure(message: "\(error)")
                }
            }
            let frontEnd = MandarinFrontEnd(school: school)
            for text in texts {
                let spoken = frontEnd.read(text)
                if json {
                    try printJSON(Shown(text: text, normalized: spoken.normalized, pinyin: spoken.pinyin))
                } else {
                    print(spoken.normalized)
                    print(spoken.voiceInput)
                }
                for problem in spoken.problems {
                    FileHandle.standardError.write(Data("carillon: \(text.prefix(40)): \(problem)\n".utf8))
                }
            }
        }
    }

    /// One text as `speech show --json` prints it.
    struct Shown: Encodable {
        let text: String
        let normalized: String
        let pinyin: [String]
    }
}
