import Foundation
@testable import InteriorServer
import ReplicateEmulator
import SQLKit
import Testing

extension PipelineSuite {
    /// The status read answers an ended job from memory once the database says it still stands
    /// (`SettledJobs`); a change to the job or its render shows on the next read.
    @Suite("Pipeline: the status read's memory of ended jobs")
    struct SettledJobsTests {
        private static func sql(_ p: Pipeline) -> any SQLDatabase { p.t.app.db as! any SQLDatabase }

        @Test("an ended job is answered from memory until its status or updated_at changes, as its render's deletion makes it")
        func answeredWhileItStands() async throws {
            try await withPipeline { p in
                let settled = p.t.app.interior.settledJobs
                let id = try await RendersTests.generate(p, prompt: "Remembered lounge", variants: 2)
                let jobId = try #require(UUID(uuidString: id))
                let first = try await p.status(id).data
                #expect(settled.entry(job: jobId, owner: p.owner) != nil)

                // A column the check does not read, changed behind the server's back: the answer
                // comes from memory, so it still has the old prompt.
                try await Self.sql(p).raw("UPDATE generation_jobs SET prompt = 'Changed' WHERE id = \(bind: jobId)").run()
                let remembered = try await p.status(id).data
                #expect(remembered["prompt"] as? String == "Remembered lounge")
                #expect((remembered["variants"] as? [[String: Any]])?.count == 2)
                #expect(remembered["renderId"] as? String == first["renderId"] as? String)

                // The same change with a new updated_at, as every write of a job makes: read afresh.
                // Not rounded to the microsecond, as a writer other than this server may leave it
                // (SQLite keeps the double; SQLiteNIO rounds it on the way out).
                let later = p.t.clock.now.addingTimeInterval(5.000_000_3)
                try await Self.sql(p).raw("UPDATE generation_jobs SET updated_at = \(bind: later) WHERE id = \(bind: jobId)").run()
                #expect(try await p.status(id).data["prompt"] as? String == "Changed")

                // The render deleted as another instance would (through the database, not this
                // server), at the very time the job was last written: gone at once all the same.
                let renderText = try #require(first["renderId"] as? String)
                let renderId = try #require(UUID(uuidString: renderText))
                let jobs = JobRepository(db: p.t.app.db)
                let row = try #require(try await jobs.find(id: jobId))
                #expect(try await jobs.deleteRender(id: renderId, owner: p.owner, now: row.updatedAt))
                let moved = try #require(try await jobs.find(id: jobId)).updatedAt
                #expect(moved != row.updatedAt,
                        "the deletion moved updated_at on (\(row.updatedAt.timeIntervalSince1970) → \(moved.timeIntervalSince1970))")
                #expect(try await jobs.deleteRender(id: renderId, owner: p.owner, now: later) == false, "once")
                let deleted = try await p.status(id).data
                #expect(deleted["status"] as? String == "succeeded")
                #expect(deleted["renderId"] == nil)
                #expect(deleted["variants"] == nil)
                #expect(settled.entry(job: jobId, owner: p.owner)?.render == nil, "the answer without a render is remembered")
            }
        }

        @Test("a render's deletion moves its job's updated_at on even when the stored date reads back rounded away from it")
        func deletionMovesUpdatedAt() async throws {
            try await withPipeline { p in
                let id = try await RendersTests.generate(p, prompt: "Swept study")
                let jobId = try #require(UUID(uuidString: id))
                let renderText = try #require(try await p.status(id).data["renderId"] as? String)
                let renderId = try #require(UUID(uuidString: renderText))
                let jobs = JobRepository(db: p.t.app.db)
                // Sixty-four stored dates 0.49 µs past a microsecond, as a writer that does not round
                // may leave them: each reads back rounded, sometimes up, and a date as seconds since
                // 1970 carries about 0.24 µs of float error, so a few of them (steps 16, 47 and 57
                // here) sit further than half a microsecond from the date read back. Each is deleted
                // at the date read back, and at the edges of the 10 µs margin on either side, and
                // must leave a date that reads back different.
                let base = Date(timeIntervalSinceReferenceDate: 818_500_000)
                for step in 0..<64 {
                    let stored = base.addingTimeInterval(Double(step) * 0.000_001 + 0.000_000_49)
                    for offset in [0, -0.000_010, 0.000_010, -0.000_011, 0.000_011] {
                        try await Self.sql(p).raw("UPDATE generation_jobs SET updated_at = \(bind: stored) WHERE id = \(bind: jobId)").run()
                        try await Self.sql(p).raw("UPDATE renders SET deleted_at = NULL WHERE id = \(bind: renderId)").run()
                        let before = try #require(try await jobs.find(id: jobId)).updatedAt
                        #expect(try await jobs.deleteRender(id: renderId, owner: p.owner, now: before.addingTimeInterval(offset)))
                        let after = try #require(try await jobs.find(id: jobId)).updatedAt
                        #expect(after != before, "stored \(step) µs and 0.49 past the base, deleted \(offset) s from it: \(stored.timeIntervalSince1970), read \(before.timeIntervalSince1970), then \(after.timeIntervalSince1970)")
                    }
                }
            }
        }

        @Test("another owner's read of a remembered job is 404 and leaves the owner's entry")
        func otherOwner() async throws {
            try await withPipeline { p in
                let settled = p.t.app.interior.settledJobs
                let id = try await RendersTests.generate(p, prompt: "Private kitchen")
                _ = try await p.status(id)
                let other = try await DevTokens.supabaseToken(user: UUID())
                let response = try await p.client.get("/api/v1/generations/\(id)", token: other)
                #expect(response.status == .notFound)
                #expect(response.errorCode == "NOT_FOUND")
                let jobId = try #require(UUID(uuidString: id))
                #expect(settled.entry(job: jobId, owner: p.owner) != nil)
            }
        }

        @Test("a job in flight is not remembered; a timed-out one that succeeds late shows its images")
        func inFlightAndLateSuccess() async throws {
            try await withPipeline { p in
                let settled = p.t.app.interior.settledJobs
                await p.emulator.enqueueFault(FaultPlan(cancel: .init(status: 503, times: 10), processingDelay: 3))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A slow verandah", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let jobId = try #require(UUID(uuidString: id))
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                _ = try await p.status(id)
                #expect(settled.entry(job: jobId, owner: p.owner) == nil, "in flight")

                try await p.eventually("the model has its inputs") {
                    (try await p.prediction(predictionId)["logs"] as? String)?.contains("Generating") == true
                }
                p.t.clock.advance(by: 11 * 60)
                #expect(try await p.sweep().timedOut == 1)
                #expect(try await p.status(id).data["status"] as? String == "failed")
                #expect(settled.entry(job: jobId, owner: p.owner)?.job.status == .failed)

                await p.emulator.waitForWebhooks(predictionID: predictionId)
                try await p.eventually("the late success is stored") {
                    try await JobRepository(db: p.t.app.db).find(id: jobId)?.status == .succeeded
                }
                let done = try await p.status(id).data
                #expect(done["status"] as? String == "succeeded")
                #expect(done["error"] == nil)
                #expect((done["variants"] as? [[String: Any]])?.count == 1)
            }
        }
    }
}
