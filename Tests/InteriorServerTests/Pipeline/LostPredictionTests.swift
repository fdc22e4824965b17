import Foundation
@testable import InteriorServer
import ReplicateEmulator
import Testing

extension PipelineSuite {
    /// A prediction Replicate answers 404 for, poll after poll (an emulator that lost its store,
    /// as after a restart before it kept one): the job ends failed and refunded within a few
    /// polls, not after the stuck cutoff with the user charged and blocked meanwhile.
    @Suite("Pipeline: predictions Replicate no longer knows")
    struct LostPredictionTests {
        /// Submits a one-prediction job that never ends by itself, and waits until its `start`
        /// webhook has made it `processing`.
        func stuckJob(_ p: Pipeline, prompt: String, plan: FaultPlan = FaultPlan(outcome: .hang)) async throws -> (job: String, prediction: String) {
            await p.emulator.enqueueFault(plan)
            let submitted = try await p.submit(["mode": "imagine", "prompt": prompt, "variants": "1"])
            let id = try #require(submitted.data["id"] as? String)
            let predictionId = try #require(submitted.data["predictionId"] as? String)
            try await p.eventually("the job is processing") {
                try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status == .processing
            }
            return (id, predictionId)
        }

        func notFoundGets(_ p: Pipeline, _ predictionId: String) async -> Int {
            await p.emulator.requests().filter { $0.method == "GET" && $0.path.hasSuffix("/predictions/\(predictionId)") && $0.status == 404 }.count
        }

        @Test("the status poll: three 404s in a row ⇒ failed PREDICTION_LOST, refunded, the lock released")
        func lostByStatusPolls() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                let (id, predictionId) = try await stuckJob(p, prompt: "A forgotten sunroom")
                await p.emulator.forget(predictionID: predictionId)
                for poll in 1...2 {
                    p.t.clock.advance(by: 6)
                    let status = try await p.status(id).data
                    #expect(status["status"] as? String == "processing", "poll \(poll)")
                    #expect(try await p.predictionRows(job: id).first?.notFoundPolls == poll)
                }
                #expect(try await p.ledger(job: id) == ["debit"])

                p.t.clock.advance(by: 6)
                let lost = try await p.status(id).data
                #expect(lost["status"] as? String == "failed")
                let error = try #require(lost["error"] as? [String: Any])
                #expect(error["code"] as? String == "PREDICTION_LOST")
                #expect(error["message"] as? String == InboxProcessor.lostMessage)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                let row = try #require(try await p.predictionRows(job: id).first)
                #expect(row.status == .failed)
                #expect(row.errorCode == "PREDICTION_LOST")
                #expect(await notFoundGets(p, predictionId) == 3)
                #expect(try await p.submit(["mode": "imagine", "prompt": "Another go", "variants": "1"]).status == .accepted,
                        "the in-flight lock is released")

                // Ended: it is not polled again.
                p.t.clock.advance(by: 6)
                _ = try await p.status(id)
                #expect(await notFoundGets(p, predictionId) == 3)
            }
        }

        @Test("only 404s in a row count: an answer in between starts the count again")
        func notFoundMustBeConsecutive() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                let (id, predictionId) = try await stuckJob(
                    p, prompt: "A flickering study", plan: FaultPlan(get: .init(status: 404, times: 2), outcome: .hang))
                for _ in 1...2 {
                    p.t.clock.advance(by: 6)
                    _ = try await p.status(id)
                }
                #expect(try await p.predictionRows(job: id).first?.notFoundPolls == 2)
                p.t.clock.advance(by: 6)
                #expect(try await p.status(id).data["status"] as? String == "processing")
                #expect(try await p.predictionRows(job: id).first?.notFoundPolls == 0)

                await p.emulator.forget(predictionID: predictionId)
                for _ in 1...2 {
                    p.t.clock.advance(by: 6)
                    _ = try await p.status(id)
                }
                #expect(try await p.predictionRows(job: id).first?.status == .processing)
                p.t.clock.advance(by: 6)
                #expect(try await p.status(id).data["status"] as? String == "failed")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
            }
        }

        @Test("with nobody polling, three sweeps end it: minutes, not the ten-minute cutoff")
        func lostBySweeps() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                let (id, predictionId) = try await stuckJob(p, prompt: "A quiet granny flat")
                await p.emulator.forget(predictionID: predictionId)
                let submittedAt = p.t.clock.now
                p.t.clock.advance(by: 3 * 60)
                for sweep in 1...3 {
                    let report = try await p.sweep()
                    #expect(report.polled == 1, "sweep \(sweep)")
                    #expect(report.timedOut == 0)
                    if sweep < 3 {
                        #expect(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status == .processing)
                        p.t.clock.advance(by: 60)
                    }
                }
                let job = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                #expect(job.status == .failed)
                #expect(job.errorCode == "PREDICTION_LOST")
                #expect(p.t.clock.now.timeIntervalSince(submittedAt) < 10 * 60)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                #expect(try await p.sweep().polled == 0)
            }
        }

        @Test("one lost prediction of two: the job succeeds with the other's image and one debit")
        func oneOfTwoLost() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                #expect(p.predictionCount(variants: 2) == 2)
                await p.emulator.enqueueFault(FaultPlan(outcome: .hang))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A half-remembered kitchen", "variants": "2"])
                let id = try #require(submitted.data["id"] as? String)
                try await p.eventually("one prediction has stored its image") {
                    try await p.predictionRows(job: id).contains { !$0.storedOutputs.isEmpty }
                }
                let running = try #require(try await p.predictionRows(job: id).first(where: \.isRunning))
                await p.emulator.forget(predictionID: try #require(running.predictionId))
                for _ in 1...3 {
                    p.t.clock.advance(by: 6)
                    _ = try await p.status(id)
                }
                let done = try await p.status(id).data
                #expect(done["status"] as? String == "succeeded")
                #expect((done["variants"] as? [[String: Any]])?.count == 1)
                #expect(try await p.ledger(job: id) == ["debit"])
                #expect(try await p.predictionRows(job: id).first { $0.id == running.id }?.errorCode == "PREDICTION_LOST")
            }
        }
    }
}
