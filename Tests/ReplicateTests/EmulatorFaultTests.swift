import AsyncHTTPClient
import Foundation
import Imaging
import Replicate
@testable import ReplicateEmulator
import Testing

/// Every fault the emulator can inject, queued by its operator (the control endpoint or
/// `enqueueFault`); and that nothing in a prediction's input can inject one.
@Suite("Emulator faults")
struct EmulatorFaultTests {
    func client(_ emulator: RunningEmulator) -> ReplicateClient {
        makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog(), retry: .none)
    }

    /// Creates a prediction, with `plan` queued for it first.
    func create(
        _ emulator: RunningEmulator, _ prompt: String, plan: FaultPlan? = nil, count: Int = 1, webhook: URL? = nil,
        filter: [WebhookEvent]? = [.start, .completed]
    ) async throws -> Prediction {
        if let plan { await emulator.enqueueFault(plan) }
        return try await client(emulator).createPrediction(
            model: "openai/gpt-image-1", input: ImageInput(prompt: prompt, numberOfImages: count),
            webhook: webhook, webhookEventsFilter: webhook == nil ? nil : filter)
    }

    // MARK: - How predictions end

    @Test func failsThePredictionWithTheGivenError() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, uniquePrompt(), plan: FaultPlan(outcome: .fail, error: "CUDA out of memory"), webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                let done = try await waitUntilTerminal(client(emulator), created.id)
                #expect(done.status == .failed)
                #expect(done.error == "CUDA out of memory")
                #expect(done.output.isEmpty)
                #expect(deliveries.last?.json["error"] == "CUDA out of memory")
            }
        }
    }

    @Test func returnsFewerOutputsThanAsked() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, uniquePrompt(), plan: FaultPlan(outputs: 1), count: 3)
            let done = try await waitUntilTerminal(client(emulator), created.id)
            #expect(done.status == .succeeded)
            #expect(done.output.count == 1)
            let none = try await create(emulator, uniquePrompt(), plan: FaultPlan(outputs: 0), count: 2)
            let empty = try await waitUntilTerminal(client(emulator), none.id)
            #expect(empty.status == .succeeded)
            #expect(empty.output.isEmpty)
        }
    }

    @Test func cancelsThePredictionItself() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(emulator, uniquePrompt(), plan: FaultPlan(outcome: .cancel), webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                #expect(deliveries.map(\.status) == ["processing", "canceled"])
                #expect(try await client(emulator).getPrediction(id: created.id).status == .canceled)
            }
        }
    }

    @Test func hangsUntilCancelled() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, uniquePrompt(), plan: FaultPlan(outcome: .hang))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client(emulator).getPrediction(id: created.id).status == .processing)
            let canceled = try await client(emulator).cancelPrediction(id: created.id)
            #expect(canceled.status == .canceled)
            let again = try await client(emulator).cancelPrediction(id: created.id)
            #expect(again.status == .canceled)
        }
    }

    @Test func delaysTheStart() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, uniquePrompt(), plan: FaultPlan(startDelay: 3))
            try await Task.sleep(for: .milliseconds(200))
            let early = try await client(emulator).getPrediction(id: created.id)
            #expect(early.status == .starting)
            #expect(early.startedAt == nil)
            let done = try await waitUntilTerminal(client(emulator), created.id)
            #expect(done.status == .succeeded)
            let waited = try #require(done.startedAt).timeIntervalSince(try #require(done.createdAt))
            #expect(waited >= 3)
        }
    }

    // MARK: - Webhooks

    @Test func duplicatesEveryWebhookWithTheSameId() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, uniquePrompt(), plan: FaultPlan(webhooks: .duplicate), webhook: receiver.hookURL,
                    filter: [.completed])
                let deliveries = try await receiver.waitFor(2)
                await emulator.waitForWebhooks(predictionID: created.id)
                #expect(receiver.deliveries.count == 2)
                #expect(deliveries[0].id == deliveries[1].id)
                #expect(deliveries[0].body == deliveries[1].body)
            }
        }
    }

    @Test func reordersCompletedBeforeStart() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, uniquePrompt(), plan: FaultPlan(webhooks: .reorder), webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                await emulator.waitForWebhooks(predictionID: created.id)
                #expect(deliveries.map(\.status) == ["succeeded", "processing"])
                let verifier = WebhookVerifier(secret: try WebhookSecret(emulator.webhookSecret))
                for delivery in deliveries {
                    try verifier.verify(
                        id: delivery.id, timestamp: delivery.timestamp, signatureHeader: delivery.signature,
                        body: delivery.body, now: Date())
                }
            }
        }
    }

    @Test func dropsWebhooks() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let modes: [(FaultPlan.WebhookMode, [String])] = [
                    (.drop, []), (.dropStart, ["succeeded"]), (.dropCompleted, ["processing"]),
                ]
                for (mode, expected) in modes {
                    let before = receiver.deliveries.count
                    let created = try await create(
                        emulator, uniquePrompt(), plan: FaultPlan(webhooks: mode), webhook: receiver.hookURL)
                    _ = try await waitUntilTerminal(client(emulator), created.id)
                    await emulator.waitForWebhooks(predictionID: created.id)
                    let statuses = receiver.deliveries.dropFirst(before).map(\.status)
                    #expect(statuses == expected, "\(mode)")
                    let dropped = await emulator.deliveries().filter { $0.predictionID == created.id && $0.dropped }
                    #expect(dropped.count == 2 - expected.count, "\(mode)")
                }
            }
        }
    }

    @Test func delaysWebhooks() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let sent = ContinuousClock.now
                _ = try await create(
                    emulator, uniquePrompt(), plan: FaultPlan(webhookDelay: 0.6), webhook: receiver.hookURL,
                    filter: [.completed])
                let deliveries = try await receiver.waitFor(1)
                #expect(deliveries[0].arrivedAt - sent >= .milliseconds(600))
            }
        }
    }

    // MARK: - Output files

    func outputURL(_ emulator: RunningEmulator, files: FaultPlan.FileMode? = nil, delay: Double? = nil) async throws -> String {
        let plan = files.map { FaultPlan(files: $0, filesDelay: delay) }
        let created = try await create(emulator, uniquePrompt(), plan: plan)
        let done = try await waitUntilTerminal(client(emulator), created.id)
        return try #require(done.output.first).absoluteString
    }

    static let pngEnd: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    @Test func servesOutputsSlowly() async throws {
        try await withEmulator { emulator in
            let url = try await outputURL(emulator, files: .slow, delay: 1)
            let started = ContinuousClock.now
            let file = try await TestHTTP.get(url)
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            #expect(file.status == 200)
            #expect(isPNG(file.body))
            #expect(Array(file.body.suffix(8)) == Self.pngEnd)
        }
    }

    @Test func servesTruncatedOutputs() async throws {
        try await withEmulator { emulator in
            let normal = try await TestHTTP.get(try await outputURL(emulator))
            #expect(Array(normal.body.suffix(8)) == Self.pngEnd)
            let file = try await TestHTTP.get(try await outputURL(emulator, files: .truncated))
            #expect(file.status == 200)
            #expect(isPNG(file.body))
            #expect(Array(file.body.suffix(8)) != Self.pngEnd)
        }
    }

    @Test func servesANonImageAsAnImage() async throws {
        try await withEmulator { emulator in
            let file = try await TestHTTP.get(try await outputURL(emulator, files: .notImage))
            #expect(file.status == 200)
            #expect(file.headers.first(name: "Content-Type") == "image/png")
            #expect(throws: ImagingError.self) { try ImageProcessor.probe(file.body, maxPixels: 40_000_000) }
        }
    }

    @Test func servesMissingOutputs() async throws {
        try await withEmulator { emulator in
            let file = try await TestHTTP.get(try await outputURL(emulator, files: .missing))
            #expect(file.status == 404)
        }
    }

    /// Vapor asserts that every streamed body ends with `.end` or `.error`; a stream that
    /// stopped without either killed the whole process (this test's, before the fix).
    @Test func clientsThatLeaveMidDownloadEndTheStreamAndTheEmulatorCarriesOn() async throws {
        try await withEmulator { emulator in
            let url = try await outputURL(emulator, files: .slow, delay: 3)
            for _ in 0..<3 {
                let response = try await TestHTTP.client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                #expect(response.status == .ok)
                // Reads for 300 ms of the 3 s, then cancels the read, which closes the connection.
                let finished = await withTaskGroup(of: Bool.self) { group in
                    group.addTask { (try? await response.body.collect(upTo: 64 << 20)) != nil }
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(300))
                        return false
                    }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                #expect(!finished)
            }
            // The pauses of the abandoned streams run out, and the emulator still serves.
            try await Task.sleep(for: .milliseconds(400))
            let whole = try await TestHTTP.get(url)
            #expect(whole.status == 200)
            #expect(Array(whole.body.suffix(8)) == Self.pngEnd)
        }
    }

    // MARK: - Nothing a prediction's input says is a fault

    @Test func aPromptIsOnlyTheModelsText() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let prompt = "A room [emulator:fail=out of memory] [emulator:files=missing] [emulator:create_status=500]"
                    + " [emulator:webhooks=drop] [emulator:explode]"
                let created = try await create(emulator, prompt, webhook: receiver.hookURL)
                let done = try await waitUntilTerminal(client(emulator), created.id)
                #expect(done.status == .succeeded)
                #expect(done.error == nil)
                let file = try await TestHTTP.get(try #require(done.output.first).absoluteString)
                #expect(file.status == 200)
                #expect(isPNG(file.body))
                #expect(try await receiver.waitFor(2).map(\.status) == ["processing", "succeeded"])
                let url = "\(emulator.baseURL.absoluteString)/predictions/\(created.id)"
                let input = try jsonObject(try await TestHTTP.send(.GET, url, token: emulator.token).body)["input"]
                #expect(input?["prompt"]?.stringValue == prompt)
            }
        }
    }

    // MARK: - Create faults

    @Test func theAdminEndpointQueuesAPlanForTheNextCreate() async throws {
        try await withEmulator { emulator in
            let base = emulator.baseURL.absoluteString
            let plan = #"{"create":{"status":429,"retry_after":2,"times":1},"outcome":"fail","error":"queued failure"}"#
            let queued = try await TestHTTP.send(.POST, "\(base)/_emulator/faults", token: emulator.token, json: plan)
            #expect(queued.status == 201)

            let url = "\(base)/models/openai/gpt-image-1/predictions"
            let body = #"{"input":{"prompt":"\#(uniquePrompt())"}}"#
            let rejected = try await TestHTTP.send(.POST, url, token: emulator.token, json: body)
            #expect(rejected.status == 429)
            #expect(rejected.headers.first(name: "Retry-After") == "2")
            #expect(try jsonObject(rejected.body)["detail"] == "Emulated fault on create: HTTP 429")

            let accepted = try await TestHTTP.send(.POST, url, token: emulator.token, json: body)
            #expect(accepted.status == 201)
            let id = try #require(try jsonObject(accepted.body)["id"]?.stringValue)
            let done = try await waitUntilTerminal(client(emulator), id)
            #expect(done.status == .failed)
            #expect(done.error == "queued failure")

            // The plan was used up: the next create is healthy.
            let healthy = try await create(emulator, uniquePrompt())
            #expect(try await waitUntilTerminal(client(emulator), healthy.id).status == .succeeded)
        }
    }

    @Test func clearingFaultsEmptiesTheQueue() async throws {
        try await withEmulator { emulator in
            let base = emulator.baseURL.absoluteString
            _ = try await TestHTTP.send(
                .POST, "\(base)/_emulator/faults", token: emulator.token, json: #"{"create":{"status":500,"times":5}}"#)
            let cleared = try await TestHTTP.send(.DELETE, "\(base)/_emulator/faults", token: emulator.token)
            #expect(cleared.status == 204)
            let created = try await create(emulator, uniquePrompt())
            #expect(created.status == .starting)
        }
    }

    @Test func theAdminEndpointNeedsTheTokenAndAValidPlan() async throws {
        try await withEmulator { emulator in
            let url = "\(emulator.baseURL.absoluteString)/_emulator/faults"
            let anonymous = try await TestHTTP.send(.POST, url, token: nil, json: "{}")
            #expect(anonymous.status == 401)
            let invalid = try await TestHTTP.send(.POST, url, token: emulator.token, json: #"{"outcome":"explode"}"#)
            #expect(invalid.status == 400)
            // A typo is refused, not taken for a healthy prediction.
            let cases: [(String, String)] = [
                (#"{"files_dely":3}"#, "unknown field files_dely"),
                (#"{"create":{"statuss":500}}"#, "unknown field create.statuss"),
                (#"{"processing_delay":-1}"#, "processing_delay must be a number of seconds"),
                (#"{"get":{"status":42}}"#, "get.status must be an HTTP status"),
                (#"{"outputs":-2}"#, "outputs must be 0 or more"),
                ("[]", "must be a fault plan"),
            ]
            for (body, expected) in cases {
                let refused = try await TestHTTP.send(.POST, url, token: emulator.token, json: body)
                #expect(refused.status == 400, "\(body)")
                #expect(try jsonObject(refused.body)["detail"]?.stringValue?.contains(expected) == true, "\(body)")
            }
            #expect(try await TestHTTP.send(.POST, url, token: emulator.token, json: "{}").status == 201)
        }
    }

    @Test func cancelFaultsApplyToTheCancelEndpoint() async throws {
        try await withEmulator { emulator in
            let created = try await create(
                emulator, uniquePrompt(), plan: FaultPlan(cancel: .init(status: 503, times: 1), outcome: .hang))
            let url = "\(emulator.baseURL.absoluteString)/predictions/\(created.id)/cancel"
            #expect(try await TestHTTP.send(.POST, url, token: emulator.token).status == 503)
            #expect(try await TestHTTP.send(.POST, url, token: emulator.token).status == 200)
        }
    }

    @Test func aPlanRoundTripsThroughJSON() throws {
        let plan = FaultPlan(
            create: .init(status: 429, times: 2, retryAfter: "1"), outcome: .fail, error: "boom", outputs: 1,
            webhooks: .reorder, files: .slow, filesDelay: 2)
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(FaultPlan.self, from: data) == plan)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"retry_after\":\"1\"") && json.contains("\"files_delay\":2"))
        let numeric = try JSONDecoder().decode(FaultPlan.self, from: Data(#"{"create":{"status":429,"retry_after":3}}"#.utf8))
        #expect(numeric.create == .init(status: 429, times: 1, retryAfter: "3"))
    }
}
