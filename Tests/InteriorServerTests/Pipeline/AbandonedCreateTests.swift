import Foundation
@testable import InteriorServer
import InteriorCore
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
    }
}
