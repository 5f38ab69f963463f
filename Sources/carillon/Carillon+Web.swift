import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Web: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web", abstract: Message.about("The phone console: pair phones, list them, revoke them (admin)."),
            subcommands: [Pair.self, Devices.self, Revoke.self])

        struct Pair: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Print a one-time link, and its QR code, that pairs a phone as a named person."),
                discussion: Message.about("The link works once, for 10 minutes. Pairing the same name again adds a phone for that person."))
            @ParentCommand var root: Carillon
            @Option(help: Message.help("The person, as the roll-call shows them.")) var name: String
            @Option(help: Message.help("viewer, teacher, leader or admin.")) var role: String
            @OptionGroup var zones: ZoneSelection
            @Option(help: Message.help("A staff group for plans' tasks, e.g. class-teachers; repeat or comma-separate."))
            var group: [String] = []
            @Flag(help: Message.help("Print one JSON object, without the QR code.")) var json = false

            func validate() throws {
                guard let role = Role(rawValue: role), role != .bureau else {
                    throw ValidationError(Message.about("--role must be viewer, teacher, leader or admin"))
                }
            }

            func run() async throws {
                let groups = group.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
                let args = WebPairArgs(
                    name: name, role: Role(rawValue: role) ?? .viewer, zones: try zones.names, groups: groups.isEmpty ? nil : groups)
                let pairing = try await root.connection.with { try await $0.call(.webPair, args, returning: WebPairing.self) }
                if json { return try printJSON(pairing) }
                print(Message.webPairing(name: pairing.name, role: pairing.role.rawValue, expires: localTime(pairing.expiresAt)).text)
                print(pairing.link)
                if let code = QRCode(pairing.link) {
                    for line in code.terminalLines { print(line) }
                }
            }
        }

        struct Devices: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: Message.about("The paired people and their phones."))
            @ParentCommand var root: Carillon
            @Flag(help: Message.help("Print one JSON object per person.")) var json = false

            func run() async throws {
                let list = try await root.connection.with { try await $0.call(.webDevices, Empty(), returning: WebDeviceList.self) }
                if json { return try list.devices.forEach(printJSON) }
                if list.devices.isEmpty { return print(Message.webNoDevices.text) }
                for device in list.devices {
                    print(
                        Message.webDevice(
                            name: device.name, role: device.role.rawValue, zones: device.zones, groups: device.groups,
                            lastSeen: device.lastSeen.map(localTime), sessions: device.sessions
                        ).text)
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Unpair a person: their phones are signed out at once, open consoles included."))
            @ParentCommand var root: Carillon
            @Argument(help: Message.help("The person's name, as `web devices` lists it.")) var name: String

            func run() async throws {
                let revoked = try await root.connection.with {
                    try await $0.call(.webRevoke, WebRevokeArgs(name: name), returning: WebRevoked.self)
                }
                print(Message.webRevoked(name: revoked.name, sessions: revoked.sessions).text)
            }
        }
    }
}
