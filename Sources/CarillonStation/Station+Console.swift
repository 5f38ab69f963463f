import CarillonControl
import CarillonCore
import CarillonProtocol
import CarillonSpeech
import Foundation

extension Station {
    /// `web.pair`: checked against the school's zones, kept by the roster.
    func webPair(_ args: WebPairArgs) async throws(WireError) -> WebPairing {
        try await roster.pair(args, zones: config.zoneNames.map(\.rawValue), groupIsValid: Self.isGroupName)
    }

    /// A staff group's name, as plans' `[[notify]] group` takes it: `a`–`z`, digits and `-`, not
    /// starting with `-`, at most 64 characters, and not a role's name.
    nonisolated static func isGroupName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), name.first != "-", Role(rawValue: name) == nil else { return false }
        return name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }
}

extension Station {
    /// `say.preview`: the front-end's reading of a text, as `say` would speak it; nothing sounds.
    nonisolated func sayPreview(_ args: SayPreviewArgs) async throws(WireError) -> SayPreview {
        let text = args.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WireError(.invalidArguments, "nothing to read: the text is empty") }
        guard text.count <= Self.maxSayCharacters else {
            throw WireError(.invalidArguments, "the text is \(text.count) characters; `say` reads at most \(Self.maxSayCharacters)")
        }
        let frontEnd = renderer.frontEnd
        let spoken = await offPool { frontEnd.read(text) }
        return SayPreview(normalized: spoken.normalized, pinyin: spoken.pinyin, problems: spoken.problems.map { "\($0)" })
    }
}
