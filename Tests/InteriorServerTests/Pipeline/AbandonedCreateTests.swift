import Foundation
@testable import InteriorServer
import InteriorCore
import Replicate
import SQLKit
import Testing

extension PipelineSuite {
    /// What an instance killed mid-submit leaves behind: a job, its debit and a planned
    /// prediction that no create will ever attach. (The N-instance test kills real processes;
    /// this is the same state, made directly, on both databases.)
    @Suite("Pipeline: a submit whose instance died mid-create")
    struct AbandonedCreateTests {
        @Test("a lease after its create stopped, the status poll fails the job and refunds it, and the owner can submit again")
        func abandonedCreateSettles() async throws {
            try await withPipeline { p in
                _ = try await p.client.get("/api/v1/auth/me", token: p.token)  // the owner's profile
                let jobId = UUID()
                let now = p.t.clock.now
                let job = JobRow(
                    id: jobId, ownerId: p.owner, mode: .imagine, roomType: "living_room", style: "coastal_au",
                    aspectRatio: .square, quality: .auto, variants: 1, prompt: "A room whose submit died", finalPrompt: nil,
                    input1Path: nil, input2Path: nil, model: p.profile.id, predictionId: nil, status: .starting, errorCode: nil,
                    error: nil, idempotencyKey: nil, requestFingerprint: nil, createdAt: now, updatedAt: now, lastPolledAt: nil,
                    completedAt: nil)
                let planned = PredictionRow(id: UUID(), jobId: jobId, idx: 0, predictionId: nil, status: .starting, firstSlot: 0,
                                            outputs: 1, stored: nil, errorCode: nil, error: nil, createdAt: now, updatedAt: now,
                                            completedAt: nil)
                #expect(try await JobRepository(db: p.t.app.db).insertWithDebit(job, predictions: [planned], debitId: UUID()) == .inserted)

                // Within the lease the create may still be under way on a live instance: nothing changes.
                p.t.clock.advance(by: 6)
                #expect(try await p.status(jobId.apiString).data["status"] as? String == "starting")

                // A lease (15 s) with nobody touching the row: its creator is gone.
                p.t.clock.advance(by: 12)
                let status = try await p.status(jobId.apiString).data
                #expect(status["status"] as? String == "failed", "\(status)")
                #expect((status["error"] as? [String: Any])?["code"] as? String == "UPSTREAM_ERROR")
                #expect(try await p.ledger(job: jobId.apiString) == ["debit", "refund"])
                // The creator's answer, should it come after all, does not rewrite what was decided.
                let predictions = PredictionRepository(db: p.t.app.db)
                #expect(try await !predictions.attach(planned, predictionId: "late_answer", status: .starting, now: p.t.clock.now))
                let row = try #require(try await predictions.rows(job: jobId).first)
                #expect(row.status == .failed && row.errorCode == "UPSTREAM_ERROR" && row.predictionId == nil, "\(row)")
                let again = try await p.submit(["mode": "imagine", "prompt": "Trying again", "variants": "1"])
                #expect(again.status == .accepted, "the owner's slot is free: \(again.text)")
            }
        }

        /// The N-instance test once settled 31 s after its last kill instead of 17–19 s: a
        /// webhook of a prediction whose create died with its instance waited out its fifth
        /// backoff (16 s), although the create could be abandoned a moment later.
        @Test("a webhook waiting on a create that missed its touch is tried again when the create can be abandoned, not at its backoff")
        func waitingWebhookRetriesAtTheLease() async throws {
            try await withTestApp(backgroundWork: false) { t in
                let owner = try await DatabaseTests.profile(t)
                let t0 = t.clock.now
                var job = DatabaseTests.job(owner: owner, status: .starting, at: t0)
                job.variants = 1
                let planned = PredictionRow(id: UUID(), jobId: job.id, idx: 0, predictionId: nil, status: .starting, firstSlot: 0,
                                            outputs: 1, stored: nil, errorCode: nil, error: nil, createdAt: t0, updatedAt: t0,
                                            completedAt: nil)
                #expect(try await JobRepository(db: t.app.db).insertWithDebit(job, predictions: [planned], debitId: UUID()) == .inserted)
                let inbox = InboxRepository(sql: t.sql)
                let lease = t.settings.runtime.timeouts.inboxLease
                // A succeeded prediction the job never recorded, on its fifth attempt (a 16 s backoff).
                let prediction = Prediction(id: "never_attached", status: .succeeded)
                func record(_ id: String, attempts: Int) async throws {
                    try await inbox.record(InboxEvent(
                        webhookId: id, jobId: job.id, predictionId: prediction.id, status: "succeeded",
                        payload: String(decoding: try JSONEncoder().encode(prediction), as: UTF8.self),
                        source: .webhook, state: .pending, attempts: attempts, nextAttemptAt: t.clock.now, lockedUntil: nil,
                        lastError: nil, receivedAt: t0, processedAt: nil, createdAt: t0))
                }

                // 3 s after the create's last touch it is on time: the backoff stands.
                t.clock.set(t0.addingTimeInterval(3))
                try await record("msg_on_time", attempts: 4)
                #expect(await t.app.interior.inbox.drainOnce() == 1)
                let onTime = try #require(try await inbox.find("msg_on_time"))
                #expect(onTime.state == .pending && onTime.nextAttemptAt == t0.addingTimeInterval(3 + 16), "\(onTime)")

                // 8 s after it, the touch is overdue: tried again just after the create can be abandoned.
                t.clock.set(t0.addingTimeInterval(8))
                try await record("msg_overdue", attempts: 4)
                #expect(await t.app.interior.inbox.drainOnce() == 1)
                let overdue = try #require(try await inbox.find("msg_overdue"))
                #expect(overdue.state == .pending, "\(overdue)")
                #expect(abs(overdue.nextAttemptAt.timeIntervalSince(t0.addingTimeInterval(lease + 0.25))) < 0.001, "\(overdue)")

                // Then: the create is abandoned, the job fails with its refund, the event is done.
                t.clock.set(overdue.nextAttemptAt)
                #expect(await t.app.interior.inbox.drainOnce() == 1)
                #expect(try await inbox.find("msg_overdue")?.state == .done)
                let settled = try #require(try await JobRepository(db: t.app.db).find(id: job.id))
                #expect(settled.status == .failed && settled.errorCode == "UPSTREAM_ERROR", "\(settled)")
            }
        }
    }
}
