import Foundation
import InteriorCore
@testable import InteriorServer
import Replicate
import ReplicateEmulator
import SQLKit
import Testing

extension PipelineSuite {
    /// What happens when a cancel, a timeout or a bad output lands between two steps of a job:
    /// nothing runs unowned, nothing stays reachable that the user did not get, nothing is
    /// charged that did not succeed.
    @Suite("Pipeline: races at the edges")
    struct RaceTests {
        static func onlyJob(_ p: Pipeline) async throws -> UUID? {
            struct Row: Decodable { let id: UUID }
            return try await p.t.sql.select().column("id").from("generation_jobs").first(decoding: Row.self)?.id
        }

        @Test("a cancel while the prediction is being created ⇒ the prediction is canceled at Replicate and the submit says canceled")
        func cancelDuringSubmit() async throws {
            try await withPipeline { p in
                // Replicate makes the prediction at once but answers the create 1.5 s late.
                await p.emulator.enqueueFault(FaultPlan(create: .init(delay: 1.5), outcome: .hang))
                async let submitted = p.submit(["mode": "imagine", "prompt": "A study canceled in flight", "variants": "1"])
                var job: UUID?
                try await p.eventually("the job is inserted") {
                    job = try await Self.onlyJob(p)
                    return job != nil
                }
                let id = try #require(job).apiString
                let canceled = try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: p.token)
                #expect(canceled.data["status"] as? String == "canceled")

                let response = try await submitted
                #expect(response.status == .accepted)
                #expect(response.data["status"] as? String == "canceled", "the submit answers what the job really is")
                let predictionId = try #require(await p.emulator.predictionIDs().first)
                try await p.eventually("the prediction is canceled at Replicate") {
                    try await p.prediction(predictionId)["status"] as? String == "canceled"
                }
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                let rows = try await p.predictionRows(job: id)
                #expect(rows.map(\.predictionId) == [predictionId], "the row knows its prediction, so its news finds it")
                #expect(rows.map(\.status) == [.canceled])
            }
        }

        @Test("a create that times out after it was sent ⇒ the prediction it made is canceled when its webhook arrives")
        func createTimeoutAfterSend() async throws {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("interior-\(UUID().uuidString).json")
            try Data(#"{"timeouts": {"replicateRequest": 1}}"#.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            try await withPipeline(environment: ["INTERIOR_CONFIG": config.path]) { p in
                // The prediction is made at once; the answer would come after the client gave up.
                await p.emulator.enqueueFault(FaultPlan(create: .init(delay: 4), processingDelay: 30))
                let response = try await p.submit(["mode": "imagine", "prompt": "A Scandi hallway, timed out", "variants": "1"])
                #expect(response.status == .badGateway)
                #expect(response.errorCode == "UPSTREAM_ERROR")
                let id = try #require(try await Self.onlyJob(p)).apiString
                #expect(try await p.ledger(job: id) == ["debit", "refund"])

                // Its `start` webhook names the job but a prediction the job never learnt: stopped.
                let predictionId = try #require(await p.emulator.predictionIDs().first)
                p.t.app.interior.inbox.wake()
                try await p.eventually("the unowned prediction is canceled", timeout: .seconds(30)) {
                    p.t.app.interior.inbox.wake()
                    return try await p.prediction(predictionId)["status"] as? String == "canceled"
                }
                #expect(p.t.logs.all.contains { $0.contains("canceling a prediction no job owns") })
                #expect(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!)?.status == .failed)
            }
        }

        @Test("a cancel while the images are being stored ⇒ refunded, and none of its images stays reachable")
        func cancelWhileStoring() async throws {
            try await withFlakyStoragePipeline { p, store in
                store.holding = true
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A coastal bedroom canceled late", "variants": "2"])
                let id = try #require(submitted.data["id"] as? String)
                try await p.eventually("the images are being written") { store.heldWrites >= 2 }

                let canceled = try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: p.token)
                #expect(canceled.data["status"] as? String == "canceled")
                store.holding = false
                try await p.eventually("every event is processed") {
                    try await InboxRepository(sql: p.t.sql).count(state: .pending) == 0
                }
                try await p.eventually("the stored images are removed") {
                    let renderId = StoragePaths.renderId(job: UUID(uuidString: id)!)
                    return (0..<2).allSatisfy { slot in
                        p.storedFile(bucket: "public", path: StoragePaths.output(render: renderId, index: slot)) == nil
                            && p.storedFile(bucket: "public", path: StoragePaths.thumbnail(render: renderId, index: slot)) == nil
                    }
                }
                let renderId = StoragePaths.renderId(job: UUID(uuidString: id)!)
                let url = "/storage/v1/object/public/public/\(StoragePaths.output(render: renderId, index: 0))"
                #expect(try await p.client.get(url).status == .notFound, "the predictable URL answers nothing")
                #expect(try await p.status(id).data["status"] as? String == "canceled")
                #expect(try await p.count("renders") == 0)
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
            }
        }

        @Test("an output that cannot be used ⇒ NO_OUTPUT, refunded, and the prediction's other images are removed")
        func partlyUnusableOutputs() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "openai/gpt-image-1.5"]) { p in
                await p.emulator.enqueueFault(FaultPlan(webhooks: .drop))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A Japandi dining room", "variants": "2"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.eventually("the prediction ends at the emulator") {
                    try await p.prediction(predictionId)["status"] as? String == "succeeded"
                }
                // Replicate says it succeeded with two images, the second of which is gone. The
                // first may be stored before the second fails (here it is, for certain).
                let renderId = StoragePaths.renderId(job: UUID(uuidString: id)!)
                try await p.t.app.interior.store.put(bucket: "public", path: StoragePaths.output(render: renderId, index: 0),
                                                     data: Data("RIFF-early".utf8), contentType: "image/webp")
                var prediction = try await p.t.app.interior.replicate.client.getPrediction(id: predictionId)
                let good = try #require(prediction.output.first)
                prediction.output = [good, URL(string: good.absoluteString.replacingOccurrences(of: "out-0", with: "gone-1"))!]
                _ = try await p.t.app.interior.inbox.recordAndApply(prediction, job: UUID(uuidString: id)!, source: .reconciler)

                let done = try await p.status(id).data
                #expect(done["status"] as? String == "failed")
                #expect((done["error"] as? [String: Any])?["code"] as? String == "NO_OUTPUT")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                for slot in 0..<2 {
                    #expect(p.storedFile(bucket: "public", path: StoragePaths.output(render: renderId, index: slot)) == nil, "slot \(slot)")
                    #expect(p.storedFile(bucket: "public", path: StoragePaths.thumbnail(render: renderId, index: slot)) == nil)
                }
            }
        }
    }
}
