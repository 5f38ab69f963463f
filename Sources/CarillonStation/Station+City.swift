import CarillonAudio
import CarillonCity
import CarillonCore
public import CarillonProtocol
import CarillonStore
public import Foundation
import Logging

extension Station {
    /// `city.alert`: checks a signed alert whole and sounds it at the emergency level, or refuses it.
    /// The rules, in order: size, JSON, a key of `[bureau] keys` and its signature, the fields, not
    /// expired at `now`, addressed to this school, an id never heard before (kept in the database
    /// until the alert expires, so a restart does not replay it). A refusal is logged and answered,
    /// never thrown: the bureau hears why.
    public func cityAlert(_ args: CityAlertArgs, by peer: String, now: Date = Date()) async -> CityAlertResult {
        let received = args.receivedMs.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? now
        let result = await admitAndSound(args, received: received, by: peer, now: now)
        if result.outcome == "sounded" {
            logger.critical(
                result.drill == true ? "city alert drill sounded" : "city alert sounded",
                metadata: ["alert": "\(result.alert ?? "")", "play": "\(result.play ?? 0)"])
        } else {
            logger.error(
                "city alert not sounded",
                metadata: ["alert": "\(result.alert ?? "?")", "reason": "\(result.reason ?? "")", "detail": "\(result.detail ?? "")"])
        }
        events.publish(
            Event(
                event: "city.alert", play: result.play, outcome: result.outcome,
                detail: [result.reason, result.detail].compactMap { $0 }.joined(separator: ": "), drill: result.drill,
                alert: result.alert))
        return result
    }

    private func admitAndSound(_ args: CityAlertArgs, received: Date, by peer: String, now: Date) async -> CityAlertResult {
        func refused(_ refusal: AlertRefusal, alert: String? = nil, drill: Bool? = nil) -> CityAlertResult {
            CityAlertResult(
                alert: alert, outcome: refusal.reason == .failed ? "failed" : "refused", reason: refusal.reason.rawValue,
                detail: refusal.message, drill: drill)
        }
        guard let bureau = config.bureau else {
            return refused(AlertRefusal(.failed, "this school has no [bureau] keys to check alerts with"))
        }
        // Base64 makes the envelope a third larger; a longer one is over the limit anyway.
        guard args.envelope.utf8.count <= (CityAlert.maxEnvelopeBytes / 3 + 1) * 4 + 4 else {
            return refused(AlertRefusal(.oversized, "the envelope is over \(CityAlert.maxEnvelopeBytes) bytes"))
        }
        guard let envelope = Data(base64Encoded: args.envelope) else {
            return refused(AlertRefusal(.malformed, "`envelope` is not base64"))
        }
        let check = AlertCheck(keys: bureau.keys, school: bureau.school, district: config.city?.district)
        let alert: CityAlert
        do { alert = try check.check(envelope, now: millisecondsSince1970(now)) } catch { return refused(error, alert: error.alert) }
        do {
            guard try await store.admitCityAlert(id: alert.id, expires: alert.expires, heard: millisecondsSince1970(received)) else {
                return refused(AlertRefusal(.replayed, "alert \(alert.id) was heard before"), alert: alert.id, drill: alert.drill)
            }
            storage.succeeded()
        } catch {
            // An alarm is not silenced by a failing disk: it sounds, and the failure is reported.
            storage.failed("city alert", error)
            logger.error("city alert id not recorded: a replay of it would not be recognised", metadata: ["error": "\(error)"])
        }
        let source = alert.drill ? "drill" : "city"
        let play: Int64
        do throws(WireError) {
            switch alert.sound {
            case .plan(let name):
                var lead: [PCMBuffer] = []
                // Checked before the countdown is made: a plan this school lacks fails at once.
                guard plans[name] != nil else {
                    throw WireError(.notFound, "no plan `\(name)`; the plans are \(plans.keys.sorted().joined(separator: ", "))")
                }
                if let seconds = alert.countdown {
                    // Rendered at start; only an alert in the first seconds after it waits here.
                    await prepareCountdown()
                    // What is left of the countdown now: it ends at the event, never later.
                    let remaining = Double(seconds) - Double(millisecondsSince1970(Date()) - alert.issued) / 1000
                    if let countdown = Countdown(remaining: remaining) { lead = await countdownAudio(countdown, plan: name) }
                }
                let info = try await planStart(PlanStartArgs(plan: name, drill: alert.drill), by: peer, lead: lead)
                guard let started = info.play else { throw WireError(.internal, "plan `\(name)` started without a play") }
                play = started
            case .clip(let id):
                play = try await self.play(PlayArgs(clip: id, level: Level.emergency.rawValue), by: peer, role: .admin, source: source).play
            case .message(let text):
                play = try await sayAtEmergency(text, drill: alert.drill, by: peer, source: source)
            case nil:
                throw WireError(.invalidArguments, "the alert sounds nothing")
            }
        } catch {
            return refused(AlertRefusal(.failed, error.message), alert: alert.id, drill: alert.drill)
        }
        let first = await firstSample(of: play)
        return CityAlertResult(
            alert: alert.id, outcome: "sounded", play: play, firstSampleMs: first.map(millisecondsSince1970), drill: alert.drill)
    }

    /// When a play's first sample was written; nil once it ended without one.
    func firstSample(of id: PlayID) async -> Date? {
        guard let play = plays[id] else { return nil }
        if let written = play.firstWritten { return written }
        return await withCheckedContinuation { continuation in
            plays[id]?.startWaiters.append(continuation)
        }
    }

    /// A message alert: the alarm, then the text twice, as one play at the emergency level.
    private func sayAtEmergency(_ text: String, drill: Bool, by peer: String, source: String) async throws(WireError) -> PlayID {
        let alarm = fit(await cityAlarm(plan: nil), seconds: 3)
        let renderer = self.renderer
        let prefix = drill ? library.clips["msg.drill.prefix"] : nil
        let library = self.library
        let speech: PCMBuffer
        do {
            speech = try await offPoolThrowing { () throws(AudioError) in
                var speech = try renderer.speak(text, voice: "zh").converted(to: Self.planFormat)
                if let prefix, case .file(let path) = try library.audio(for: prefix, renderer: renderer) {
                    speech = try PCMBuffer.decode(path: path, to: Self.planFormat).appending(.silence(seconds: 0.4, format: Self.planFormat))
                        .appending(speech)
                }
                return speech
            }
        } catch {
            throw WireError(.badAudio, error.message)
        }
        let gap = PCMBuffer.silence(seconds: 0.6, format: Self.planFormat)
        let clip = Clip(id: "city.message", category: .alarm, title: String(text.prefix(40)), source: .speech(text: text, voice: "zh"))
        return try await start(
            clip: clip, audio: .buffers([alarm, gap, speech, gap, speech]), level: .emergency, zones: nil, source: source, by: peer
        ).play
    }

    /// The alarm a city alert sounds: the plan's own first alarm, else the library's first alarm
    /// clip, else the synthesized one.
    private func cityAlarm(plan name: String?) async -> PCMBuffer {
        let fromPlan = name.flatMap { plans[$0] }.flatMap { plan in
            (plan.intro + plan.steps).lazy.compactMap { step -> String? in
                if case .alarm(let clip, _) = step { clip } else { nil }
            }.first
        }
        let fromLibrary = library.clips.values.filter { $0.category == .alarm }.map(\.id).min()
        guard let id = fromPlan ?? fromLibrary else { return fallbackAlarm }
        return await alarmAudio(id)
    }

    private func fit(_ audio: PCMBuffer, seconds: Double) -> PCMBuffer { Self.fit(audio, seconds: seconds) }

    /// The countdown as one buffer: the alarm, then each cue at its second, cut short where the
    /// next begins, so that every cue is heard on time; silence up to the event.
    private func countdownAudio(_ countdown: Countdown, plan: String) async -> [PCMBuffer] {
        let rate = Double(Self.planFormat.sampleRate)
        var samples = fit(await cityAlarm(plan: plan), seconds: countdown.alarm).samples
        for (index, cue) in countdown.cues.enumerated() {
            let start = Int(cue.at * rate)
            let end = Int((index + 1 < countdown.cues.count ? countdown.cues[index + 1].at : countdown.length) * rate)
            if samples.count < start { samples += [Float](repeating: 0, count: start - samples.count) }
            samples.removeLast(max(0, samples.count - start))
            let speech = countdownSpeech[cue.text]?.samples ?? []
            samples += speech.prefix(max(0, end - start))
        }
        let total = Int(countdown.length * rate)
        if samples.count < total { samples += [Float](repeating: 0, count: total - samples.count) }
        return [PCMBuffer(format: Self.planFormat, samples: samples)]
    }

    /// Renders the countdown's spoken cues into memory, off the pool: at start when `[city]` is
    /// configured, so that an alert waits for no speech.
    func prepareCountdown(_ texts: [String] = Countdown.allTexts) async {
        let renderer = self.renderer
        let wanted = texts.filter { countdownSpeech[$0] == nil }
        guard !wanted.isEmpty else { return }
        let rendered = await offPool { () -> [String: PCMBuffer] in
            var rendered: [String: PCMBuffer] = [:]
            for text in wanted {
                if let speech = try? renderer.speak(text, voice: "zh").converted(to: Self.planFormat) { rendered[text] = speech }
            }
            return rendered
        }
        countdownSpeech.merge(rendered) { _, new in new }
        logger.info("city countdown ready", metadata: ["cues": "\(countdownSpeech.count)"])
        if rendered.count < wanted.count {
            logger.error("countdown speech could not be rendered; those cues will be silent", metadata: ["failed": "\(wanted.count - rendered.count)"])
        }
    }
}
