import AsyncHTTPClient
import Foundation
import Logging
import Replicate
import ReplicateEmulator
import Testing
import TestSupport

@Suite("Replicate client against the emulator")
struct ClientTests {
    // MARK: - Success

    @Test func createsWithAModelAndPollsToSuccess() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            let created = try await client.createPrediction(
                model: "openai/gpt-image-1",
                input: ImageInput(prompt: uniquePrompt(), aspectRatio: "3:2", numberOfImages: 2))
            #expect(created.status == .starting)
            #expect(created.model == "openai/gpt-image-1")
            #expect(created.version?.count == 64)
            #expect(created.output.isEmpty)
            #expect(created.createdAt != nil)
            #expect(created.urls?.get?.absoluteString == "\(emulator.baseURL.absoluteString)/predictions/\(created.id)")
            #expect(events.events.first?.route == "/models/{owner}/{name}/predictions")
            #expect(events.outcomes.first == .status(201))

            let done = try await waitUntilTerminal(client, created.id)
            #expect(done.status == .succeeded)
            #expect(done.output.count == 2)
            #expect(done.startedAt != nil && done.completedAt != nil)
            #expect(done.input?["aspect_ratio"] == "3:2")
            let file = try await TestHTTP.get(done.output[0].absoluteString)
            #expect(file.status == 200)
            #expect(isPNG(file.body))
            #expect(time.sleeps.isEmpty)
        }
    }

    @Test func createsWithAVersion() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            let first = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            let version = try #require(first.version)
            let created = try await client.createPrediction(version: version, input: ImageInput(prompt: uniquePrompt()))
            #expect(created.status == .starting)
            #expect(created.model == "openai/gpt-image-1")
            #expect(created.version == version)
            #expect(events.events.last?.route == "/predictions")
            let done = try await waitUntilTerminal(client, created.id)
            #expect(done.status == .succeeded)
            #expect(done.output.count == 1)
        }
    }

    @Test func preferWaitReturnsTheFinishedPrediction() async throws {
        try await withEmulator(processingDelay: .milliseconds(200)) { emulator in
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog())
            let prediction = try await client.createPrediction(
                model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()), wait: 30)
            #expect(prediction.status == .succeeded)
            #expect(prediction.output.count == 1)
        }
    }

    @Test func cancelsARunningPrediction() async throws {
        try await withEmulator { emulator in
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog())
            await emulator.enqueueFault(FaultPlan(outcome: .hang))
            let created = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            let canceled = try await client.cancelPrediction(id: created.id)
            #expect(canceled.status == .canceled)
            #expect(canceled.completedAt != nil)
            #expect(try await client.getPrediction(id: created.id).status == .canceled)
        }
    }

    @Test func readsTheWebhookSecret() async throws {
        try await withEmulator { emulator in
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog())
            let key = try await client.webhookSecret()
            #expect(key == emulator.webhookSecret)
            #expect(key.hasPrefix("whsec_"))
            _ = try WebhookSecret(key)
        }
    }

    // MARK: - Retries

    @Test func retries429WithJitteredBackoff() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 3)))
            let created = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            #expect(created.status == .starting)
            #expect(events.outcomes == [.status(429), .status(429), .status(429), .status(201)])
            #expect(time.sleepSeconds == [0.1, 0.4, 1.6])
            #expect(events.events.map { $0.retryDelay.map { ($0.seconds * 1000).rounded() } } == [100, 400, 1600, nil])
        }
    }

    @Test func honoursRetryAfterOn429() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 2, retryAfter: "3")))
            _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            #expect(events.attempts == 3)
            #expect(time.sleepSeconds == [3, 3])
        }
    }

    @Test func capsRetryAfterAtTenSeconds() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 1, retryAfter: "120")))
            _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            #expect(events.attempts == 2)
            #expect(time.sleepSeconds == [10])
        }
    }

    @Test func givesUpAfterThreeRetries() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 9)))
            await #expect(throws: ReplicateError.http(status: 429, detail: "Emulated fault on create: HTTP 429")) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
            #expect(events.attempts == 4)
            #expect(time.sleepSeconds == [0.1, 0.4, 1.6])
            #expect(await emulator.predictionIDs().isEmpty)
        }
    }

    @Test func aCreateIsRetriedOn503() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 503, times: 2)))
            let created = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            #expect(events.outcomes == [.status(503), .status(503), .status(201)])
            #expect(time.sleepSeconds == [0.1, 0.4])
            #expect(await emulator.predictionIDs() == [created.id])
        }
    }

    @Test func aCreateIsNotRetriedOn500() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 500, times: 1)))
            await #expect(throws: ReplicateError.http(status: 500, detail: "Emulated fault on create: HTTP 500")) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
            #expect(events.attempts == 1)
            #expect(time.sleeps.isEmpty)
        }
    }

    @Test func aGetIsRetriedOn500() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(get: .init(status: 500, times: 2)))
            let created = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            let fetched = try await client.getPrediction(id: created.id)
            #expect(fetched.id == created.id)
            #expect(events.outcomes == [.status(201), .status(500), .status(500), .status(200)])
            #expect(time.sleepSeconds == [0.1, 0.4])
        }
    }

    @Test func a501IsNeverRetried() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: time, events: events)
            await emulator.enqueueFault(FaultPlan(get: .init(status: 501, times: 5)))
            let created = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            await #expect(throws: ReplicateError.http(status: 501, detail: "Emulated fault on get: HTTP 501")) {
                _ = try await client.getPrediction(id: created.id)
            }
            #expect(events.attempts == 2)
            #expect(time.sleeps.isEmpty)
        }
    }

    @Test func aRefusedConnectionIsRetriedEvenForACreate() async throws {
        let time = FakeTime(), events = EventLog()
        try await withRefusingPort { port in
            let client = makeClient(
                baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, token: "r8_test", time: time, events: events,
                requestTimeout: .milliseconds(300))
            await #expect(throws: ReplicateError.self) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: "x"))
            }
        }
        #expect(events.attempts == 4)
        #expect(time.sleepSeconds == [0.1, 0.4, 1.6])
        for event in events.events {
            guard case .failure(.transport(let reason)) = event.outcome else {
                Issue.record("expected a transport failure, got \(event.outcome)")
                continue
            }
            #expect(reason.contains("connect"))
        }
    }

    @Test func aCreateThatTimesOutAfterSendingIsNotRetried() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: time, events: events,
                requestTimeout: .milliseconds(1500))
            await emulator.enqueueFault(FaultPlan(create: .init(delay: 5)))
            await #expect(throws: ReplicateError.timeout) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
            #expect(events.attempts == 1)
            // The emulator made the prediction: a retry would have made a second one. In a
            // loaded parallel run the request can reach the emulator after the client gave up,
            // so wait for it to be made before counting.
            let deadline = ContinuousClock.now + .seconds(10)
            while await emulator.predictionIDs().isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await emulator.predictionIDs().count == 1)
        }
    }

    @Test func aGetThatTimesOutIsRetried() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: time, events: events,
                requestTimeout: .milliseconds(1500))
            await emulator.enqueueFault(FaultPlan(get: .init(delay: 5)))
            let created = try await makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog()
            ).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            let fetched = try await client.getPrediction(id: created.id)
            #expect(fetched.id == created.id)
            #expect(events.outcomes == [.failure(.timeout), .status(200)])
            #expect(time.sleepSeconds == [0.1])
        }
    }

    // MARK: - Deadline

    @Test func stopsAtTheTotalDeadlineInsteadOfWaiting() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            let client = makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: time, events: events,
                totalDeadline: .seconds(100), retry: RetryPolicy(maxRetryAfter: .seconds(120)))
            await emulator.enqueueFault(FaultPlan(create: .init(status: 429, times: 9, retryAfter: "60")))
            await #expect(throws: ReplicateError.deadlineExceeded) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
            // 60 s, then a second 60 s wait would end past the 100 s deadline. (The deadline
            // is on the fake clock, but it also caps each attempt's real timeout: long enough
            // here that a loaded machine's slow answer is not taken for the deadline.)
            #expect(events.attempts == 2)
            #expect(time.sleepSeconds == [60])
        }
    }

    @Test func backoffThatWouldPassTheDeadlineEndsTheCall() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog()
            // Backoff ceilings 20 s then 80 s: the second wait would end past the 50 s deadline.
            let client = makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: time, events: events,
                totalDeadline: .seconds(50), retry: RetryPolicy(base: .seconds(20), cap: .seconds(300)))
            await emulator.enqueueFault(FaultPlan(get: .init(status: 502, times: 9)))
            let created = try await makeClient(
                baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog()
            ).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            await #expect(throws: ReplicateError.deadlineExceeded) {
                _ = try await client.getPrediction(id: created.id)
            }
            #expect(events.outcomes == [.status(502), .status(502)])
            #expect(time.sleepSeconds == [20])
        }
    }

    // MARK: - Errors that are not retried

    @Test func aWrongTokenIs401WithDetailAndNeverLeaks() async throws {
        try await withEmulator { emulator in
            let time = FakeTime(), events = EventLog(), logs = LogCapture()
            let wrong = "r8_wrongTokenThatMustNeverAppearAnywhere1"
            let client = makeClient(
                baseURL: emulator.baseURL, token: wrong, time: time, events: events, logger: logs.logger())
            do {
                _ = try await client.getPrediction(id: "abc")
                Issue.record("expected 401")
            } catch let error as ReplicateError {
                #expect(error == .http(status: 401, detail: "You did not pass a valid authentication token"))
                #expect(!error.isRetryable)
                #expect(!"\(error)".contains(wrong))
            }
            #expect(events.attempts == 1)
            #expect(!logs.text.contains(wrong))
            #expect(!logs.text.isEmpty)
        }
    }

    @Test func anUnknownPredictionIs404() async throws {
        try await withEmulator { emulator in
            let events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: events)
            await #expect(throws: ReplicateError.http(status: 404, detail: "The requested resource could not be found")) {
                _ = try await client.getPrediction(id: "doesnotexist")
            }
            #expect(events.attempts == 1)
        }
    }

    @Test func invalidInputIs422WithTheDetail() async throws {
        try await withEmulator { emulator in
            let events = EventLog()
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: events)
            struct NoPrompt: Encodable, Sendable { var aspect_ratio = "4:3" }
            do {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: NoPrompt())
                Issue.record("expected 422")
            } catch let error as ReplicateError {
                #expect(error.status == 422)
                guard case .http(_, let detail) = error else { return }
                #expect(detail.contains("prompt is required"))
                #expect(detail.contains(#"aspect_ratio must be one of the following: "1:1", "3:2", "2:3""#))
            }
            #expect(events.attempts == 1)
        }
    }

    @Test func rejectsAMalformedModelNameWithoutCalling() async throws {
        let events = EventLog()
        let client = makeClient(
            baseURL: URL(string: "http://127.0.0.1:9/v1")!, token: "t", time: FakeTime(), events: events)
        for model in ["gpt-image-1", "openai/", "a/b/c", "openai/gpt:1"] {
            await #expect(throws: ReplicateError.invalidRequest("model must be written owner/name")) {
                _ = try await client.createPrediction(model: model, input: ImageInput(prompt: "x"))
            }
        }
        #expect(events.attempts == 0)
    }

    // MARK: - Error bodies

    @Test func usesTheTitleWhenThereIsNoDetail() async throws {
        try await withEmulator { emulator in
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog())
            await emulator.enqueueFault(FaultPlan(create: .init(status: 400, body: #"{"title":"Teapot trouble","status":400}"#)))
            await #expect(throws: ReplicateError.http(status: 400, detail: "Teapot trouble")) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
        }
    }

    @Test func usesTheRawBodyWhenItIsNotAProblem() async throws {
        try await withEmulator { emulator in
            let client = makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog())
            await emulator.enqueueFault(FaultPlan(create: .init(status: 400, body: "  upstream exploded\n")))
            await #expect(throws: ReplicateError.http(status: 400, detail: "upstream exploded")) {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
            }
            // The first plan stays queued until a create goes through; start afresh.
            await emulator.clearFaults()
            let long = String(repeating: "x", count: 2000)
            await emulator.enqueueFault(FaultPlan(create: .init(status: 400, body: long)))
            do {
                _ = try await client.createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
                Issue.record("expected 400")
            } catch let error as ReplicateError {
                guard case .http(400, let detail) = error else { Issue.record("\(error)"); return }
                #expect(detail.count == 501)
            }
        }
    }

    @Test func aTokenEchoedByTheServerIsRedacted() async throws {
        try await withReceiver { receiver in
            let token = "r8_secretTokenEchoedBackByAServer000000"
            let logs = LogCapture()
            let client = makeClient(
                baseURL: URL(string: "\(receiver.baseURL)/echo/v1")!, token: token, time: FakeTime(), events: EventLog(),
                logger: logs.logger())
            do {
                _ = try await client.getPrediction(id: "p1")
                Issue.record("expected 400")
            } catch let error as ReplicateError {
                #expect(error == .http(status: 400, detail: "rejected credentials: Bearer <redacted>"))
                #expect(!"\(error)".contains(token))
                #expect(!String(reflecting: error).contains(token))
            }
            #expect(!logs.text.contains(token))
        }
    }

    @Test func theConfigurationNeverPrintsTheToken() {
        let token = "r8_neverPrintMe0000000000000000000000000"
        let configuration = ReplicateClient.Configuration(token: token)
        let client = ReplicateClient(configuration: configuration, httpClient: TestHTTP.client, logger: Logger(label: "t"))
        var dumped = ""
        dump(configuration, to: &dumped)
        var dumpedClient = ""
        dump(client, to: &dumpedClient)
        for text in ["\(configuration)", String(reflecting: configuration), dumped, "\(client)", dumpedClient] {
            #expect(!text.contains(token), "\(text)")
        }
        #expect("\(configuration)".contains("api.replicate.com/v1"))
    }
}
