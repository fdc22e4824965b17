import Foundation
import Imaging
import InteriorCore
@testable import InteriorServer
import SQLKit
import Testing

extension PipelineSuite {
    /// SPEC §8.1, end to end: the real HTTP API of a running application, the emulator as Replicate.
    @Suite("Pipeline: submit")
    struct SubmitTests {
        @Test("submit succeeds: 202 with the summary shape of SPEC §9")
        func submitSucceeds() async throws {
            try await withPipeline { p in
                let response = try await p.submit(["mode": "imagine", "prompt": "A calm reading nook with a window seat",
                                                   "roomType": "Living Room", "style": "coastal_au", "variants": "2"])
                #expect(response.status == .accepted)
                #expect(response.json["success"] as? Bool == true)
                let data = response.data
                let id = try #require(data["id"] as? String)
                #expect(UUID(uuidString: id) != nil)
                #expect(["starting", "processing"].contains(data["status"] as? String))
                #expect(data["mode"] as? String == (p.profile.supports(.imagine) ? "imagine" : "redesign"))
                #expect((data["predictionId"] as? String)?.isEmpty == false)
                #expect(data["createdAt"] is String)
                let settings = try #require(data["settings"] as? [String: Any])
                #expect(settings["roomType"] as? String == "living_room")
                #expect(settings["style"] as? String == "coastal_au")
                #expect(settings["aspectRatio"] as? String == (p.profile.supports(.imagine) ? "1:1" : "match"), "each mode's default")
                #expect(settings["quality"] as? String == "auto")
                #expect(settings["variants"] as? Int == 2)
                #expect(data["variants"] == nil && data["error"] == nil && data["completedAt"] == nil)
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("the webhook processes and stores results; status returns variant URLs that download")
        func webhookStoresResults() async throws {
            try await withPipeline { p in
                let ratio = p.landscape(for: .imagine)
                let response = try await p.submit(["mode": "imagine", "prompt": "Sunlit kitchen with a long timber bench", "variants": "3",
                                                   "quality": "low", "aspectRatio": ratio.rawValue])
                let id = try #require(response.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                #expect(done["completedAt"] is String)
                let variants = try #require(done["variants"] as? [[String: Any]])
                #expect(variants.map { $0["index"] as? Int } == [0, 1, 2])
                for variant in variants {
                    // Resized (never cropped) to the low tier: the model's own 3:2 output, which
                    // may round its short side differently (688 of 1024, say).
                    let (w, h) = ratio.components!
                    #expect(variant["width"] as? Int == 768)
                    #expect(abs((variant["height"] as? Int ?? 0) - 768 * h / w) <= 4)
                    for key in ["url", "thumbUrl"] {
                        let url = try #require(variant[key] as? String)
                        let path = String(url.dropFirst(p.t.settings.publicBaseURL.absoluteString.count))
                        let image = try await p.client.get(path)
                        #expect(image.status == .ok, "\(key) downloads")
                        #expect(image.headers.first(name: "Content-Type") == "image/webp")
                        #expect(image.body.starts(with: Data("RIFF".utf8)))
                        let info = try ImageProcessor.probe(image.body, maxPixels: 40_000_000)
                        #expect(info.format == .webp)
                        #expect(max(info.width, info.height) == (key == "url" ? 768 : 384))
                    }
                }
                // The webhook (not a poll) delivered the result: a verified delivery is in the inbox.
                let events = try await InboxRepository(sql: p.t.sql).events(job: UUID(uuidString: id)!)
                #expect(events.contains { $0.source == .webhook && $0.status == "succeeded" && $0.state == .done })
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("assets land at the SPEC §5 paths in the right buckets, as WebP, at the tier's size, with thumbnails")
        func assetsAtSpecPaths() async throws {
            try await withPipeline { p in
                let photo = try await TestImages.photo(width: 2400, height: 1600, format: .jpeg)
                let quality: Quality = p.profile.qualities.contains(.high) ? .high : .medium
                let response = try await p.submit(["mode": "redesign", "style": "japandi", "quality": quality.rawValue, "variants": "1"],
                                                  files: ["input1": photo])
                let id = try #require(response.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                let renderId = try #require(done["renderId"] as? String)
                #expect(renderId == StoragePaths.renderId(job: UUID(uuidString: id)!).apiString, "render ids derive from the job id")

                // Output and thumbnail in the public bucket.
                let output = try #require(p.storedFile(bucket: "public", path: "renders/\(renderId)/0.webp"))
                let thumb = try #require(p.storedFile(bucket: "public", path: "renders/\(renderId)/0_thumb.webp"))
                let outputInfo = try ImageProcessor.probe(output, maxPixels: 40_000_000)
                #expect(outputInfo.format == .webp && max(outputInfo.width, outputInfo.height) == quality.longEdge)
                #expect(abs(Double(outputInfo.width) / Double(outputInfo.height) - 1.5) < 0.02, "the photo's 3:2, matched")
                let thumbInfo = try ImageProcessor.probe(thumb, maxPixels: 40_000_000)
                #expect(thumbInfo.format == .webp && max(thumbInfo.width, thumbInfo.height) == 384)

                // The upload in the private bucket, normalised: long edge 2048, same format.
                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                let inputPath = try #require(row.input1Path)
                #expect(inputPath.hasPrefix("\(p.owner.apiString)/inputs/") && inputPath.hasSuffix(".jpg"))
                let input = try #require(p.storedFile(bucket: "private", path: inputPath))
                let inputInfo = try ImageProcessor.probe(input, maxPixels: 40_000_000)
                #expect(inputInfo.format == .jpeg && inputInfo.width == 2048 && abs(inputInfo.height - 1365) <= 1)
                #expect(p.storedFile(bucket: "public", path: inputPath) == nil, "uploads never land in the public bucket")

                // Private objects are not served publicly.
                let leaked = try await p.client.get("/storage/v1/object/public/private/\(inputPath)")
                #expect(leaked.status == .notFound)
            }
        }

        @Test("the adapter maps all parameters and the prompt includes every required element")
        func adapterAndPromptReachReplicate() async throws {
            try await withPipeline { p in
                let profile = p.profile
                let compose = profile.supports(.compose)
                let mode: GenerationMode = compose ? .compose : .redesign
                let ratio = try #require(profile.aspectRatios(for: mode).first { $0 != .match && $0 != .square })
                let room = try await TestImages.photo()
                let reference = try await TestImages.photo(width: 600, height: 600)
                let response = try await p.submit(
                    ["mode": mode.rawValue, "roomType": "kitchen", "style": "Hamptons AU", "aspectRatio": ratio.rawValue,
                     "quality": "medium", "variants": "3", "prompt": "  use the   rattan pendant\tfrom the second photo "],
                    files: compose ? ["input1": room, "input2": reference] : ["input1": room])
                #expect(response.status == .accepted)
                let id = try #require(response.data["id"] as? String)
                let plan = profile.outputsPerPrediction(variants: 3)
                let rows = try await p.predictionRows(job: id)
                #expect(rows.map(\.outputs) == plan, "one prediction per \(plan) outputs")
                #expect(rows.first?.predictionId == response.data["predictionId"] as? String)
                for row in rows {
                    // What Replicate received, read back through the model's own declaration.
                    let predictionId = try #require(row.predictionId)
                    let received = try #require(try await p.prediction(predictionId)["input"] as? [String: Any])
                    let input = try JSONDecoder().decode(ModelInput.self, from: JSONSerialization.data(withJSONObject: received))
                    let asked = try profile.interpret(input, requireSecrets: false)
                    #expect(asked.aspectRatio == ratio.rawValue)
                    #expect(asked.outputCount == row.outputs)
                    #expect(asked.outputFormat == profile.outputFormat?.value)
                    if let field = profile.quality.field {
                        #expect(received[field] as? String == profile.quality.value(for: .medium))
                    }
                    #expect(asked.inputImageURLs.count == mode.inputImageCount)
                    #expect(asked.inputImageURLs.allSatisfy {
                        $0.contains("/storage/v1/object/sign/private/\(p.owner.apiString)/inputs/") && $0.contains("token=")
                    })
                    for element in ["Hamptons AU", "crisp white joinery, navy accents, rattan, shaker profiles", "Kitchen",
                                    "Australian", "architecture", "use the rattan pendant from the second photo"] {
                        #expect(asked.prompt.contains(element), "prompt carries \(element)")
                    }
                    #expect(asked.prompt.hasSuffix("use the rattan pendant from the second photo"), "the user prompt comes last, sanitised")
                }
                let done = try await p.waitUntilFinished(id)
                #expect((done["variants"] as? [[String: Any]])?.count == 3)
            }
        }

        @Test("the in-flight check prevents concurrent jobs: 20 concurrent submits ⇒ one 202, nineteen 409, one debit")
        func concurrentSubmits() async throws {
            try await withPipeline(processingDelay: .seconds(2)) { p in
                let statuses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for index in 0..<20 {
                        group.addTask { try await p.submit(["mode": "imagine", "prompt": "Calm bedroom number \(index)"]) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0.status == .accepted }.count == 1)
                let conflicts = statuses.filter { $0.status == .conflict }
                #expect(conflicts.count == 19)
                #expect(conflicts.allSatisfy { $0.errorCode == "TOO_MANY_INFLIGHT" && $0.errorMessage == "Please wait until this generation is complete." })
                #expect(try await p.count("generation_jobs") == 1)
                #expect(try await p.count("usage_ledger") == 1)
                let predictions = await p.emulator.predictionIDs()
                #expect(predictions.count == p.predictionCount(variants: 2), "refused submits never reach Replicate")
            }
        }

        @Test("quota exceeded ⇒ 402 and nothing created")
        func quotaExceeded() async throws {
            try await withPipeline { p in
                _ = try await p.client.get("/api/v1/auth/me", token: p.token)
                let usage = UsageRepository(sql: p.t.sql)
                for _ in 0..<10 {
                    let job = DatabaseTests.job(owner: p.owner, status: .succeeded, at: p.t.clock.now)
                    try await DatabaseTests.insert(job, p.t.sql)
                    try await usage.record(.debit, id: UUID(), owner: p.owner, job: job.id, reason: nil, now: p.t.clock.now)
                }
                let before = (try await p.count("generation_jobs"), try await p.count("usage_ledger"))
                let response = try await p.submit(["mode": "imagine", "prompt": "A bright sunroom"])
                #expect(response.status == .paymentRequired)
                #expect(response.errorCode == "LIMIT_EXCEEDED")
                #expect(response.errorMessage?.contains("Free") == true)
                #expect(try await p.count("generation_jobs") == before.0)
                #expect(try await p.count("usage_ledger") == before.1)
                #expect(await p.emulator.predictionIDs().isEmpty)

                // An operator credit gives one back.
                #expect(try await Operations.credit(p.t.app, user: p.owner, amount: 1, reason: "goodwill"))
                #expect(try await p.submit(["mode": "imagine", "prompt": "A bright sunroom"]).status == .accepted)
            }
        }

        @Test("idempotent replay: the same key returns the same job and charges once; a different body ⇒ 422")
        func idempotentReplay() async throws {
            try await withPipeline { p in
                let key = UUID().uuidString
                let fields = ["mode": "imagine", "prompt": "Moody home office with green walls", "idempotencyKey": key]
                let first = try await p.submit(fields)
                #expect(first.status == .accepted)
                let id = try #require(first.data["id"] as? String)

                let again = try await p.submit(fields)
                #expect(again.status == .accepted)
                #expect(again.headers.first(name: "Idempotent-Replayed") == "true")
                #expect(again.data["id"] as? String == id)

                // The header form of the key means the same.
                let viaHeader = try await p.submit(fields.filter { $0.key != "idempotencyKey" }, headers: [("Idempotency-Key", key)])
                #expect(viaHeader.data["id"] as? String == id)

                var changed = fields
                changed["prompt"] = "Something else entirely"
                let reused = try await p.submit(changed)
                #expect(reused.status == .unprocessableEntity)
                #expect(reused.errorCode == "IDEMPOTENCY_KEY_REUSED")

                #expect(try await p.ledger(job: id) == ["debit"])
                #expect(try await p.count("generation_jobs") == 1)
                #expect(await p.emulator.predictionIDs().count == p.predictionCount(variants: 2))

                // After the job finishes the key still replays, not a new job.
                try await p.waitUntilFinished(id)
                #expect(try await p.submit(fields).data["id"] as? String == id)
            }
        }

        @Test("concurrent submits with one idempotency key make one job, and every other one is its replay")
        func concurrentIdempotentSubmits() async throws {
            try await withPipeline { p in
                let key = UUID().uuidString
                let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for _ in 0..<12 {
                        group.addTask { try await p.submit(["mode": "imagine", "prompt": "Quiet laundry", "idempotencyKey": key]) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let accepted = responses.filter { $0.status == .accepted }
                let ids = Set(accepted.compactMap { $0.data["id"] as? String })
                #expect(ids.count == 1)
                // The same key names the same job: never "another job is in flight".
                #expect(responses.map(\.status) == Array(repeating: .accepted, count: 12), "\(responses.map(\.status))")
                #expect(responses.filter { $0.headers.first(name: "Idempotent-Replayed") == "true" }.count == 11)
                #expect(try await p.count("generation_jobs") == 1)
                #expect(try await p.count("usage_ledger") == 1)
            }
        }

        @Test("JSON submits take input URLs into our own storage only")
        func jsonInputURLs() async throws {
            try await withPipeline { p in
                let photo = try await TestImages.photo()
                let first = try await p.submit(["mode": "staging", "variants": "1"], files: ["input1": photo])
                let firstId = try #require(first.data["id"] as? String)
                try await p.waitUntilFinished(firstId)
                let path = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: firstId)!)?.input1Path)

                // A bare private path of one's own upload, and a signed URL this service issued.
                let signed = try await p.t.app.interior.store.signedURL(bucket: "private", path: path, expiresIn: 600).absoluteString
                for reference in [path, signed] {
                    let response = try await p.submitJSON(["mode": "redesign", "input1Url": reference, "variants": 1])
                    #expect(response.status == .accepted, "\(reference)")
                    try await p.waitUntilFinished(try #require(response.data["id"] as? String))
                }

                // Anything else is refused before anything is charged.
                let otherOwner = UUID().apiString
                let refused = [
                    "https://evil.example.com/x.jpg",
                    "http://169.254.169.254/latest/meta-data/",
                    "\(otherOwner)/inputs/\(UUID().apiString).jpg",
                    "../\(path)",
                    p.t.settings.publicBaseURL.absoluteString + "/storage/v1/object/sign/private/\(otherOwner)/inputs/\(UUID().apiString).jpg?token=x",
                    p.t.settings.publicBaseURL.absoluteString + "/storage/v1/object/public/public/renders/x/0.webp",
                    "\(p.owner.apiString)/inputs/\(UUID().apiString).jpg",
                ]
                let jobsBefore = try await p.count("generation_jobs")
                for reference in refused {
                    let response = try await p.submitJSON(["mode": "redesign", "input1Url": reference])
                    #expect(response.status == .badRequest, "\(reference)")
                    #expect(response.errorDetails?["field"] as? String == "input1Url", "\(reference)")
                }
                #expect(try await p.count("generation_jobs") == jobsBefore)
            }
        }
    }
}
