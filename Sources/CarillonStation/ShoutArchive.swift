import Foundation

/// The shout recordings in `data_dir/shouts`: every shout is kept, as heard, for
/// `[station] keep_shouts_days` days, then removed, so that a box that runs for years does not fill
/// its disk with them (a FLAC of a 30 s shout is about 1.5 MB; ten a day are 5 GB a year).
enum ShoutArchive {
    /// Removes the recordings in `directory` last written more than `days` days before `now`; with
    /// `days` 0, none. Only the daemon's own files (`shout-*.flac`) are touched.
    /// - Returns: the names removed.
    @discardableResult
    static func prune(directory: String, keepDays days: Int, now: Date = Date()) -> [String] {
        guard days > 0 else { return [] }
        let files = FileManager.default
        let cutoff = now.addingTimeInterval(-Double(days) * 86400)
        var removed: [String] = []
        for name in (try? files.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix("shout-") && name.hasSuffix(".flac") {
            let path = directory + "/" + name
            guard let written = (try? files.attributesOfItem(atPath: path))?[.modificationDate] as? Date, written < cutoff else { continue }
            if (try? files.removeItem(atPath: path)) != nil { removed.append(name) }
        }
        return removed.sorted()
    }
}
