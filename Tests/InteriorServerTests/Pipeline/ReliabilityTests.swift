import Foundation
import InteriorCore
@testable import InteriorServer
import Replicate
import ReplicateEmulator
import SQLKit
import Testing
import Vapor

extension PipelineSuite {
    /// SPEC §8.2–§8.4: nothing depends on the webhook alone, stuck jobs end, faults lose nothing.
    @Suite("Pipeline: reconciler, polling and faults")
    struct ReliabilityTests {
        @Test("timeout ⇒ TIMEOUT, lock released, refund, and a best-effort cancel at Replicate")
        func stuckJobTimesOut() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .hang))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A stuck sunroom", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)

                // Not yet stuck: the sweep leaves it alone.
                p.t.clock.advance(by: 5 * 60)
                #expect(try await p.sweep().timedOut == 0)

                p.t.clock.advance(by: 6 * 60)
                let report = try await p.sweep()
                #expect(report.timedOut == 1)
                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                #expect(row.status == .failed)
                #expect(row.errorCode == "TIMEOUT")
                #expect(row.error == Reconciler.timeoutMessage)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                let cancels = await p.emulator.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/\(predictionId)/cancel") }
                #expect(cancels.count == 1)

                // A second sweep (or another instance) ends nothing twice.
                #expect(try await p.sweep().timedOut == 0)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                #expect(try await p.submit(["mode": "imagine", "prompt": "After the timeout"]).status == .accepted)
            }
        }

        @Test("a late success webhook after the timeout ⇒ succeeded with images and a redebit")
        func lateSuccessAfterTimeout() async throws {
            try await withPipeline { p in
                // The prediction takes 3 s; the clock is moved past the stuck cutoff meanwhile, and
                // the best-effort cancel the timeout sends does not get through.
                await p.emulator.enqueueFault(FaultPlan(cancel: .init(status: 503, times: 10), processingDelay: 3))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A slow Queenslander verandah", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                // Its inputs (if any) are fetched before the clock jumps past their signed URLs' life.
                try await p.eventually("the model has its inputs") {
                    (try await p.prediction(predictionId)["logs"] as? String)?.contains("Generating") == true
                }
                p.t.clock.advance(by: 11 * 60)
                #expect(try await p.sweep().timedOut == 1)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])

                // Now the completed webhook arrives (its timestamp follows the emulator's clock).
                await p.emulator.waitForWebhooks(predictionID: predictionId)
                try await p.eventually("the late success is stored") {
                    try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status == .succeeded
                }
                let done = try await p.status(id).data
                #expect(done["status"] as? String == "succeeded")
                #expect(done["error"] == nil)
                #expect((done["variants"] as? [[String: Any]])?.count == 1)
                #expect(try await p.ledger(job: id) == ["debit", "redebit", "refund"])
            }
        }

        @Test("a dropped webhook ⇒ the reconciler stores the images")
        func droppedWebhookReconciled() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(webhooks: .drop))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Japandi bedroom", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.eventually("the prediction ends at the emulator") {
                    try await p.prediction(predictionId)["status"] as? String == "succeeded"
                }
                #expect(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status != .succeeded)

                p.t.clock.advance(by: 3 * 60)
                let report = try await p.sweep()
                #expect(report.polled == 1)
                #expect(report.timedOut == 0)
                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                #expect(row.status == .succeeded)
                #expect(try await p.count("render_variants") == 1)
                let events = try await InboxRepository(sql: p.t.sql).events(job: row.id)
                #expect(events.contains { $0.source == .reconciler && $0.state == .done })
                #expect(!events.contains { $0.source == .webhook })
            }
        }

        @Test("the status endpoint polls Replicate for a stale job and applies what it learns")
        func statusPollApplies() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .fail, error: "model exploded", webhooks: .drop))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Polled lounge", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.eventually("the prediction fails at the emulator") {
                    try await p.prediction(predictionId)["status"] as? String == "failed"
                }
                p.t.clock.advance(by: 6)
                let status = try await p.status(id).data
                #expect(status["status"] as? String == "failed", "applied at once: no I/O needed")
                #expect((status["error"] as? [String: Any])?["message"] as? String == "model exploded")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])

                // Polls within 5 s of each other ask Replicate once.
                let gets = await p.emulator.requests().filter { $0.method == "GET" && $0.path.hasSuffix("/predictions/\(predictionId)") }
                _ = try await p.status(id)
                let again = await p.emulator.requests().filter { $0.method == "GET" && $0.path.hasSuffix("/predictions/\(predictionId)") }
                #expect(gets.count == again.count, "a terminal job is not polled again")
            }
        }

        @Test("a storage failure while processing ⇒ the event is retried and the images land once storage is back")
        func storageOutageRetried() async throws {
            try await withFlakyStoragePipeline { p, store in
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Outage-proof bathroom", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                store.failing = true
                try await p.eventually("the completed webhook is delivered") {
                    await p.emulator.deliveries().contains { $0.predictionID == predictionId && $0.event == "completed" }
                }
                let deliveries = await p.emulator.deliveries().filter { $0.predictionID == predictionId }
                #expect(deliveries.allSatisfy { $0.status == 200 }, "the webhook was answered 200 while storage was down")
                try await p.eventually("a failed attempt is recorded") {
                    try await InboxRepository(sql: p.t.sql).events(job: UUID(uuidString: id)!).contains { $0.lastError != nil }
                }
                #expect(store.failedWrites > 0)
                #expect(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status != .succeeded)

                store.failing = false
                p.t.clock.advance(by: 600)  // past the retry backoff
                p.t.app.interior.inbox.wake()
                try await p.eventually("the retry stores the images") {
                    try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status == .succeeded
                }
                #expect(try await p.count("render_variants") == 1)
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("a storage outage that outlasts every retry ⇒ the reconciler re-arms the news and the images land")
        func storageOutageOutlastsRetries() async throws {
            try await withFlakyStoragePipeline { p, store in
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Long outage laundry", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let job = UUID(uuidString: id)!
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                store.failing = true
                try await p.eventually("the completed webhook is delivered") {
                    await p.emulator.deliveries().contains { $0.predictionID == predictionId && $0.event == "completed" }
                }
                let inbox = InboxRepository(sql: p.t.sql)
                @Sendable func successEvents() async throws -> [InboxEvent] {
                    try await inbox.events(job: job).filter { $0.status == "succeeded" }
                }
                // The reconciler learns the success too: a second event, failing as well.
                p.t.clock.advance(by: 130)
                try await p.sweep()
                #expect(try await successEvents().count == 2)

                // Storage stays down until both events have used up their retries. Each step
                // passes any lease (120 s) and the longest backoff (128 s) but stays small: up to
                // 16 steps must end well inside the emulator's output lifetime (3600 s), or the
                // outputs vanish and the job fails instead.
                for _ in 0..<40 {
                    // Counted only when no attempt is in progress: one that ends after the clock
                    // moves schedules its retry from the new time, and would not run again here.
                    var events: [InboxEvent] = []
                    try await p.eventually("no attempt is in progress") {
                        events = try await successEvents()
                        return events.allSatisfy { $0.lockedUntil == nil }
                    }
                    if events.allSatisfy({ $0.state == .dead }) { break }
                    let attempts = events.map(\.attempts).reduce(0, +)
                    p.t.clock.advance(by: 130)
                    p.t.app.interior.inbox.wake()
                    try await p.eventually("another attempt is made") {
                        let now = try await successEvents()
                        return now.map(\.attempts).reduce(0, +) > attempts || now.allSatisfy { $0.state == .dead }
                    }
                }
                #expect(try await successEvents().allSatisfy { $0.state == .dead })
                #expect(try await JobRepository(db: p.t.app.db).find(id: job)?.status == .processing)

                // Storage is back; the next sweep learns the same news and it is applied again.
                store.failing = false
                p.t.clock.advance(by: 200)
                try await p.sweep()
                #expect(try await JobRepository(db: p.t.app.db).find(id: job)?.status == .succeeded)
                #expect(try await p.count("render_variants") == 1)
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("two server instances on one database processing the same events ⇒ one render")
        func twoInstancesOneRender() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(webhooks: .drop))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Shared database study", "variants": "1"])
                let id = UUID(uuidString: try #require(submitted.data["id"] as? String))!
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.eventually("the prediction ends") {
                    try await p.prediction(predictionId)["status"] as? String == "succeeded"
                }
                // A second instance: the same settings (database, storage), its own processes.
                let second = try await Application.make(.testing)
                second.logger = p.t.logs.logger()
                let connection = p.t.app.interior.replicate.connection
                do {
                    try await configure(second, settings: p.t.settings,
                                        dependencies: Dependencies(now: { p.t.clock.now }, replicate: connection, sleep: { _ in }, backgroundWork: false))
                    let prediction = try await p.t.app.interior.replicate.client.getPrediction(id: predictionId)
                    // Both instances learn the same success and process it at the same moment.
                    for instance in [p.t.app, second] {
                        try await InboxRepository(sql: instance.sql).record(InboxEvent(
                            webhookId: "msg_shared_\(instance === second ? "b" : "a")", jobId: id, predictionId: predictionId,
                            status: "succeeded", payload: String(decoding: try JSONEncoder().encode(prediction), as: UTF8.self),
                            source: .webhook, state: .pending, attempts: 0, nextAttemptAt: p.t.clock.now, lockedUntil: nil,
                            lastError: nil, receivedAt: p.t.clock.now, processedAt: nil, createdAt: p.t.clock.now))
                    }
                    let job = try #require(try await JobRepository(db: p.t.app.db).find(id: id))
                    let row = try #require(try await PredictionRepository(db: p.t.app.db).find(predictionId: predictionId))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for instance in [p.t.app, second] {
                            for _ in 0..<3 {
                                group.addTask { try await instance.interior.inbox.applier.apply(prediction, to: job, row: row) }
                            }
                            group.addTask { _ = await instance.interior.inbox.drainOnce() }
                        }
                        try await group.waitForAll()
                    }
                    #expect(try await p.count("renders") == 1)
                    #expect(try await p.count("render_variants") == 1)
                    #expect(try await JobRepository(db: p.t.app.db).find(id: id)?.status == .succeeded)
                    #expect(try await p.ledger(job: id.apiString) == ["debit"])
                } catch {
                    try? await second.asyncShutdown()
                    throw error
                }
                try await second.asyncShutdown()
            }
        }

        @Test("two instances claiming one inbox never process an event twice")
        func claimsAreExclusive() async throws {
            try await withTestApp(backgroundWork: false) { t in
                let inbox = InboxRepository(sql: t.sql)
                for index in 0..<40 {
                    try await inbox.record(InboxEvent(
                        webhookId: "msg_\(index)", jobId: nil, predictionId: "p\(index)", status: "processing", payload: "{}",
                        source: .webhook, state: .pending, attempts: 0, nextAttemptAt: t.clock.now, lockedUntil: nil,
                        lastError: nil, receivedAt: t.clock.now, processedAt: nil, createdAt: t.clock.now))
                }
                let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            var mine: [String] = []
                            while true {
                                let batch = try await InboxRepository(sql: t.app.db as! any SQLDatabase).claim(now: t.clock.now, lease: 60, limit: 3)
                                if batch.isEmpty { return mine }
                                mine += batch.map(\.webhookId)
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                #expect(claims.count == 40)
                #expect(Set(claims).count == 40, "no event was claimed twice")
            }
        }

        @Test("a success that cannot be stored before the stuck cutoff still lands once storage is back, within Replicate's hour")
        func successOutlivesTheCutoff() async throws {
            try await withFlakyStoragePipeline { p, store in
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A Hamptons laundry after an outage", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let job = UUID(uuidString: id)!
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                store.failing = true
                try await p.eventually("the completed webhook is delivered") {
                    await p.emulator.deliveries().contains { $0.predictionID == predictionId && $0.event == "completed" }
                }
                // Storage stays down past the stuck cutoff: the job times out and is refunded.
                p.t.clock.advance(by: 11 * 60)
                #expect(try await p.sweep().timedOut == 1)
                #expect(try await JobRepository(db: p.t.app.db).find(id: job)?.errorCode == "TIMEOUT")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                let row = try #require(try await p.predictionRows(job: id).first)
                #expect(row.awaitsStorage, "Replicate's success is remembered while its images cannot be stored")

                // Fifteen minutes into the outage, storage is back; the next sweep stores the images.
                p.t.clock.advance(by: 4 * 60)
                try await p.sweep()
                #expect(try await JobRepository(db: p.t.app.db).find(id: job)?.status == .failed, "still down")
                store.failing = false
                p.t.clock.advance(by: 60)
                try await p.sweep()
                let done = try await p.status(id).data
                #expect(done["status"] as? String == "succeeded")
                #expect((done["variants"] as? [[String: Any]])?.count == 1)
                #expect(try await p.ledger(job: id) == ["debit", "redebit", "refund"], "the user got the images: charged once net")
            }
        }

        @Test("a worker claims only the event it starts; a dead instance's claim is taken up a short lease later")
        func shortLeasesOneAtATime() async throws {
            try await withTestApp(backgroundWork: false) { t in
                let inbox = InboxRepository(sql: t.sql)
                for index in 0..<4 {
                    try await inbox.record(InboxEvent(
                        webhookId: "msg_one_\(index)", jobId: nil, predictionId: "p_one_\(index)", status: "succeeded", payload: "{\"id\":\"p_one_\(index)\",\"status\":\"succeeded\"}",
                        source: .webhook, state: .pending, attempts: 0, nextAttemptAt: t.clock.now, lockedUntil: nil,
                        lastError: nil, receivedAt: t.clock.now, processedAt: nil, createdAt: t.clock.now))
                }
                let processor = t.app.interior.inbox
                #expect(await processor.drainOnce() == 1, "one event per claim")
                #expect(try await inbox.count(state: .done) == 1)
                #expect(try await inbox.count(state: .pending) == 3)

                // Another instance claims one and dies without a word.
                let lease = t.settings.runtime.timeouts.inboxLease
                #expect(lease <= 30, "a crash costs seconds, not minutes")
                let held = try #require(try await inbox.claim(now: t.clock.now, lease: lease, limit: 1).first)
                for _ in 0..<2 { #expect(await processor.drainOnce() == 1) }
                #expect(await processor.drainOnce() == 0, "the dead instance's claim still holds")
                t.clock.advance(by: lease + 1)
                #expect(await processor.drainOnce() == 1, "taken up once its lease has passed")
                #expect(try await inbox.find(held.webhookId)?.state == .done)
            }
        }

        @Test("a claim is renewed while its work lasts, so no other worker processes the event again")
        func claimsAreRenewed() async throws {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("interior-\(UUID().uuidString).json")
            try Data(#"{"timeouts": {"inboxLease": 3}}"#.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            try await withFlakyStoragePipeline(environment: ["INTERIOR_CONFIG": config.path]) { p, store in
                store.holding = true
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A slow-to-store sunroom", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                try await p.eventually("the success is being stored") { store.heldWrites >= 1 }
                // Longer than the lease (3 s) by the clock, which follows real time here; the
                // worker renews it every second, and the other workers scan every second.
                try await Task.sleep(for: .milliseconds(4500))
                let stolen = try await InboxRepository(sql: p.t.sql).claim(now: p.t.clock.now, lease: 3, limit: 10)
                #expect(stolen.isEmpty, "claimed again while its worker was still at it: \(stolen.map(\.webhookId))")
                store.holding = false
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                #expect(store.writes == 2, "the image and its thumbnail, written once")
            }
        }

        /// Stuck jobs of several users, each behind a Replicate that answers nothing for 10 s.
        static func stuckJobs(_ p: Pipeline, count: Int) async throws -> [String] {
            var ids: [String] = []
            for index in 0..<count {
                let slow = FaultPlan.EndpointFault(times: 100, delay: 10)
                await p.emulator.enqueueFault(FaultPlan(get: slow, cancel: slow, outcome: .hang))
                let token = try await DevTokens.supabaseToken(user: UUID())
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Stuck room \(index)", "variants": "1"], token: token)
                ids.append(try #require(submitted.data["id"] as? String))
            }
            // Every job has heard its `start` before the clock jumps (news after it is fresh).
            try await p.eventually("every job is processing") {
                let processing = try await p.t.sql.raw("SELECT COUNT(*) AS n FROM generation_jobs WHERE status = 'processing'")
                    .first()?.decode(column: "n", as: Int.self)
                return processing == count
            }
            p.t.clock.advance(by: 11 * 60)
            return ids
        }

        @Test("one sweep of many stuck jobs behind a slow Replicate frees every lock in a few poll timeouts, not one deadline per job")
        func sweepIsConcurrentAndQuick() async throws {
            try await withPipeline { p in
                let ids = try await Self.stuckJobs(p, count: 10)
                let started = ContinuousClock.now
                let report = try await p.sweep()
                let elapsed = ContinuousClock.now - started
                #expect(report.timedOut == 10)
                // Serially, each job would cost a 3 s poll and a 3 s cancel (60 s); with the create
                // client's deadlines, two minutes each.
                #expect(elapsed < .seconds(25), "the sweep took \(elapsed)")
                for id in ids {
                    #expect(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.errorCode == "TIMEOUT")
                }
            }
        }

        @Test("two instances sweeping at the same moment share the jobs: each is polled and timed out once")
        func instancesShareTheSweep() async throws {
            try await withPipeline { p in
                let ids = try await Self.stuckJobs(p, count: 6)
                let second = try await Application.make(.testing)
                second.logger = p.t.logs.logger()
                do {
                    try await configure(second, settings: p.t.settings, dependencies: Dependencies(
                        now: { p.t.clock.now }, replicate: p.t.app.interior.replicate.connection, sleep: { _ in }, backgroundWork: false))
                    let reports = try await withThrowingTaskGroup(of: Reconciler.Report.self) { group in
                        for instance in [p.t.app, second] { group.addTask { try await instance.interior.reconciler.sweep() } }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    #expect(reports.map(\.timedOut).reduce(0, +) == 6)
                    #expect(reports.map(\.polled).reduce(0, +) == 6, "each job polled by one instance: \(reports)")
                    for id in ids {
                        #expect(try await p.ledger(job: id) == ["debit", "refund"], "refunded once")
                    }
                } catch {
                    try? await second.asyncShutdown()
                    throw error
                }
                try await second.asyncShutdown()
            }
        }

        @Test("a failure reported after the lease ran out and the event was claimed again changes nothing; the newer claim decides")
        func lateFailureReportsAreIgnored() async throws {
            try await withTestApp(backgroundWork: false) { t in
                let inbox = InboxRepository(sql: t.sql)
                try await inbox.record(InboxEvent(
                    webhookId: "msg_slow", jobId: nil, predictionId: "p_slow", status: "succeeded", payload: "{}",
                    source: .webhook, state: .pending, attempts: 0, nextAttemptAt: t.clock.now, lockedUntil: nil,
                    lastError: nil, receivedAt: t.clock.now, processedAt: nil, createdAt: t.clock.now))
                let first = try #require(try await inbox.claim(now: t.clock.now, lease: 60, limit: 1).first)
                // The first attempt outlives its lease; a second worker claims the event.
                t.clock.advance(by: 61)
                let second = try #require(try await inbox.claim(now: t.clock.now, lease: 60, limit: 1).first)
                #expect(first.attempts == 1)
                #expect(second.attempts == 2)

                // The second attempt gives up; the first reports late, asking for a retry.
                #expect(try await inbox.markFailed("msg_slow", attempt: second.attempts, error: "gave up",
                                                   nextAttemptAt: t.clock.now, dead: true, now: t.clock.now))
                #expect(try await !inbox.markFailed("msg_slow", attempt: first.attempts, error: "late",
                                                    nextAttemptAt: t.clock.now, dead: false, now: t.clock.now))
                let event = try #require(try await inbox.find("msg_slow"))
                #expect(event.state == .dead)
                #expect(event.lastError == "gave up")
                #expect(try await inbox.claim(now: t.clock.now.addingTimeInterval(3600), lease: 60, limit: 1).isEmpty)
            }
        }
    }
}
