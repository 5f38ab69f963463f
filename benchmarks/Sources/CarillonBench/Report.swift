import CarillonTesting
import Foundation

/// Percentiles of a sample, for the JSON and the tables.
func summary(_ values: [Double]) -> [String: Any] {
    [
        "n": values.count, "min": percentile(values, 0), "p10": percentile(values, 0.10), "p25": percentile(values, 0.25),
        "p50": percentile(values, 0.5), "p75": percentile(values, 0.75), "p90": percentile(values, 0.9),
        "p95": percentile(values, 0.95), "p99": percentile(values, 0.99), "max": values.max() ?? .nan,
        "samples": values.map { ($0 * 1000).rounded() / 1000 },
    ]
}

/// A number of milliseconds as the tables print it.
func ms(_ value: Double) -> String {
    guard value.isFinite else { return "—" }
    return value < 1 ? String(format: "%.2f ms", value) : value < 100 ? String(format: "%.1f ms", value) : String(format: "%.0f ms", value)
}

func p50p99(_ values: [Double]) -> String { "p50 \(ms(percentile(values, 0.5))), p99 \(ms(percentile(values, 0.99)))" }

/// How many times better Carillon is: MPD ÷ Carillon where lower is better, the inverse where higher is.
func ratio(carillon: Double, mpd: Double, higherIsBetter: Bool = false) -> String {
    guard carillon.isFinite, mpd.isFinite, carillon > 0, mpd > 0 else { return "—" }
    let r = higherIsBetter ? carillon / mpd : mpd / carillon
    return String(format: r >= 10 ? "×%.0f" : r >= 1 ? "×%.1f" : "×%.2g", r)
}

/// One line of the summary table in docs/BENCHMARKS.md.
struct Row {
    var figure: String
    var target: String
    var carillon: String
    var mpd: String
    var ratio: String
    /// Whether Carillon's figure meets the target: ✅, ❌, or empty when there is no target.
    var met: String

    var json: [String: Any] {
        ["figure": figure, "target": target, "carillon": carillon, "mpd": mpd, "ratio": ratio, "met": met]
    }
}

func verdict(_ ok: Bool) -> String { ok ? "✅" : "❌" }

/// Rewrites the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in `document`.
func replaceBlock(_ name: String, with text: String, in document: String) throws -> String {
    let open = "<!-- bench:\(name) -->"
    let close = "<!-- /bench:\(name) -->"
    guard let start = document.range(of: open), let end = document.range(of: close), start.upperBound <= end.lowerBound else {
        throw HarnessError("docs/BENCHMARKS.md has no \(open) … \(close) block")
    }
    return document.replacingCharacters(in: start.upperBound..<end.lowerBound, with: "\n" + text + "\n")
}

func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
    var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
    lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
    return lines.joined(separator: "\n")
}

/// Renders the CDF of trigger latencies with gnuplot; returns false when gnuplot failed.
func plotCDF(series: [(name: String, values: [Double])], to png: String, in directory: TemporaryDirectory) throws -> Bool {
    var plots: [String] = []
    // Twelve distinct colours; MPD's series dashed.
    let colours = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000",
        "#aec7e8",
    ]
    for (i, (name, values)) in series.enumerated() where !values.isEmpty {
        let sorted = values.sorted()
        let rows = sorted.enumerated().map { "\($0.element) \(Double($0.offset + 1) / Double(sorted.count))" }
        let data = directory.file("cdf-\(i).dat")
        try rows.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let dash = name.hasPrefix("mpd") ? 2 : 1
        plots.append("'\(data)' using 1:2 with steps lw 2 dt \(dash) lc rgb '\(colours[i % colours.count])' title '\(name)'")
    }
    let script = """
        set terminal pngcairo size 1000,600 font 'sans,10' noenhanced
        set output '\(png)'
        set title 'Trigger sent → first sample written to ALSA (CDF; probe timestamps, CLOCK_MONOTONIC)'
        set xlabel 'milliseconds (log scale)'
        set ylabel 'fraction of triggers'
        set logscale x
        set xrange [0.5:1000]
        set yrange [0:1]
        set grid
        set key bottom right
        plot \(plots.joined(separator: ", \\\n     "))
        """
    try script.write(toFile: directory.file("cdf.gp"), atomically: true, encoding: .utf8)
    let result = try run("/usr/bin/gnuplot", [directory.file("cdf.gp")])
    if result.status != 0 { note("gnuplot failed: \(result.stderr)") }
    return result.status == 0
}
