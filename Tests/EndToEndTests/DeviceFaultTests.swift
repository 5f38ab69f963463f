import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

@Suite("An output device that is missing", .ownThread)
struct DeviceFaultTests {
    @Test("is reported in status, refuses plays with a clear error, and plays by itself once it is there")
    func missingDeviceRecovers() async throws {
        let directory = try TemporaryDirectory("carillon-fault")
        defer { directory.remove() }
        // The PCM `cap` is defined in a config file that does not exist yet: ALSA reads the files of
        // ALSA_CONFIG_PATH again when they change, so writing it is plugging the device in.
        let later = directory.file("later.conf")
        let capture = CapturePCM(path: directory.file("capture.raw"))
        try directory.write(
            "library/catalog.toml",
            """
            [[clip]]
            id = "bell.start"
            category = "bell"
            title = "bell"
            synth = "two-tone"
            """)
        let daemon = try DaemonProcess(
            config: """
                [station]
                data_dir = "@DIR@/data"
                [control]
                socket = "@DIR@/control.sock"
                [library]
                dir = "@DIR@/library"
                [[output]]
                name = "main"
                device = "cap"
                """, in: directory, environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(later)"])
        defer { daemon.stop() }

        try await ControlConnection.with(.unixDomainSocket(path: daemon.socketPath)) { control in
            // The daemon is ready and answering even though its only device is missing.
            var status = try await control.call(.status, Empty(), returning: StatusResult.self)
            let output = try #require(status.outputs.first)
            #expect(output.state == "fault" || output.state == "opening")
            if output.state == "opening" {
                // The first attempt may still be under way; the fault is reported within one retry.
                try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(5)) {
                    daemon.log_.contains("output fault")
                }
                status = try await control.call(.status, Empty(), returning: StatusResult.self)
            }
            #expect(status.outputs.first?.state == "fault")
            #expect(status.outputs.first?.fault == #"cannot open ALSA device "cap": No such file or directory"#)

            let refused = try await control.send(Data(#"{"id":1,"cmd":"play","args":{"clip":"bell.start"}}"#.utf8))
            let head = try Wire.decoder().decode(ResponseHead.self, from: refused)
            #expect(head.error?.code == .outputUnavailable)

            // Plug the device in: the retry (250 ms growing to 2 s) opens it and it starts capturing.
            try capture.alsaConfig.write(toFile: later, atomically: true, encoding: .utf8)
            try capture.waitForSize(4096, timeout: .seconds(10))
            try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(5)) {
                daemon.log_.contains("output recovered")
            }
            status = try await control.call(.status, Empty(), returning: StatusResult.self)
            #expect(status.outputs.first?.state == "running")
            let info = try await control.call(.play, PlayArgs(clip: "bell.start"), returning: PlayInfo.self)
            let outcome = try await control.call(.wait, WaitArgs(play: info.play), returning: PlayOutcome.self)
            #expect(outcome.outcome == "finished")
        }
    }
}
