import CarillonProtocol
import Foundation

/// Whether the last reload of the config took: `config` in `status` and the metrics, and the
/// `config.failed` event. State of its own, beside `StorageHealth`, not the Station's playing state.
struct ConfigHealth {
    private(set) var info = ConfigInfo(state: "ok", failedReloads: 0)

    /// A reload took: `ok` again; the count and the last error stay.
    mutating func reloaded() { info.state = "ok" }

    /// A reload was refused: records why and when, and returns the event that says so.
    mutating func refused(_ reason: String, at now: Date) -> Event {
        info.state = "failing"
        info.failedReloads += 1
        info.lastError = reason
        info.lastErrorAt = now
        var event = Event(event: "config.failed")
        event.detail = reason
        return event
    }
}
