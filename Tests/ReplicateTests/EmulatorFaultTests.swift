import Foundation
import Imaging
import Replicate
@testable import ReplicateEmulator
import Testing

/// Every fault the emulator can inject, from prompt markers and from the admin endpoint.
@Suite("Emulator faults")
struct EmulatorFaultTests {
    func client(_ emulator: RunningEmulator) -> ReplicateClient {
        makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog(), retry: .none)
    }

    func create(
        _ emulator: RunningEmulator, _ prompt: String, count: Int = 1, webhook: URL? = nil,
        filter: [WebhookEvent]? = [.start, .completed]
    ) async throws -> Prediction {
        try await client(emulator).createPrediction(
            model: "openai/gpt-image-1", input: ImageInput(prompt: prompt, numberOfImages: count),
            webhook: webhook, webhookEventsFilter: webhook == nil ? nil : filter)
    }

    // MARK: - How predictions end

    @Test func failsThePredictionWithTheGivenError() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(
                    emulator, uniquePrompt() + " [emulator:fail=CUDA out of memory]", webhook: receiver.hookURL)
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
            let created = try await create(emulator, uniquePrompt() + " [emulator:outputs=1]", count: 3)
            let done = try await waitUntilTerminal(client(emulator), created.id)
            #expect(done.status == .succeeded)
            #expect(done.output.count == 1)
            let none = try await create(emulator, uniquePrompt() + " [emulator:outputs=0]", count: 2)
            let empty = try await waitUntilTerminal(client(emulator), none.id)
            #expect(empty.status == .succeeded)
            #expect(empty.output.isEmpty)
        }
    }

    @Test func cancelsThePredictionItself() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                let created = try await create(emulator, uniquePrompt() + " [emulator:cancel]", webhook: receiver.hookURL)
                let deliveries = try await receiver.waitFor(2)
                #expect(deliveries.map(\.status) == ["processing", "canceled"])
                #expect(try await client(emulator).getPrediction(id: created.id).status == .canceled)
            }
        }
    }

    @Test func hangsUntilCancelled() async throws {
        try await withEmulator { emulator in
            let created = try await create(emulator, uniquePrompt() + " [emulator:hang]")
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
            let created = try await create(emulator, uniquePrompt() + " [emulator:start_delay=3]")
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
                    emulator, uniquePrompt() + " [emulator:webhooks=duplicate]", webhook: receiver.hookURL,
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
                    emulator, uniquePrompt() + " [emulator:webhooks=reorder]", webhook: receiver.hookURL)
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
                for (mode, expected) in [("drop", [String]()), ("drop_start", ["succeeded"]), ("drop_completed", ["processing"])] {
                    let before = receiver.deliveries.count
                    let created = try await create(
                        emulator, uniquePrompt() + " [emulator:webhooks=\(mode)]", webhook: receiver.hookURL)
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
                    emulator, uniquePrompt() + " [emulator:webhook_delay=0.6]", webhook: receiver.hookURL,
                    filter: [.completed])
                let deliveries = try await receiver.waitFor(1)
                #expect(deliveries[0].arrivedAt - sent >= .milliseconds(600))
            }
        }
    }

    // MARK: - Output files

    func outputURL(_ emulator: RunningEmulator, marker: String) async throws -> String {
        let created = try await create(emulator, uniquePrompt() + " " + marker)
        let done = try await waitUntilTerminal(client(emulator), created.id)
        return try #require(done.output.first).absoluteString
    }

    static let pngEnd: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    @Test func servesOutputsSlowly() async throws {
        try await withEmulator { emulator in
            let url = try await outputURL(emulator, marker: "[emulator:files=slow] [emulator:files_delay=1]")
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
            let normal = try await TestHTTP.get(try await outputURL(emulator, marker: ""))
            #expect(Array(normal.body.suffix(8)) == Self.pngEnd)
            let file = try await TestHTTP.get(try await outputURL(emulator, marker: "[emulator:files=truncated]"))
            #expect(file.status == 200)
            #expect(isPNG(file.body))
            #expect(Array(file.body.suffix(8)) != Self.pngEnd)
        }
    }

    @Test func servesANonImageAsAnImage() async throws {
        try await withEmulator { emulator in
            let file = try await TestHTTP.get(try await outputURL(emulator, marker: "[emulator:files=not_image]"))
            #expect(file.status == 200)
            #expect(file.headers.first(name: "Content-Type") == "image/png")
            #expect(throws: ImagingError.self) { try ImageProcessor.probe(file.body, maxPixels: 40_000_000) }
        }
    }

    @Test func servesMissingOutputs() async throws {
        try await withEmulator { emulator in
            let file = try await TestHTTP.get(try await outputURL(emulator, marker: "[emulator:files=missing]"))
            #expect(file.status == 404)
        }
    }

    // MARK: - Create faults

    @Test func promptMarkerRejectionsAreCountedPerPrompt() async throws {
        try await withEmulator { emulator in
            let url = "\(emulator.baseURL.absoluteString)/models/openai/gpt-image-1/predictions"
            let prompt = uniquePrompt() + " [emulator:create_status=500] [emulator:create_times=2]"
            let body = #"{"input":{"prompt":"\#(prompt)"}}"#
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(try await TestHTTP.send(.POST, url, token: emulator.token, json: body).status)
            }
            #expect(statuses == [500, 500, 201])
        }
    }

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
        }
    }

    @Test func cancelFaultsApplyToTheCancelEndpoint() async throws {
        try await withEmulator { emulator in
            let created = try await create(
                emulator, uniquePrompt() + " [emulator:hang] [emulator:cancel_status=503] [emulator:cancel_times=1]")
            let url = "\(emulator.baseURL.absoluteString)/predictions/\(created.id)/cancel"
            #expect(try await TestHTTP.send(.POST, url, token: emulator.token).status == 503)
            #expect(try await TestHTTP.send(.POST, url, token: emulator.token).status == 200)
        }
    }

    @Test func markersAreParsedIntoAPlanAndStrippedFromThePrompt() throws {
        let (plan, clean) = try FaultPlan.parse(prompt:
            "A room [emulator:fail=out of memory]  in Japandi [emulator:outputs=1][emulator:create_status=429] "
            + "[emulator:create_times=2] [emulator:create_retry_after=1] [emulator:webhooks=reorder] "
            + "[emulator:files=slow] [emulator:files_delay=2.5] [emulator:get_delay=0.5]")
        #expect(clean == "A room in Japandi")
        #expect(plan == FaultPlan(
            create: .init(status: 429, times: 2, retryAfter: "1"), get: .init(delay: 0.5), outcome: .fail,
            error: "out of memory", outputs: 1, webhooks: .reorder, files: .slow, filesDelay: 2.5))
        #expect(throws: MarkerError.self) { try FaultPlan.parse(prompt: "[emulator:outputs=many]") }
        #expect(throws: MarkerError.self) { try FaultPlan.parse(prompt: "[emulator:webhooks=sideways]") }
        #expect(throws: MarkerError.self) { try FaultPlan.parse(prompt: "[emulator:fail=unterminated") }
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
