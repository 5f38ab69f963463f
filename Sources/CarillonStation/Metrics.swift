import CarillonAudio
import CarillonProtocol
import Foundation

/// Counters the daemon keeps for `metrics`, in Prometheus' text format.
struct Metrics {
    /// Upper bounds of the latency buckets, in seconds: request to first sample written to ALSA.
    static let latencyBuckets: [Double] = [0.001, 0.002, 0.003, 0.005, 0.01, 0.015, 0.02, 0.05, 0.1, 0.25, 1, 5]

    struct PlayKey: Hashable { var category: String; var level: String; var outcome: String }

    var plays: [PlayKey: Int] = [:]
    var faults: [String: Int] = [:]
    var latencyCounts = [Int](repeating: 0, count: latencyBuckets.count)
    var latencyCount = 0
    var latencySum = 0.0

    mutating func recordLatency(seconds: Double) {
        latencyCount += 1
        latencySum += seconds
        for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { latencyCounts[index] += 1 }
    }

    /// The exposition text.
    func render(
        uptime: Double, outputs: [OutputStatus], queues: [(zone: String, depth: Int)], clips: [String: Int],
        scheduleVersion: Int?, storage: StorageInfo, config: ConfigInfo, city: CityLinkInfo? = nil
    ) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func label(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        family("carillon_uptime_seconds", "gauge", "Seconds since the daemon started.")
        out += "carillon_uptime_seconds \(uptime)\n"
        family("carillon_plays_total", "counter", "Plays ended, by clip category, priority level and outcome.")
        for (key, count) in plays.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            out += "carillon_plays_total{category=\"\(label(key.category))\",level=\"\(key.level)\",outcome=\"\(key.outcome)\"} \(count)\n"
        }
        family("carillon_output_up", "gauge", "1 while an output's device is open and playing.")
        for output in outputs {
            let up = if case .running = output.state { 1 } else { 0 }
            out += "carillon_output_up{output=\"\(label(output.name))\",device=\"\(label(output.device))\"} \(up)\n"
        }
        family("carillon_output_faults_total", "counter", "Times an output failed or could not be opened.")
        for output in outputs { out += "carillon_output_faults_total{output=\"\(label(output.name))\"} \(faults[output.name] ?? 0)\n" }
        family("carillon_output_xruns_total", "counter", "Underruns recovered.")
        for output in outputs { out += "carillon_output_xruns_total{output=\"\(label(output.name))\"} \(output.xruns)\n" }
        family("carillon_zone_queue_depth", "gauge", "Plays waiting for a zone.")
        for queue in queues { out += "carillon_zone_queue_depth{zone=\"\(label(queue.zone))\"} \(queue.depth)\n" }
        family("carillon_library_clips", "gauge", "Clips in the library, by category.")
        for (category, count) in clips.sorted(by: { $0.key < $1.key }) {
            out += "carillon_library_clips{category=\"\(category)\"} \(count)\n"
        }
        if let scheduleVersion {
            family("carillon_schedule_version", "gauge", "The version of the schedule in force.")
            out += "carillon_schedule_version \(scheduleVersion)\n"
        }
        family("carillon_storage_failing", "gauge", "1 while the last write to the data directory failed.")
        out += "carillon_storage_failing \(storage.state == StorageInfo.ok ? 0 : 1)\n"
        family("carillon_storage_failed_writes_total", "counter", "Writes to the data directory that failed (play log, saved state, plan runs, audit log).")
        out += "carillon_storage_failed_writes_total \(storage.failedWrites)\n"
        family("carillon_config_failing", "gauge", "1 while the last reload was refused: the daemon runs on the config it had.")
        out += "carillon_config_failing \(config.state == "ok" ? 0 : 1)\n"
        family("carillon_config_failed_reloads_total", "counter", "Reloads refused (config, library, schedule, plans or certificates).")
        out += "carillon_config_failed_reloads_total \(config.failedReloads)\n"
        if let city {
            family("carillon_city_link_up", "gauge", "1 while the city link is connected to the bureau's broker.")
            out += "carillon_city_link_up{broker=\"\(label(city.broker))\"} \(city.state == "connected" ? 1 : 0)\n"
            family("carillon_city_link_connections_total", "counter", "Connections to the broker made, the first included.")
            out += "carillon_city_link_connections_total \(city.connections)\n"
            family("carillon_city_alerts_total", "counter", "City alerts heard, by outcome.")
            for (outcome, count) in [("failed", city.failed), ("refused", city.refused), ("sounded", city.sounded)] {
                out += "carillon_city_alerts_total{outcome=\"\(outcome)\"} \(count)\n"
            }
            if let sounded = city.lastSounded {
                family("carillon_city_last_alert_sounded_timestamp_seconds", "gauge", "When the last city alert sounded.")
                out += "carillon_city_last_alert_sounded_timestamp_seconds \(sounded.at.timeIntervalSince1970)\n"
            }
        }
        family("carillon_play_latency_seconds", "histogram", "From a play's request to its first sample written to ALSA.")
        for (index, bound) in Self.latencyBuckets.enumerated() {
            out += "carillon_play_latency_seconds_bucket{le=\"\(bound)\"} \(latencyCounts[index])\n"
        }
        out += "carillon_play_latency_seconds_bucket{le=\"+Inf\"} \(latencyCount)\n"
        out += "carillon_play_latency_seconds_sum \(latencySum)\ncarillon_play_latency_seconds_count \(latencyCount)\n"
        return out
    }
}
