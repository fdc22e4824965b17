import Foundation
import Imaging
import Replicate
@testable import ReplicateEmulator
import Testing

/// The emulator over real HTTP: shapes, lifecycle, webhooks, images, expiry, faults.
@Suite("Replicate emulator")
struct EmulatorTests {
    func client(_ emulator: RunningEmulator) -> ReplicateClient {
        makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog(), retry: .none)
    }

    func verifier(_ emulator: RunningEmulator) throws -> WebhookVerifier {
        WebhookVerifier(secret: try WebhookSecret(emulator.webhookSecret))
    }

    func create(
        _ emulator: RunningEmulator, _ input: ImageInput, webhook: URL? = nil, filter: [WebhookEvent]? = [.start, .completed]
    ) async throws -> Prediction {
        try await client(emulator).createPrediction(
            model: "openai/gpt-image-1", input: input, webhook: webhook, webhookEventsFilter: webhook == nil ? nil : filter)
    }

    // MARK: - Lifecycle and webhooks

    @Test func signsStartAndCompletedWebhooksThatVerify() async throws {
        try await withReceiver { receiver in
            try await withEmulator(processingDelay: .milliseconds(100)) { emulator in
                let created = try await create(emulator, ImageInput(prompt: uniquePrompt()), webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                #expect(deliveries.map(\.status) == ["processing", "succeeded"])
                let verifier = try verifier(emulator)
                for delivery in deliveries {
                    try verifier.verify(
                        id: delivery.id, timestamp: delivery.timestamp, signatureHeader: delivery.signature,
                        body: delivery.body, now: Date())
                    #expect(delivery.json["id"]?.stringValue == created.id)
                    #expect(delivery.id?.hasPrefix("msg_") == true)
                }
                #expect(deliveries[0].id != deliveries[1].id)
                let final = try JSONDecoder().decode(Prediction.self, from: deliveries[1].body)
                #expect(final.output.count == 1)
                #expect(final.completedAt != nil)
                try await Task.sleep(for: .milliseconds(100))
                #expect(receiver.deliveries.count == 2)
            }
        }
    }

    @Test func sendsEveryEventWhenNoFilterIsGiven() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(emulator, ImageInput(prompt: uniquePrompt()), webhook: receiver.hookURL, filter: nil)
                await emulator.waitForWebhooks(predictionID: created.id)
                _ = try await waitUntilTerminal(client(emulator), created.id)
                await emulator.waitForWebhooks(predictionID: created.id)
                let events = await emulator.deliveries().filter { $0.predictionID == created.id }.map(\.event)
                #expect(events == ["start", "logs", "output", "completed"])
                #expect(receiver.deliveries.count == 4)
            }
        }
    }

    @Test func honoursACompletedOnlyFilter() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, ImageInput(prompt: uniquePrompt()), webhook: receiver.hookURL, filter: [.completed])
                let deliveries = try await receiver.waitFor(1)
                await emulator.waitForWebhooks(predictionID: created.id)
                #expect(deliveries.map(\.status) == ["succeeded"])
                #expect(receiver.deliveries.count == 1)
            }
        }
    }

    @Test func redeliversAfterANon2xxAnswerWithTheSameId() async throws {
        try await withReceiver { receiver in
            receiver.script([500, 503])
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, ImageInput(prompt: uniquePrompt()), webhook: receiver.hookURL, filter: [.completed])
                let deliveries = try await receiver.waitFor(3)
                #expect(Set(deliveries.map(\.id)).count == 1)
                #expect(Set(deliveries.map(\.body)).count == 1)
                let verifier = try verifier(emulator)
                for delivery in deliveries {
                    try verifier.verify(
                        id: delivery.id, timestamp: delivery.timestamp, signatureHeader: delivery.signature,
                        body: delivery.body, now: Date())
                }
                await emulator.waitForWebhooks(predictionID: created.id)
                let attempts = await emulator.deliveries().filter { $0.predictionID == created.id }
                #expect(attempts.map(\.attempt) == [1, 2, 3])
                #expect(attempts.map(\.status) == [500, 503, 200])
            }
        }
    }

    @Test func givesUpAfterTheLastAttempt() async throws {
        try await withReceiver { receiver in
            receiver.script(Array(repeating: 500, count: 10))
            try await withEmulator(webhookRetry: .init(maxAttempts: 3, initialDelay: .milliseconds(20), multiplier: 2)) { emulator in
                let created = try await create(
                    emulator, ImageInput(prompt: uniquePrompt()), webhook: receiver.hookURL, filter: [.completed])
                _ = try await waitUntilTerminal(client(emulator), created.id)
                await emulator.waitForWebhooks(predictionID: created.id)
                #expect(receiver.deliveries.count == 3)
            }
        }
    }

    @Test func fetchesTheInputAndRegradesItAtTheAspectRatiosSize() async throws {
        try await withReceiver { receiver in
            receiver.serve("room.png", try await roomPhoto())
            try await withEmulator { emulator in
                let input = ImageInput(
                    prompt: uniquePrompt("Restyle in Hamptons AU"), aspectRatio: "3:2", numberOfImages: 3,
                    inputImages: [receiver.fileURL("room.png")])
                let created = try await create(emulator, input)
                let done = try await waitUntilTerminal(client(emulator), created.id)
                #expect(done.status == .succeeded)
                #expect(done.output.count == 3)
                var bodies: [Data] = []
                for url in done.output {
                    let file = try await TestHTTP.get(url.absoluteString)
                    #expect(file.headers.first(name: "Content-Type") == "image/png")
                    let info = try ImageProcessor.probe(file.body, maxPixels: 40_000_000)
                    #expect(info.format == .png)
                    // The quality tier's long edge (auto: 1024) in the asked shape.
                    #expect(info.width == 1024 && info.height == 688)
                    bodies.append(file.body)
                }
                #expect(Set(bodies).count == 3, "every variant is graded differently")
            }
        }
    }

    @Test func drawsACompositionForATextOnlyPrompt() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, ImageInput(prompt: uniquePrompt("A Japandi bedroom"), aspectRatio: "2:3"))
            let done = try await waitUntilTerminal(client(emulator), created.id)
            let file = try await TestHTTP.get(done.output[0].absoluteString)
            let info = try ImageProcessor.probe(file.body, maxPixels: 40_000_000)
            #expect(info.width == 688 && info.height == 1024)
        }
    }

    @Test func writesWebPWhenAskedAndPNGByDefaultForPNG() async throws {
        try await withEmulator { emulator in
            var input = ImageInput(prompt: uniquePrompt())
            input.outputFormat = "webp"
            let created = try await create(emulator, input)
            let done = try await waitUntilTerminal(client(emulator), created.id)
            #expect(done.output[0].pathExtension == "webp")
            let file = try await TestHTTP.get(done.output[0].absoluteString)
            #expect(try ImageProcessor.probe(file.body, maxPixels: 40_000_000).format == .webp)
        }
    }

    @Test func anUnreachableInputFailsThePrediction() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let input = ImageInput(prompt: uniquePrompt(), inputImages: [receiver.fileURL("missing.png")])
                let created = try await create(emulator, input, webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                let done = try await waitUntilTerminal(client(emulator), created.id)
                #expect(done.status == .failed)
                #expect(done.error == "Failed to download input image 1: HTTP 404")
                #expect(deliveries.last?.status == "failed")
            }
        }
    }

    @Test func theStyleInThePromptPicksThePalette() {
        #expect(OutputImages.style(forPrompt: "Restyle this living room in Coastal AU").id == "coastal_au")
        #expect(OutputImages.style(forPrompt: "teak, low profiles, muted colour pops").id == "midcentury_au")
        #expect(OutputImages.style(forPrompt: "a modern farmhouse au kitchen").id == "modern_farmhouse_au")
        #expect(OutputImages.style(forPrompt: "something else entirely").id == "contemporary_au")
        #expect(OutputImages.palette(forPrompt: "Hamptons AU")[0] == RGB(r: 0x1F, g: 0x3A, b: 0x5F))
    }

    // MARK: - Prefer: wait

    @Test func preferWaitGivesUpAfterItsSecondsWithTheCurrentState() async throws {
        // A prediction that takes a minute: an answer well before it is one that gave up at its
        // second (a loaded parallel run has delayed this answer past 30 s, so no tighter bound).
        try await withEmulator(processingDelay: .seconds(60)) { emulator in
            let started = ContinuousClock.now
            let response = try await TestHTTP.send(
                .POST, "\(emulator.baseURL.absoluteString)/models/openai/gpt-image-1/predictions", token: emulator.token,
                json: #"{"input":{"prompt":"\#(uniquePrompt())"}}"#, headers: [("Prefer", "wait=1")])
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 201)
            #expect(elapsed >= .milliseconds(950) && elapsed < .seconds(50), "\(elapsed)")
            #expect(try jsonObject(response.body)["status"] == "processing")
        }
    }

    // MARK: - Shapes and validation

    @Test func answersWithReplicatesShapesAndLabelsItself() async throws {
        try await withEmulator { emulator in
            let base = emulator.baseURL.absoluteString
            let created = try await TestHTTP.send(
                .POST, "\(base)/models/openai/gpt-image-1/predictions", token: emulator.token,
                json: #"{"input":{"prompt":"a room","openai_api_key":"sk-hidden"}}"#)
            #expect(created.status == 201)
            #expect(created.headers.first(name: ReplicateEmulator.responseHeader) == "true")
            let object = try jsonObject(created.body)
            for key in ["id", "model", "version", "input", "logs", "output", "data_removed", "error", "status",
                        "created_at", "started_at", "completed_at", "urls", "metrics"]
            {
                #expect(object[key] != nil, "missing \(key)")
            }
            #expect(object["input"]?["openai_api_key"] == "[REDACTED]")
            #expect(!String(decoding: created.body, as: UTF8.self).contains("sk-hidden"))

            let list = try await TestHTTP.send(.GET, "\(base)/predictions", token: emulator.token)
            #expect(try jsonObject(list.body)["results"]?.arrayValue?.count == 1)

            let unauthorised = try await TestHTTP.send(.GET, "\(base)/predictions", token: nil)
            #expect(unauthorised.status == 401)
            #expect(unauthorised.headers.first(name: ReplicateEmulator.responseHeader) == "true")
            #expect(try jsonObject(unauthorised.body)["detail"] == "You did not pass a valid authentication token")
        }
    }

    @Test func validatesInputLikeTheModelSchema() async throws {
        try await withEmulator { emulator in
            let url = "\(emulator.baseURL.absoluteString)/models/openai/gpt-image-1/predictions"
            let many = (0...10).map { #""https://example.com/\#($0).png""# }.joined(separator: ",")
            let cases: [(String, String)] = [
                (#"{"input":{"aspect_ratio":"1:1"}}"#, "prompt is required"),
                (#"{"input":{"prompt":"   "}}"#, "prompt must not be empty"),
                (#"{"input":{"prompt":"x","aspect_ratio":"16:9"}}"#, "aspect_ratio must be one of the following"),
                (#"{"input":{"prompt":"x","input_images":[\#(many)]}}"#, "at most 10 items"),
                (#"{"input":{"prompt":"x","input_images":["not a url"]}}"#, "input.input_images.0"),
                (#"{"input":{"prompt":"x","number_of_images":0}}"#, "greater than or equal to 1"),
                (#"{"input":{"prompt":"x","number_of_images":11}}"#, "less than or equal to 10"),
                (#"{"input":{"prompt":"x","quality":"ultra"}}"#, "quality must be one of"),
                (#"{"input":{"prompt":"x","output_format":"gif"}}"#, "output_format must be one of"),
                (#"{"input":{"prompt":"x"},"webhook":"not a url"}"#, "webhook must be an absolute"),
                (#"{"input":{"prompt":"x"},"webhook_events_filter":["done"]}"#, "webhook_events_filter"),
                (#"{"nothing":true}"#, "input is required"),
            ]
            for (body, expected) in cases {
                let response = try await TestHTTP.send(.POST, url, token: emulator.token, json: body)
                #expect(response.status == 422, "\(body)")
                let detail = try jsonObject(response.body)["detail"]?.stringValue ?? ""
                #expect(detail.contains(expected), "\(body) → \(detail)")
            }
            let invalid = try await TestHTTP.send(
                .POST, url, token: emulator.token, json: #"{"input":{"prompt":"x","aspect_ratio":"4:3"}}"#)
            #expect(try jsonObject(invalid.body)["invalid_fields"]?.arrayValue?.first?["field"] == "input.aspect_ratio")
            #expect(await emulator.predictionIDs().isEmpty)
        }
    }

    @Test func refusesUnknownModelsAndVersions() async throws {
        try await withEmulator { emulator in
            let base = emulator.baseURL.absoluteString
            let model = try await TestHTTP.send(
                .POST, "\(base)/models/nobody/nothing/predictions", token: emulator.token, json: #"{"input":{"prompt":"x"}}"#)
            #expect(model.status == 404)
            let version = try await TestHTTP.send(
                .POST, "\(base)/predictions", token: emulator.token, json: #"{"version":"abc","input":{"prompt":"x"}}"#)
            #expect(version.status == 422)
            #expect(try jsonObject(version.body)["detail"] == "Invalid version or not permitted")
            let malformed = try await TestHTTP.send(.POST, "\(base)/predictions", token: emulator.token, json: "[1,2]")
            #expect(malformed.status == 400)
        }
    }

    @Test func servesFluxKontextWithASingleURLOutput() async throws {
        try await withReceiver { receiver in
            receiver.serve("room.png", try await roomPhoto(width: 800, height: 400))
            try await withEmulator { emulator in
                let base = emulator.baseURL.absoluteString
                let response = try await TestHTTP.send(
                    .POST, "\(base)/models/black-forest-labs/flux-kontext-pro/predictions", token: emulator.token,
                    json: #"{"input":{"prompt":"Scandi AU","input_image":"\#(receiver.fileURL("room.png"))"}}"#,
                    headers: [("Prefer", "wait=30")])
                #expect(response.status == 201)
                let object = try jsonObject(response.body)
                let url = try #require(object["output"]?.stringValue)
                let prediction = try JSONDecoder().decode(Prediction.self, from: response.body)
                #expect(prediction.output.map(\.absoluteString) == [url])
                let info = try ImageProcessor.probe(try await TestHTTP.get(url).body, maxPixels: 40_000_000)
                #expect(abs(Double(info.width) / Double(info.height) - 2) < 0.05, "match_input_image keeps the input's shape")
                #expect(info.width % 16 == 0 && info.height % 16 == 0)

                // Read through the profile: one image in, as a string.
                let strict = try await TestHTTP.send(
                    .POST, "\(base)/models/black-forest-labs/flux-kontext-pro/predictions", token: emulator.token,
                    json: #"{"input":{"prompt":"x","input_image":["https://example.com/a.png"]}}"#)
                #expect(strict.status == 422)
                #expect(try jsonObject(strict.body)["detail"]?.stringValue == "- input.input_image: Invalid type. Expected: string\n")
            }
        }
    }

    // MARK: - Expiry

    @Test func outputsExpireAfterTheirTTL() async throws {
        let time = FakeTime(start: Date())
        try await withEmulator(outputTTL: .seconds(3600), now: { time.now() }) { emulator in
            let created = try await create(emulator, ImageInput(prompt: uniquePrompt()))
            let done = try await waitUntilTerminal(client(emulator), created.id)
            let url = done.output[0].absoluteString
            #expect(try await TestHTTP.get(url).status == 200)

            time.advance(3599)
            #expect(try await TestHTTP.get(url).status == 200)
            #expect(try await client(emulator).getPrediction(id: created.id).dataRemoved == false)

            time.advance(2)
            let removed = try await client(emulator).getPrediction(id: created.id)
            #expect(removed.dataRemoved)
            #expect(removed.output.isEmpty)
            #expect(removed.status == .succeeded)
            #expect(try await TestHTTP.get(url).status == 404)
        }
    }

    @Test func theAdminEndpointExpiresOutputsAtOnce() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, ImageInput(prompt: uniquePrompt()))
            let done = try await waitUntilTerminal(client(emulator), created.id)
            let response = try await TestHTTP.send(
                .POST, "\(emulator.baseURL.absoluteString)/_emulator/predictions/\(created.id)/expire", token: emulator.token)
            #expect(response.status == 200)
            #expect(try jsonObject(response.body)["data_removed"] == true)
            #expect(try await TestHTTP.get(done.output[0].absoluteString).status == 404)
        }
    }
}
