import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

@Suite("Speech through the daemon: a school's voice and lexicon", .ownThread)
struct SpeechEndToEndTests {
    @Test(
        "an external voice that hangs, writes garbage or fails: `say` is spoken by espeak-ng, the journal says why, the daemon answers on"
    )
    func externalVoiceFallsBack() throws {
        for body in ["exec sleep 30", "cat >/dev/null; echo not a wav", "cat >/dev/null; exit 3"] {
            let rig = try Rig.start(
                extra: "[speech]\ncommand = [\"@DIR@/tts\"]\ntimeout = 2\n",
                prepare: { directory in
                    try directory.writeExecutable("tts", "#!/bin/sh\n\(body)\n")
                })
            defer { rig.stop() }
            let said = try rig.daemon.client(["say", "请同学们有序离开教室。", "--wait", "--json"])
            #expect(said.status == 0, "\(body): \(said.stderr)")
            let outcome = try Wire.decoder().decode(
                PlayOutcome.self, from: Data((said.stdout.split(separator: "\n").last ?? "").utf8))
            #expect(outcome.outcome == "finished", "\(body)")
            #expect(rig.daemon.log_.contains("external voice failed"), "\(body): the journal names the failure")
            #expect(try rig.daemon.client(["status"]).status == 0, "\(body): the daemon still answers")
        }
    }

    @Test("a lexicon line with bad pinyin fails --check-config at its own line")
    func badLexiconLine() throws {
        let directory = try TemporaryDirectory("carillon-speech")
        defer { directory.remove() }
        try directory.write("lexicon.txt", "明德楼 ming2 de2 lou2\n向阳路 xiang4 yang9 lu4\n")
        try directory.write(
            "carillon.toml", "[station]\ndata_dir = \"data\"\n[speech]\nlexicon = \"lexicon.txt\"\n")
        let checked = try run(Binaries.daemon, ["--check-config", "--config", directory.file("carillon.toml")])
        #expect(checked.status != 0)
        #expect(
            checked.stdout.contains(directory.file("lexicon.txt") + ":2:1:")
                || checked.stderr.contains(directory.file("lexicon.txt") + ":2:1:"),
            "\(checked.stdout)\(checked.stderr)")
        #expect((checked.stdout + checked.stderr).contains("yang9"))
    }
}
