import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Announce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Book a clip or a text to play later, at the announcement level (teacher or higher)."),
            discussion: Message.about(
                "TIME is HH:MM (today, in this computer's time zone), YYYY-MM-DD HH:MM, or an ISO 8601 date-time with its offset. The daemon keeps it across restarts; one whose time passed while it was down plays if at most 60 s late, else it is marked missed."
            ),
            subcommands: [List.self, Cancel.self])
        @ParentCommand var root: Carillon
        @Option(help: Message.help("When to play it: HH:MM, YYYY-MM-DD HH:MM, or ISO 8601.")) var at: String?
        @Option(help: Message.help("A clip of the library, e.g. tip.fire.012.")) var clip: String?
        @Option(help: Message.help("A text to read aloud after the pre-announce chime.")) var text: String?
        @Option(help: Message.help("The voice of the text: zh (default) or en.")) var voice: String?
        @OptionGroup var zones: ZoneSelection
        @Flag(help: Message.help("Print one JSON object.")) var json = false

        // Checked in `run`, not `validate`: ArgumentParser validates this command on the way to `list` too.
        func run() async throws {
            guard let at else { throw ValidationError(Message.badAnnounceTime("").text) }
            guard (clip == nil) != (text == nil) else { throw ValidationError(Message.clipOrText.text) }
            let when = try AnnounceTime.parse(at, now: Date(), timeZone: .current)
            let args = AnnounceArgs(at: when, clip: clip, text: text, voice: voice, zones: try zones.names)
            let booked = try await root.connection.with {
                try await $0.call(.announce, args, returning: AnnouncementInfo.self)
            }
            if json { return try printJSON(booked) }
            print(Message.announceBooked(id: booked.announcement, at: localTime(booked.at), zones: booked.zones).text)
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("The announcements waiting to play."))
            @ParentCommand var root: Carillon
            // `--json` after `list` is the parent's too: ArgumentParser gives it to `announce`.
            @ParentCommand var announce: Announce
            @Flag(help: Message.help("Also those that played, were cancelled, missed or failed in the last 7 days."))
            var all = false
            @Flag(help: Message.help("Print one JSON object per announcement.")) var json = false

            func run() async throws {
                let json = json || announce.json
                let list = try await root.connection.with {
                    try await $0.call(
                        .announceList, AnnounceListArgs(all: all ? true : nil), returning: AnnouncementList.self)
                }
                if json { return try list.announcements.forEach(printJSON) }
                if list.announcements.isEmpty { return print(Message.noAnnouncements.text) }
                for item in list.announcements {
                    print(
                        Message.announceLine(
                            id: item.announcement, at: localTime(item.at), clip: item.clip, text: item.text,
                            zones: item.zones,
                            state: item.state, by: item.createdBy, detail: item.detail
                        ).text)
                }
            }
        }

        struct Cancel: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Cancel an announcement that has not played yet."))
            @ParentCommand var root: Carillon
            @Argument(help: Message.help("The announcement's number, as `announce list` shows it.")) var id: Int64

            func run() async throws {
                let cancelled = try await root.connection.with {
                    try await $0.call(
                        .announceCancel, AnnounceCancelArgs(announcement: id), returning: AnnouncementInfo.self)
                }
                print(Message.announceCancelled(id: cancelled.announcement).text)
            }
        }
    }
}

/// The `--at` of `announce`: the forms a person types, read in the client's time zone.
enum AnnounceTime {
    /// `HH:MM[:SS]` today (refused once passed: it never silently means tomorrow), `YYYY-MM-DD HH:MM[:SS]`
    /// (also with `T`), or an ISO 8601 date-time with its offset.
    /// - Throws: `ValidationError` saying which forms are accepted, or that the time has passed today.
    static func parse(_ text: String, now: Date, timeZone: TimeZone) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = Wire.date(trimmed) { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "T" }).map(String.init)
        func clock(_ text: String) -> (Int, Int, Int)? {
            let fields = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(fields.count), !fields.contains(nil), text.split(separator: ":")[0].count <= 2 else {
                return nil
            }
            let values = fields.map { $0! }
            let time = (values[0], values[1], values.count == 3 ? values[2] : 0)
            guard (0...23).contains(time.0), (0...59).contains(time.1), (0...59).contains(time.2) else { return nil }
            return time
        }
        func day(_ text: String) -> DateComponents? {
            let fields = text.split(separator: "-", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
                let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2])
            else { return nil }
            let components = DateComponents(year: year, month: month, day: day)
            // A day that does not exist (02-30) must not roll over into March.
            guard let date = calendar.date(from: components),
                calendar.dateComponents([.year, .month, .day], from: date) == components
            else { return nil }
            return components
        }
        switch parts.count {
        case 1:
            guard let (hour, minute, second) = clock(parts[0]) else {
                throw ValidationError(Message.badAnnounceTime(text).text)
            }
            var components = calendar.dateComponents([.year, .month, .day], from: now)
            (components.hour, components.minute, components.second) = (hour, minute, second)
            guard let date = calendar.date(from: components) else {
                throw ValidationError(Message.badAnnounceTime(text).text)
            }
            guard date > now else {
                let formatter = DateFormatter()
                formatter.timeZone = timeZone
                formatter.dateFormat = "HH:mm"
                throw ValidationError(Message.announceTimePassed(time: parts[0], now: formatter.string(from: now)).text)
            }
            return date
        case 2:
            guard var components = day(parts[0]), let (hour, minute, second) = clock(parts[1]) else {
                throw ValidationError(Message.badAnnounceTime(text).text)
            }
            (components.hour, components.minute, components.second) = (hour, minute, second)
            guard let date = calendar.date(from: components) else {
                throw ValidationError(Message.badAnnounceTime(text).text)
            }
            return date
        default:
            throw ValidationError(Message.badAnnounceTime(text).text)
        }
    }
}
