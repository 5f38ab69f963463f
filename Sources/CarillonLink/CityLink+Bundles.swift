import CarillonCity
import CarillonProtocol
import Foundation
import Logging
import Synchronization

/// The latest bundle notice heard on each bundle topic, and a wake-up for the worker that applies
/// them: notices that arrive together at a connection (the city's, the district's, the school's)
/// are weighed together, and the newest one is applied.
final class BundleInbox: Sendable {
    private let latest = Mutex<[String: Data]>([:])
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func put(topic: String, payload: Data) {
        latest.withLock { $0[topic] = payload }
        wake.yield()
    }

    /// Everything heard so far, by topic; what was taken is not taken again.
    func take() -> [String: Data] {
        latest.withLock { all in
            defer { all = [:] }; return all
        }
    }

    func close() { wake.finish() }

    /// Waits for the next notice; false once closed.
    func next(_ iterator: inout AsyncStream<Void>.Iterator) async -> Bool { await iterator.next() != nil }

    func makeIterator() -> AsyncStream<Void>.Iterator { wakes.makeAsyncIterator() }
}

extension CityLink {
    /// Applies the newest bundle meant for this school whenever notices come: at each connection
    /// the broker sends the retained ones, so a school that was offline catches up when it returns.
    /// A version at or below the highest this school holds is passed over; one that could not be
    /// fetched is tried again when its notice comes again (the next connection).
    func applyBundles(from inbox: BundleInbox, client: MQTTClient) async {
        var wakes = inbox.makeIterator()
        var settled: Set<String> = []
        var waiting: [String: BundleNotice] = [:]
        while await inbox.next(&wakes) {
            // Until nothing newer is waiting: a newer notice may come during an apply.
            while !Task.isCancelled {
                for (topic, payload) in inbox.take() {
                    do throws(NoticeError) {
                        waiting[topic] = try BundleNotice.read(payload)
                    } catch {
                        waiting[topic] = nil
                        logger.error("bundle notice unreadable", metadata: ["topic": "\(topic)", "error": "\(error)"])
                        acknowledge(
                            BundleAck(
                                school: settings.school, bundle: nil, digest: nil, outcome: "refused",
                                reason: "malformed",
                                detail: error.description, at: millisecondsSince1970(Date())), client: client)
                    }
                }
                let floor = (try? await call("schedule.history", Empty(), as: ScheduleHistory.self).get().floor) ?? 0
                let candidates = waiting.values.filter { $0.version > floor && !settled.contains($0.digest) }
                guard let newest = candidates.max(by: { $0.version < $1.version }) else { break }
                guard let outcome = await apply(newest, client: client) else { return }
                // A fetch that failed is tried again when its notice comes again (the next connection).
                if outcome == "failed" {
                    waiting = waiting.filter { $0.value.digest != newest.digest }
                } else {
                    settled.insert(newest.digest)
                }
            }
        }
    }

    /// Fetches (after a random delay) or unpacks one bundle, and applies it through the command
    /// table as `bundle apply` would: uploaded, verified against `[bureau] keys`, applied whole.
    /// - Returns: the ack's outcome; nil when stopped before the end.
    func apply(_ notice: BundleNotice, client: MQTTClient) async -> String? {
        func answer(_ outcome: String, reason: String? = nil, detail: String? = nil) -> String {
            acknowledge(
                BundleAck(
                    school: settings.school, bundle: notice.version, digest: notice.digest, outcome: outcome,
                    reason: reason, detail: detail,
                    at: millisecondsSince1970(Date())), client: client)
            if outcome == "applied" || outcome == "already" {
                logger.notice(
                    "city bundle applied", metadata: ["version": "\(notice.version)", "outcome": "\(outcome)"])
            } else {
                logger.error(
                    "city bundle not applied",
                    metadata: ["version": "\(notice.version)", "reason": "\(detail ?? reason ?? "")"])
            }
            return outcome
        }
        let bundle: Data
        if let inline = notice.inline, let bytes = Data(base64Encoded: inline) {
            bundle = bytes
        } else if let url = notice.url {
            // Spread over the window: every school hears the notice in the same second.
            let wait = Double.random(in: 0...max(0, settings.seconds(settings.fetchDelay)))
            logger.info(
                "city bundle fetch", metadata: ["version": "\(notice.version)", "url": "\(url)", "after_s": "\(wait)"])
            do { try await Task.sleep(for: .seconds(wait)) } catch { return nil }
            do {
                bundle = try await Fetch.get(
                    url, caFile: settings.fetchCA ?? settings.broker.caFile, limit: notice.size)
            } catch {
                if Task.isCancelled { return nil }
                return answer("failed", reason: "fetch", detail: error.description)
            }
        } else {
            return answer("refused", reason: "malformed", detail: "the notice carries no bundle")
        }
        guard notice.matches(bundle) else {
            return answer(
                "refused", reason: "bad-bundle",
                detail: "the bytes are not the \(notice.size) bytes of SHA-256 \(notice.sha256)")
        }
        // Through the command table, exactly as a bureau's `bundle push`: upload, chunks, apply.
        let upload: UploadInfo
        switch await call(
            "bundle.upload", UploadArgs(name: "city-v\(notice.version).bundle", size: bundle.count), as: UploadInfo.self
        ) {
        case .success(let info): upload = info
        case .failure(let error): return answer("failed", reason: error.code.rawValue, detail: error.message)
        }
        var offset = 0
        while offset < bundle.count {
            let end = min(bundle.count, offset + max(1, upload.chunkBytes))
            let chunk = ChunkArgs(
                upload: upload.upload, offset: offset, data: bundle.subdata(in: offset..<end).base64EncodedString())
            if case .failure(let error) = await call("bundle.chunk", chunk, as: ChunkResult.self) {
                return answer("failed", reason: error.code.rawValue, detail: error.message)
            }
            offset = end
        }
        let outcome: String
        switch await call("bundle.apply", BundleApplyArgs(upload: upload.upload), as: BundleApplied.self) {
        case .success(let applied): outcome = answer(applied.already ? "already" : "applied")
        case .failure(let error) where error.code == .busy || error.code == .internal:
            outcome = answer("failed", reason: error.code.rawValue, detail: error.message)
        case .failure(let error): outcome = answer("refused", reason: error.code.rawValue, detail: error.message)
        }
        client.publish(CityTopics.status(settings.school), await onlineStatus().encoded(), retain: true)
        return outcome
    }

    func acknowledge(_ ack: BundleAck, client: MQTTClient) {
        client.publish(CityTopics.ack(settings.school), ack.encoded())
    }

    /// Publishes this month's counts every `statsInterval`, and last month's once the month turns.
    func publishStatsPeriodically(client: MQTTClient) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.statsInterval) } catch { return }
            await publishStats(client: client, previousMonth: false, turnOnly: true)
        }
    }

    /// Publishes the month's counts, retained on `school/ID/stats/YYYY-MM`, and with
    /// `previousMonth` the month before's (its last days may have been counted after it ended).
    func publishStats(client: MQTTClient, previousMonth: Bool, turnOnly: Bool = false) async {
        let now = Date()
        // The zone the school counts its days in: the schedule's, else the daemon's.
        guard let probe = try? await call("stats", StatsArgs(from: now, to: now), as: StatsResult.self).get(),
            let zone = TimeZone(identifier: probe.timezone)
        else { return }
        let month = SchoolMonthStats.month(of: now, in: zone)
        var months = [month]
        if previousMonth
            || (turnOnly
                && SchoolMonthStats.month(
                    of: now.addingTimeInterval(-settings.seconds(settings.statsInterval)), in: zone
                ).name != month.name)
        {
            months.append(SchoolMonthStats.month(of: month.start.addingTimeInterval(-1), in: zone))
        }
        for (name, start, end) in months {
            guard
                let result = try? await call(
                    "stats", StatsArgs(from: start, to: end, by: "category"), as: StatsResult.self
                ).get()
            else { continue }
            let stats = SchoolMonthStats(
                school: settings.school, district: settings.district, month: name, timezone: result.timezone,
                total: result.total,
                categories: Dictionary(
                    (result.rows ?? []).map { ($0.group, $0.counts) }, uniquingKeysWith: { first, _ in first }),
                at: millisecondsSince1970(now))
            client.publish(CityTopics.stats(settings.school, month: name), stats.encoded(), retain: true)
        }
    }
}

extension CityLink.Settings {
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
