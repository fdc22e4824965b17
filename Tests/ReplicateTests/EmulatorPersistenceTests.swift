import Foundation
import Replicate
@testable import ReplicateEmulator
import Testing
import TestSupport

/// An emulator with a data directory keeps its predictions across a restart, as Replicate
/// does: running ones carry on, finished ones are still served until their outputs expire, and
/// a damaged store is set aside instead of stopping it. (A real `kill -9` of `interior serve`
/// is in the server's ServeProcessTests.)
@Suite("Emulator persistence")
struct EmulatorPersistenceTests {
    func client(_ emulator: RunningEmulator) -> ReplicateClient {
        makeClient(baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog(), retry: .none)
    }

    @Test func aRunningPredictionFinishesAfterARestartAndAFinishedOneIsStillServed() async throws {
        let directory = try TemporaryDirectory()
        try await withReceiver { receiver in
            // The first run takes 30 s to generate: it is stopped long before.
            let first = try await startEmulator(processingDelay: .seconds(30), dataDirectory: directory.url)
            await first.enqueueFault(FaultPlan(processingDelay: 0))
            let finished = try await client(first).createPrediction(
                model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt(), numberOfImages: 2))
            let done = try await waitUntilTerminal(client(first), finished.id)
            #expect(done.status == .succeeded)
            let before = try await TestHTTP.get(try #require(done.output.last).absoluteString)

            let running = try await client(first).createPrediction(
                model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()),
                webhook: receiver.hookURL, webhookEventsFilter: [.start, .completed])
            #expect(try await receiver.waitFor(1).map(\.status) == ["processing"])
            await first.shutdown()

            let second = try await startEmulator(dataDirectory: directory.url)
            defer { Task { await second.shutdown() } }
            #expect(second.port == first.port, "listens where it did, so the URLs it gave out still work")
            #expect(second.webhookSecret != first.webhookSecret)

            let resumed = try await waitUntilTerminal(client(second), running.id)
            #expect(resumed.status == .succeeded)
            #expect(resumed.logs?.contains("restarted, resuming") == true)
            let output = try await TestHTTP.get(try #require(resumed.output.first).absoluteString)
            #expect(output.status == 200)
            #expect(isPNG(output.body))
            // Its completed webhook comes from the new run, signed with the new run's secret.
            let deliveries = try await receiver.waitFor(2)
            #expect(deliveries.map(\.status) == ["processing", "succeeded"])
            let last = try #require(deliveries.last)
            try WebhookVerifier(secret: try WebhookSecret(second.webhookSecret)).verify(
                id: last.id, timestamp: last.timestamp, signatureHeader: last.signature, body: last.body, now: Date())

            let again = try await client(second).getPrediction(id: finished.id)
            #expect(again.status == .succeeded)
            #expect(again.output == done.output)
            let after = try await TestHTTP.get(try #require(again.output.last).absoluteString)
            #expect(after.body == before.body)
            #expect(await second.predictionIDs() == [running.id, finished.id])
            await second.shutdown()
        }
    }

    @Test func aCompletedWebhookStillOwedWhenStoppedIsSentAfterTheRestart() async throws {
        let directory = try TemporaryDirectory()
        try await withReceiver { receiver in
            // The first delivery is refused and the retry would come 30 s later: stopped before.
            receiver.script([500])
            let first = try await startEmulator(
                webhookRetry: .init(maxAttempts: 3, initialDelay: .seconds(30), multiplier: 1), dataDirectory: directory.url)
            let created = try await client(first).createPrediction(
                model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()),
                webhook: receiver.hookURL, webhookEventsFilter: [.completed])
            try await receiver.waitFor(1)
            await first.shutdown()

            let second = try await startEmulator(dataDirectory: directory.url)
            let deliveries = try await receiver.waitFor(2)
            #expect(deliveries.map(\.status) == ["succeeded", "succeeded"])
            await second.waitForWebhooks(predictionID: created.id)
            #expect(await second.deliveries().map(\.status) == [200])
            await second.shutdown()

            // Delivered now: a third run owes nothing.
            let third = try await startEmulator(dataDirectory: directory.url)
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.deliveries.count == 2)
            #expect(await third.deliveries().isEmpty)
            await third.shutdown()
        }
    }

    @Test func outputsExpireAtTheirTTLAcrossARestart() async throws {
        let directory = try TemporaryDirectory()
        let time = FakeTime(start: Date())
        let first = try await startEmulator(outputTTL: .seconds(3600), now: { time.now() }, dataDirectory: directory.url)
        let created = try await client(first).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
        let done = try await waitUntilTerminal(client(first), created.id)
        let url = try #require(done.output.first).absoluteString
        await first.shutdown()
        #expect(!directory.files().filter { $0.hasPrefix("files/\(created.id)/") }.isEmpty)

        time.advance(3601)
        let second = try await startEmulator(outputTTL: .seconds(3600), now: { time.now() }, dataDirectory: directory.url)
        let expired = try await client(second).getPrediction(id: created.id)
        #expect(expired.dataRemoved == true)
        #expect(expired.output.isEmpty)
        #expect(try await TestHTTP.get(url).status == 404)
        #expect(directory.files().filter { $0.hasPrefix("files/\(created.id)/") }.isEmpty)
        await second.shutdown()

        // A day later the record itself is gone.
        time.advance(24 * 3600)
        let third = try await startEmulator(now: { time.now() }, dataDirectory: directory.url)
        #expect(await third.predictionIDs().isEmpty)
        #expect(!directory.files().contains("predictions/\(created.id).json"))
        await third.shutdown()
    }

    @Test func damagedRecordsAreSetAsideAndTheRestIsServed() async throws {
        let directory = try TemporaryDirectory()
        let first = try await startEmulator(dataDirectory: directory.url)
        let created = try await client(first).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
        _ = try await waitUntilTerminal(client(first), created.id)
        await first.shutdown()

        let predictions = directory.url.appendingPathComponent("predictions")
        // Garbage, half a record, a record under another's name, and what a kill mid-write leaves.
        try Data("not json".utf8).write(to: predictions.appendingPathComponent("aaaaaaaaaaaaaaaaaaaaaaaaaa.json"))
        let whole = try Data(contentsOf: predictions.appendingPathComponent("\(created.id).json"))
        try whole.prefix(whole.count / 2).write(to: predictions.appendingPathComponent("bbbbbbbbbbbbbbbbbbbbbbbbbb.json"))
        try whole.write(to: predictions.appendingPathComponent("cccccccccccccccccccccccccc.json"))
        try whole.prefix(10).write(to: predictions.appendingPathComponent(".\(created.id).json.\(UUID().uuidString)"))

        let logs = LogCapture()
        let second = try await startEmulator(dataDirectory: directory.url, logger: logs.logger("emulator"))
        #expect(await second.predictionIDs() == [created.id])
        #expect(try await client(second).getPrediction(id: created.id).status == .succeeded)
        let files = directory.files()
        #expect(files.filter { $0.hasPrefix("corrupt/") }.count == 3, "\(files)")
        #expect(!files.contains { $0.hasPrefix("predictions/.") })
        #expect(logs.text.components(separatedBy: "could not be read; it was set aside").count == 4)
        // New predictions are kept as before.
        let next = try await client(second).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
        _ = try await waitUntilTerminal(client(second), next.id)
        #expect(directory.files().contains("predictions/\(next.id).json"))
        await second.shutdown()
    }

    @Test func anUnusableStoreIsSetAsideAndAFreshOneStarted() async throws {
        let parent = try TemporaryDirectory()
        let store = parent.url.appendingPathComponent("emulator")
        // A file where the directory should be.
        try Data("in the way".utf8).write(to: store)
        let logs = LogCapture()
        let emulator = try await startEmulator(dataDirectory: store, logger: logs.logger("emulator"))
        let created = try await client(emulator).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
        _ = try await waitUntilTerminal(client(emulator), created.id)
        await emulator.shutdown()
        let files = parent.files()
        #expect(files.contains { $0.hasPrefix("emulator.unusable-") }, "\(files)")
        #expect(files.contains("emulator/predictions/\(created.id).json"))
        #expect(logs.text.contains("it was set aside and a new one started"))
    }

    @Test func twoEmulatorsNeverShareAStore() async throws {
        let directory = try TemporaryDirectory()
        let logs = LogCapture()
        let first = try await startEmulator(dataDirectory: directory.url)
        let second = try await startEmulator(dataDirectory: directory.url, logger: logs.logger("emulator"))
        let created = try await client(second).createPrediction(model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()))
        _ = try await waitUntilTerminal(client(second), created.id)
        #expect(logs.text.contains("another emulator is using this store"))
        #expect(!directory.files().contains("predictions/\(created.id).json"))
        let control = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.url.appendingPathComponent("control.json")))
        #expect((control as? [String: Any])?["token"] as? String == first.token)
        await second.shutdown()
        await first.shutdown()
    }

    @Test func theControlFileNamesTheEmulatorForItsOperatorOnly() async throws {
        let directory = try TemporaryDirectory()
        let emulator = try await startEmulator(dataDirectory: directory.url)
        let file = directory.url.appendingPathComponent("control.json")
        let control = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect(control?["base_url"] as? String == emulator.baseURL.absoluteString)
        #expect(control?["token"] as? String == emulator.token)
        #expect(control?["port"] as? Int == emulator.port)
        let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        await emulator.shutdown()
    }
}
