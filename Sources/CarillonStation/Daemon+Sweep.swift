import CarillonCore
import CarillonStore
import Foundation
import Logging

extension Daemon {
    /// Clears what a daemon killed mid-write left in the data directory: every upload (uploads live
    /// in memory, so none survives a restart), recordings no catalog row names (a kill between
    /// putting an import's or a bundle's file in place and committing its row), and renders cut off
    /// before their rename (`*.partial` in the cache). Without this, a daemon crashing during
    /// uploads fills the disk, up to 200 MiB per upload. (Old shout recordings go once the daemon is
    /// ready: `Station.pruneShoutRecordings`.)
    ///
    /// Runs at start, before the control socket opens: nothing else writes there yet.
    static func sweepDataDirectory(config: StationConfig, library: Library, logger: Logger) {
        let files = FileManager.default
        let uploads = config.dataDirectory + "/uploads"
        for name in (try? files.contentsOfDirectory(atPath: uploads)) ?? [] {
            try? files.removeItem(atPath: uploads + "/" + name)
            logger.notice("removed an upload left by an earlier run", metadata: ["file": "\(name)"])
        }
        // Named by the last component only: a data directory moved or spelt differently since the
        // row was written must not make every recording look unnamed.
        // Made only when there are recordings, and without NSString: ten thousand shipped clips
        // cost a start 10 ms through `lastPathComponent`.
        let recordings = config.dataDirectory + "/recordings"
        let found = (try? files.contentsOfDirectory(atPath: recordings)) ?? []
        let named =
            found.isEmpty
            ? []
            : Set(
                library.clips.values.compactMap { clip -> Substring? in
                    guard case .file(let path) = clip.source else { return nil }
                    return path.split(separator: "/").last
                })
        for name in found where !named.contains(Substring(name)) {
            try? files.removeItem(atPath: recordings + "/" + name)
            logger.notice("removed a recording no clip names, left by an earlier run", metadata: ["file": "\(name)"])
        }
        for kind in ["synth", "speech"] {
            let cache = config.dataDirectory + "/cache/" + kind
            for name in (try? files.contentsOfDirectory(atPath: cache)) ?? [] where name.hasSuffix(".partial") {
                try? files.removeItem(atPath: cache + "/" + name)
                logger.notice("removed a render cut off by an earlier run", metadata: ["file": "\(kind)/\(name)"])
            }
        }
    }
}
