import CarillonTesting
import Foundation
import Glibc

/// The phone console's two figures (issue 20), from Debian's headless Chromium driven over
/// WebDriver on loopback, as a teacher's phone would use the console on the school's Wi-Fi:
/// - a shout from the browser's (fake) microphone: frame captured → first sample written, the
///   daemon's `shout.started` figure (the page stamps each frame with its capture time; the daemon
///   subtracts it from the time its first sample was written: one clock, one machine);
/// - a plan button held 2 s and released → first alarm sample written: the page's `pointerup`
///   event time against the probe's CLOCK_REALTIME stamp of the first loud sample written to ALSA.
final class ConsoleBench {
    static let webRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("web").path

    static var isAvailable: Bool { Browser.isAvailable }

    let rig: CarillonRig
    let browser: Browser

    init(probeLibrary: String) throws {
        let port = try freeLoopbackPort()
        rig = try CarillonRig(
            probeLibrary: probeLibrary,
            extra: """
                [web]
                listen = "127.0.0.1:\(port)"
                plain_http = true
                root = "\(Self.webRoot)"
                """)
        do {
            try rig.waitForPlan()
            // The fake microphone loops a 1 kHz tone: every frame it sends is voice.
            let tone = rig.directory.file("tone.wav")
            try WAVFile.write(
                path: tone, sampleRate: 48000, channels: 1,
                samples: WAVFile.tone(frequency: 1000, seconds: 2, sampleRate: 48000, channels: 1))
            let paired = try run(Binaries.client, ["--socket", rig.socket, "web", "pair", "--name", "bench-leader", "--role", "leader", "--json"])
            guard paired.status == 0,
                let object = try JSONSerialization.jsonObject(with: Data(paired.stdout.utf8)) as? [String: Any],
                let link = object["link"] as? String
            else { throw HarnessError("web pair failed: \(paired.stdout) \(paired.stderr)") }
            browser = try Browser(microphone: tone, profile: rig.directory.file("profile"))
            try browser.open(link)
            try browser.wait(until: "document.body.dataset.role === 'leader' && document.querySelectorAll('#zones li').length > 0")
        } catch {
            rig.stop()
            throw error
        }
    }

    func stop() {
        browser.quit()
        rig.stop()
    }

    /// Holds the plan's button 2.1 s and releases it, `runs` times after `warmups`: released → the
    /// probe's first alarm sample written, in ms (`probe`); the page's part, from the release to
    /// `plan.start` handed to its WebSocket (`file`, for want of a better field); and the daemon's
    /// own part, from the command's arrival to the first sample written (its play log's `latency_ms`: `daemon`).
    func planButton(runs: Int, warmups: Int = 3) throws -> Series {
        let control = try LineSocket(path: rig.socket)
        let button = "#plans button[data-plan=bench]"
        try browser.click("#tabs [data-page=plans]")
        // The plan itself, as in an emergency, not the page's default drill: the same as the CLI's `plan.start`.
        if try browser.run("return document.getElementById('drill').checked") as? Bool == true { try browser.click("#drill") }
        try browser.wait(until: "document.querySelector('\(button)')")
        // The release as the page sees it: the event's own time, in ms since 1970; and when the page
        // handed `plan.start` to its WebSocket, to tell the page's part from the rest.
        try browser.run(
            """
            window.benchReleased = 0; window.benchSent = 0;
            document.addEventListener('pointerup', (e) => { window.benchReleased = performance.timeOrigin + e.timeStamp; }, true);
            const send = WebSocket.prototype.send;
            WebSocket.prototype.send = function (data) {
              if (typeof data === 'string' && data.includes('"plan.start"')) window.benchSent = performance.timeOrigin + performance.now();
              return send.call(this, data);
            };
            """)
        var series = Series()
        let before = Set(try rig.loggedLatencies().keys)
        for run in 0..<(runs + warmups) {
            rig.probe.drain()
            let t0 = monotonic()
            try browser.press(button, milliseconds: 2100)
            guard let onset = rig.probe.next(after: t0) else {
                let page = (try? browser.run("return document.getElementById('plans-note').textContent")) as? String ?? ""
                throw HarnessError("plan button \(run): no alarm written to ALSA; the page says \"\(page)\"; daemon log: \(rig.daemon.log_.suffix(1500))")
            }
            guard let times = try browser.run("return [window.benchReleased, window.benchSent]") as? [Double], times.count == 2,
                times[0] > 0, times[1] >= times[0]
            else { throw HarnessError("plan button \(run): the page saw no release, or sent nothing after it") }
            if run >= warmups {
                series.probe.append(Double(onset.wall) / 1e6 - times[0])
                series.file.append(times[1] - times[0])
            }
            _ = try control.call("plan.stop")
            _ = try control.call("stop")
            // The page redraws its plans when the run ends: wait for that, so the next press finds the button at rest.
            try browser.wait(until: "document.getElementById('running').hidden")
            usleep(60_000)
        }
        // One play per press, in order: the plan's alarm (the bench's plan has no all-clear).
        let logged = try rig.loggedLatencies().filter { !before.contains($0.key) }.sorted { $0.key < $1.key }
        guard logged.count == runs + warmups else { throw HarnessError("\(logged.count) plays logged for \(runs + warmups) presses") }
        series.daemon = logged.dropFirst(warmups).map(\.value.written)
        return series
    }

    /// Starts and ends `runs` shouts from the page's talk button (latched) after `warmups`: each
    /// one's microphone frame captured → first sample written, from its `shout.started` event.
    func shouts(runs: Int, warmups: Int = 3) throws -> [Double] {
        let events = try LineSocket(path: rig.socket)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(events.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = try events.call("events", ["kinds": ["shout."]])
        /// The next event of `kind`, parsed.
        func next(_ kind: String) throws -> [String: Any] {
            while let line = try events.readLine() {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["event"] as? String == kind {
                    return object
                }
            }
            throw HarnessError("the daemon closed the events connection")
        }
        try browser.click("#tabs [data-page=shout]")
        try browser.click("#shout-latch")
        var latencies: [Double] = []
        for run in 0..<(runs + warmups) {
            try browser.click("#talk")
            let started = try next("shout.started")
            guard let latency = started["latency_ms"] as? Double else { throw HarnessError("shout \(run): no latency in \(started)") }
            if run >= warmups { latencies.append(latency) }
            try browser.click("#talk")
            _ = try next("shout.ended")
            try browser.wait(until: "!document.getElementById('talk').classList.contains('live')")
        }
        return latencies
    }
}
