import Foundation
@testable import InteriorServer
import Replicate
import ReplicateEmulator
import SQLKit
import Testing
import Vapor

extension PipelineSuite {
    /// SPEC §8.3: the webhook is verified and recorded; the inbox processor applies it.
    @Suite("Pipeline: webhooks and the inbox")
    struct WebhookTests {
        static func body(prediction: String, status: String, output: [String] = []) -> Data {
            let object: [String: Any] = ["id": prediction, "status": status, "output": output, "created_at": "2026-11-25T00:00:00.000Z"]
            return try! JSONSerialization.data(withJSONObject: object)
        }

        func post(_ p: Pipeline, body: Data, headers: [(String, String)], job: String? = nil) async throws -> TestResponse {
            try await p.client.send(.POST, "/api/v1/webhooks/replicate" + (job.map { "?job=\($0)" } ?? ""),
                                    headers: headers, body: body)
        }

        @Test("webhook signature verification: forged, stale, missing ⇒ 401, nothing changes")
        func signatureVerification() async throws {
            try await withPipeline(processingDelay: .seconds(30)) { p in
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Calm coastal living room", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                let body = Self.body(prediction: predictionId, status: "failed")
                let signer = WebhookSigner(secret: try WebhookSecret(p.emulator.webhookSecret))
                let now = Int(p.t.clock.now.timeIntervalSince1970)
                let forger = WebhookSigner(secret: try WebhookSecret(WebhookSecret.generate()))

                let attempts: [(String, [(String, String)])] = [
                    ("forged", forger.headers(id: "msg_forged", timestamp: now, body: body).map { ($0.name, $0.value) }),
                    ("stale", signer.headers(id: "msg_stale", timestamp: now - 310, body: body).map { ($0.name, $0.value) }),
                    ("future", signer.headers(id: "msg_future", timestamp: now + 310, body: body).map { ($0.name, $0.value) }),
                    ("missing", []),
                    ("no signature", [("webhook-id", "msg_x"), ("webhook-timestamp", String(now))]),
                    ("bare v1", [("webhook-id", "msg_y"), ("webhook-timestamp", String(now)), ("webhook-signature", "v1,")]),
                    ("other body", signer.headers(id: "msg_z", timestamp: now, body: Data("{}".utf8)).map { ($0.name, $0.value) }),
                ]
                for (name, headers) in attempts {
                    let response = try await post(p, body: body, headers: headers, job: id)
                    #expect(response.status == .unauthorized, "\(name)")
                    #expect(response.errorCode == "UNAUTHORIZED", "\(name)")
                }
                let recorded = try await p.webhookEventIDs()
                for refused in ["msg_forged", "msg_stale", "msg_future", "msg_x", "msg_y", "msg_z"] {
                    #expect(!recorded.contains(refused), "refused delivery \(refused) is not recorded")
                }
                let job = try await p.status(id).data
                #expect(["starting", "processing"].contains(job["status"] as? String), "and the job did not change")
                #expect(try await p.ledger(job: id) == ["debit"])

                // The same body, properly signed, is accepted and applied.
                let good = signer.headers(id: "msg_good", timestamp: now, body: body).map { ($0.name, $0.value) }
                let accepted = try await post(p, body: body, headers: good, job: id)
                #expect(accepted.status == .ok)
                #expect(accepted.json["success"] as? Bool == true)
                try await p.eventually("the failure is applied") {
                    try await p.status(id).data["status"] as? String == "failed"
                }
            }
        }

        @Test("duplicate and concurrent duplicate webhooks ⇒ one render")
        func duplicateWebhooks() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(webhooks: .duplicate))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Warm dining room", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.waitUntilFinished(id)
                await p.emulator.waitForWebhooks(predictionID: predictionId)

                // Replay the completed delivery many times at once, with fresh ids too.
                let prediction = try JSONSerialization.data(withJSONObject: try await p.prediction(predictionId))
                let signer = WebhookSigner(secret: try WebhookSecret(p.emulator.webhookSecret))
                let now = Int(Date().timeIntervalSince1970)
                try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for index in 0..<10 {
                        let headers = signer.headers(id: index.isMultiple(of: 2) ? "msg_same" : "msg_\(index)", timestamp: now, body: prediction)
                            .map { ($0.name, $0.value) }
                        group.addTask { try await post(p, body: prediction, headers: headers, job: id).status }
                    }
                    for try await status in group { #expect(status == .ok) }
                }
                try await p.eventually("every event is processed") {
                    try await InboxRepository(sql: p.t.sql).count(state: .pending) == 0
                }
                #expect(try await p.count("renders") == 1)
                #expect(try await p.count("render_variants") == 1)
                #expect(try await p.ledger(job: id) == ["debit"])
                let deliveries = await p.emulator.deliveries().filter { $0.predictionID == predictionId }
                #expect(Set(deliveries.map(\.webhookID)).count < deliveries.count, "the emulator did deliver duplicates")
            }
        }

        @Test("completed webhook before start ⇒ the correct final state")
        func reorderedWebhooks() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(webhooks: .reorder))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Bright laundry with timber shelves", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                try await p.eventually("both webhooks are delivered") {
                    await p.emulator.deliveries().filter { $0.predictionID == predictionId && $0.status == 200 }.count >= 2
                }
                let order = await p.emulator.deliveries().filter { $0.predictionID == predictionId }.map(\.event)
                #expect(order.first == "completed", "the emulator delivered completed first: \(order)")
                try await p.eventually("the inbox is drained") {
                    try await InboxRepository(sql: p.t.sql).count(state: .pending) == 0
                }
                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                #expect(row.status == .succeeded, "the late start does not move it back")
                #expect(try await p.count("render_variants") == 1)
            }
        }

        @Test("fewer outputs than requested ⇒ succeeded with what came")
        func fewerOutputs() async throws {
            try await withPipeline { p in
                // One prediction returns fewer images than it was asked for: on a model that
                // returns several per prediction, one image instead of three; on a one-image
                // model (three predictions), none from one of them.
                let several = p.profile.maxOutputsPerPrediction >= 3
                await p.emulator.enqueueFault(FaultPlan(outputs: several ? 1 : 0))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Scandi kids room", "variants": "3"])
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                let predictions = await p.describePredictions(job: id)
                #expect((done["variants"] as? [[String: Any]])?.count == (several ? 1 : 2), "\(predictions)")
                #expect((done["variants"] as? [[String: Any]])?.map { $0["index"] as? Int } == (several ? [0] : [0, 1]),
                        "the variants that came are numbered from 0")
                let warning = several ? "fewer outputs than requested" : "some predictions of the job produced no images"
                #expect(p.t.logs.all.contains { $0.contains(warning) })
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("no outputs ⇒ failed with NO_OUTPUT, refunded")
        func noOutputs() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outputs: 0))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Empty granny flat", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "failed")
                #expect((done["error"] as? [String: Any])?["code"] as? String == "NO_OUTPUT")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
            }
        }

        @Test("outputs that are not images, or gone, ⇒ failed and refunded, not stuck")
        func unusableOutputs() async throws {
            for mode in [FaultPlan.FileMode.notImage, .missing] {
                try await withPipeline { p in
                    await p.emulator.enqueueFault(FaultPlan(files: mode))
                    let submitted = try await p.submit(["mode": "imagine", "prompt": "Industrial loft \(mode)", "variants": "1"])
                    let id = try #require(submitted.data["id"] as? String)
                    let done = try await p.waitUntilFinished(id)
                    #expect(done["status"] as? String == "failed", "\(mode)")
                    #expect(try await p.ledger(job: id) == ["debit", "refund"])
                    #expect(try await p.count("renders") == 0)
                }
            }
        }

        @Test("a prediction that fails ⇒ job failed, lock released, refund, a clear message")
        func predictionFails() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .fail, error: "CUDA out of memory at https://internal.example/x token r8_abcdefghijklmnopqrstuvwxyz0123456789"))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Mid-century lounge", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "failed")
                let error = try #require(done["error"] as? [String: Any])
                #expect(error["code"] as? String == "GENERATION_FAILED")
                let message = try #require(error["message"] as? String)
                #expect(message.contains("CUDA out of memory"))
                #expect(!message.contains("https://") && !message.contains("r8_"), "no URLs or secrets reach users")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                #expect(try await p.submit(["mode": "imagine", "prompt": "Next try"]).status == .accepted, "the lock is released")
            }
        }

        @Test("Replicate refusing the create beyond retries ⇒ 502, job failed, lock released, refund")
        func createFailsBeyondRetries() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(create: .init(status: 500, times: 10)))
                let response = try await p.submit(["mode": "imagine", "prompt": "Hamptons entry", "variants": "1"])
                #expect(response.status == .badGateway)
                #expect(response.errorCode == "UPSTREAM_ERROR")
                #expect(response.errorMessage?.contains("not been charged") == true)
                let creates = await p.emulator.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/predictions") }
                #expect(creates.count == 1, "a POST that got a 500 is not retried (it could have created a prediction)")

                let jobs = try await p.t.sql.select().column(SQLLiteral.all).from("generation_jobs")
                    .all(decoding: JobRow.self, keyDecodingStrategy: .convertFromSnakeCase)
                #expect(jobs.count == 1)
                #expect(jobs.first?.status == .failed)
                #expect(jobs.first?.errorCode == "UPSTREAM_ERROR")
                #expect(try await p.ledger(job: jobs[0].id.apiString) == ["debit", "refund"])

                await p.emulator.clearFaults()
                #expect(try await p.submit(["mode": "imagine", "prompt": "Hamptons entry again"]).status == .accepted)
            }
        }

        @Test("429 on create is retried and the submit still succeeds")
        func createRateLimitedThenAccepted() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 2, retryAfter: "0")))
                let response = try await p.submit(["mode": "imagine", "prompt": "Patio with a pergola", "variants": "1"])
                #expect(response.status == .accepted)
                let creates = await p.emulator.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/predictions") }
                #expect(creates.map(\.status) == [429, 429, 201])
            }
        }
    }
}
