import Foundation
import Imaging
import InteriorCore
@testable import InteriorServer
import ReplicateEmulator
import SQLKit
import Testing
import TestSupport

extension PipelineSuite {
    /// Every built-in model, end to end on the emulator: three variants of a redesign that keep
    /// a 3:2 photo's shape (one prediction per variant on one-image models), compose where the
    /// model takes two images, imagine where it takes none — and the outputs the emulator sends
    /// in the model's own shape, checked against its published output schema.
    @Suite("Pipeline: every built-in model")
    struct ModelMatrixTests {
        static let schemaScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ReplicateTests/Python/schema_check.py").path

        @Test("redesign × 3 keeps the photo's shape, compose and imagine work where the model serves them",
              arguments: ModelProfile.builtIn.map(\.id))
        func model(_ id: String) async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": id]) { p in
                let profile = p.profile
                #expect(profile.id == id)
                let photo = try await TestImages.photo(width: 1200, height: 800, format: .jpeg)

                // Redesign: `match` is the default; three variants.
                let redesign = try await p.submit(["mode": "redesign", "style": "coastal_au", "variants": "3"], files: ["input1": photo])
                #expect(redesign.status == .accepted)
                let id3 = try #require(redesign.data["id"] as? String)
                #expect((redesign.data["settings"] as? [String: Any])?["aspectRatio"] as? String == "match")
                let done = try await p.waitUntilFinished(id3)
                #expect(done["status"] as? String == "succeeded")
                let variants = try #require(done["variants"] as? [[String: Any]])
                let predictions = await p.describePredictions(job: id3)
                #expect(variants.count == 3, "\(predictions) \(p.t.logs.all.filter { $0.contains("cancel") || $0.contains("abandon") })")
                for variant in variants {
                    let width = try #require(variant["width"] as? Int), height = try #require(variant["height"] as? Int)
                    #expect(abs(Double(width) / Double(height) - 1.5) < 0.02, "\(id): \(width)×\(height) is the photo's 3:2")
                    #expect(max(width, height) == Quality.auto.longEdge)
                }
                let rows = try await p.predictionRows(job: id3)
                #expect(rows.count == profile.outputsPerPrediction(variants: 3).count)
                #expect(await p.emulator.predictionIDs().count == rows.count)
                #expect(try await p.ledger(job: id3) == ["debit"], "one debit for the job, however many predictions")
                try await checkOutputShape(p, prediction: try #require(rows.first?.predictionId))

                if profile.supports(.compose) {
                    let reference = try await TestImages.photo(width: 600, height: 600)
                    let compose = try await p.submit(["mode": "compose", "variants": "1"], files: ["input1": photo, "input2": reference])
                    let composed = try await p.waitUntilFinished(try #require(compose.data["id"] as? String))
                    #expect(composed["status"] as? String == "succeeded", "\(id) compose")
                }
                if profile.supports(.imagine) {
                    let imagine = try await p.submit(["mode": "imagine", "prompt": "A light-filled Queenslander kitchen", "variants": "1"])
                    let imagined = try await p.waitUntilFinished(try #require(imagine.data["id"] as? String))
                    #expect(imagined["status"] as? String == "succeeded", "\(id) imagine")
                    let variant = try #require((imagined["variants"] as? [[String: Any]])?.first)
                    #expect(variant["width"] as? Int == variant["height"] as? Int, "imagine's default is square")
                }
            }
        }

        /// The prediction as the emulator returns it carries its output in the model's published
        /// shape: one URI, or a list of URIs.
        private func checkOutputShape(_ p: Pipeline, prediction: String) async throws {
            let body = try await p.prediction(prediction)
            let output = try #require(body["output"])
            #expect((output is String) == (p.profile.output == .uri))
            let cases: [[String: Any]] = [["kind": "output", "model": p.profile.id, "name": "emulated", "value": output]]
            let report = try await TestPython.run(file: Self.schemaScript, input: try JSONSerialization.data(withJSONObject: cases))
            let result = try #require(((try JSONSerialization.jsonObject(with: report) as? [String: Any])?["results"] as? [[String: Any]])?.first)
            #expect(result["valid"] as? Bool == true, "\(p.profile.id): \(result["errors"] ?? "")")
        }

        @Test("three variants on a one-image model, one prediction failing ⇒ succeeded with two variants and one debit")
        func oneOfThreeFails() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .fail, error: "the GPU fell over"))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A Hamptons entry hall", "variants": "3"])
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                #expect((done["variants"] as? [[String: Any]])?.map { $0["index"] as? Int } == [0, 1])
                #expect(try await p.ledger(job: id) == ["debit"])
                let rows = try await p.predictionRows(job: id)
                #expect(rows.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .succeeded, .succeeded])
                #expect(rows.first { $0.status == .failed }?.error == "the GPU fell over")
                #expect(p.t.logs.all.contains { $0.contains("some predictions of the job produced no images") })
                // The failed prediction's slot holds no object; the two that came are in the render.
                let render = try #require(try await RenderRepository(sql: p.t.sql).find(job: UUID(uuidString: id)!))
                #expect(render.variants.count == 2)
                for variant in render.variants { #expect(p.storedFile(bucket: "public", path: variant.imagePath) != nil) }
            }
        }

        @Test("three variants on a one-image model, all three failing ⇒ failed and refunded")
        func allThreeFail() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                for _ in 0..<3 { await p.emulator.enqueueFault(FaultPlan(outcome: .fail, error: "out of memory")) }
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A Scandi laundry", "variants": "3"])
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "failed")
                #expect((done["error"] as? [String: Any])?["code"] as? String == "GENERATION_FAILED")
                #expect((done["error"] as? [String: Any])?["message"] as? String == "out of memory")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                #expect(try await p.count("renders") == 0)
                #expect(try await p.submit(["mode": "imagine", "prompt": "Next try", "variants": "1"]).status == .accepted,
                        "the lock is released")
            }
        }

        @Test("cancel cancels every prediction of the job")
        func cancelEveryPrediction() async throws {
            try await withPipeline(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { p in
                for _ in 0..<3 { await p.emulator.enqueueFault(FaultPlan(outcome: .hang)) }
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A stuck study", "variants": "3"])
                let id = try #require(submitted.data["id"] as? String)
                try await p.eventually("all three predictions are attached") {
                    try await p.predictionRows(job: id).allSatisfy { $0.predictionId != nil }
                }
                let canceled = try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: p.token)
                #expect(canceled.data["status"] as? String == "canceled")
                for row in try await p.predictionRows(job: id) {
                    #expect(try await p.prediction(try #require(row.predictionId))["status"] as? String == "canceled")
                    #expect(row.status == .canceled)
                }
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
            }
        }
    }
}
