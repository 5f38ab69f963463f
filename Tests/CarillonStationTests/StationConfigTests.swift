import CarillonAudio
import CarillonCore
import CarillonStation
import CarillonTOML
import Foundation
import Testing

@Suite("The daemon's config file")
struct StationConfigTests {
    private func parse(_ text: String, file: String = "/etc/carillon/carillon.toml") throws -> StationConfig {
        try StationConfig.parse(Array(text.utf8), file: file)
    }

    private func errors(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch let error as ConfigError {
            return error.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("a config holding only the fixed keys is valid, and everything else has a default")
    func fixedKeysOnly() throws {
        let config = try parse(
            """
            [station]
            data_dir = "var"
            [control]
            socket = "var/control.sock"
            [[output]]
            name = "main"
            device = "default"
            """, file: "/srv/school/config/carillon.toml")
        #expect(config.dataDirectory == "/srv/school/config/var")
        #expect(config.controlSocket == "/srv/school/config/var/control.sock")
        #expect(config.outputs == [OutputConfig(name: "main", device: "default")])
        #expect(config.outputs[0].format == AudioFormat(sampleRate: 48000, channels: 2))
        #expect(config.zoneNames == ["main"])
        #expect(config.socketMode == 0o660)
        #expect(config.libraryDirectory == "/usr/share/carillon/audio-library")
    }

    @Test("an empty config gets one output on the default device")
    func emptyConfig() throws {
        let config = try parse("")
        #expect(config.outputs.map(\.device) == ["default"])
        #expect(config.dataDirectory == "/var/lib/carillon")
    }

    @Test("paths resolve against the config's directory, `..` included, and absolute paths stay")
    func paths() throws {
        let config = try parse(
            """
            [station]
            data_dir = "../var"
            [library]
            dir = "/opt/library"
            """, file: "/repo/config/carillon.toml")
        #expect(config.dataDirectory == "/repo/var")
        #expect(config.libraryDirectory == "/opt/library")
    }

    @Test("every error is reported with its file and line, not just the first")
    func everyError() {
        let found = errors(
            """
            [station]
            data_dir = 5
            colour = "red"
            [control]
            socket_mode = "777"
            [[output]]
            name = "Main Hall"
            device = "default"
            rate = 44
            [[output]]
            name = "yard"
            buffer_ms = 4
            """)
        #expect(
            found == [
                "/etc/carillon/carillon.toml:2:12: expected a string for `station.data_dir`, found an integer",
                "/etc/carillon/carillon.toml:3:1: unknown key `colour` in [station]; expected one of `name`, `data_dir`, `log_level`",
                "/etc/carillon/carillon.toml:5:15: `control.socket_mode` must be four octal digits such as \"0660\"",
                "/etc/carillon/carillon.toml:7:8: output name `Main Hall` must start with a lower-case letter and hold only a-z, 0-9, - and _ (and not be `all`)",
                "/etc/carillon/carillon.toml:9:8: `rate` must be one of 8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000",
                "/etc/carillon/carillon.toml:10:1: missing key `device` in [[output]]",
                "/etc/carillon/carillon.toml:12:13: `buffer_ms` must be 10 to 500",
            ], "\(found)")
    }

    @Test("two outputs may not share a name, nor be called `all`")
    func outputNames() {
        let twice = errors(
            """
            [[output]]
            name = "main"
            device = "hw:0"
            [[output]]
            name = "main"
            device = "hw:1"
            """)
        #expect(twice.count == 1 && twice[0].contains(":5:") && twice[0].contains("declared twice"), "\(twice)")
        #expect(errors("[[output]]\nname = \"all\"\ndevice = \"hw:0\"\n").count == 1)
    }

    @Test("a TOML syntax error names its line and column")
    func syntaxError() {
        let found = errors("[station]\nname = \"unterminated\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("/etc/carillon/carillon.toml:2:") == true, "\(found)")
    }

    @Test("the shipped configs are valid")
    func shippedConfigs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for name in ["carillon.toml", "demo.toml"] {
            let config = try StationConfig.load(path: root.appendingPathComponent("config/\(name)").path)
            let library = try Library.load(directory: config.libraryDirectory)
            #expect(library.clips["bell.start"] != nil)
        }
    }
}
