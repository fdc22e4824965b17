import Foundation
import Replicate
import ReplicateEmulator
import Testing
import TestSupport

/// Replicate's own Python client and the Standard Webhooks library, run against the emulator:
/// the emulator is only as good as the real clients' agreement with it.
@Suite("Emulator with Replicate's official tools")
struct OfficialClientTests {
    @Test func replicatesPythonClientCreatesWaitsAndDownloads() async throws {
        try await withEmulator { emulator in
            let result = try await Python.run(
                script: "official_client.py",
                environment: ["EMULATOR_ROOT": emulator.rootURL.absoluteString, "EMULATOR_TOKEN": emulator.token])
            let report = try jsonObject(result)
            #expect(report["created_status"] == "starting")
            #expect(report["status"] == "succeeded")
            #expect(report["model"] == "openai/gpt-image-1")
            let outputs = report["outputs"]?.arrayValue ?? []
            #expect(outputs.count == 2)
            #expect(outputs.allSatisfy { $0.stringValue?.hasPrefix(emulator.rootURL.absoluteString + "/files/") == true })
            #expect(report["downloaded_is_png"] == true)
            #expect((report["downloaded_bytes"]?.intValue ?? 0) > 1000)
            #expect(report["metrics"]?["image_count"] == 2)
            #expect(report["version_status"] == "succeeded")
            #expect(report["run_outputs"]?.arrayValue?.count == 1)
            #expect(report["canceled_status"] == "canceled")
            #expect(report["failed_status"] == "failed")
            #expect(report["failed_error"] == "out of memory")
            #expect(report["invalid_status"] == 422)
            #expect(report["invalid_detail"]?.stringValue?.contains("prompt is required") == true)
            #expect(report["unauthorised_status"] == 401)
        }
    }

    @Test func standardWebhooksVerifiesTheEmulatorsSignaturesAndOursVerifiesIts() async throws {
        try await withReceiver { receiver in
            try await withEmulator { emulator in
                await emulator.enqueueFault(FaultPlan(webhooks: .duplicate))
                _ = try await makeClient(
                    baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog()
                ).createPrediction(
                    model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt()),
                    webhook: receiver.hookURL, webhookEventsFilter: [.start, .completed])
                let deliveries = try await receiver.waitFor(4)
                let request: JSONValue = .object([
                    "secret": .string(emulator.webhookSecret),
                    "deliveries": .array(deliveries.map {
                        .object([
                            "id": .string($0.id ?? ""), "timestamp": .string($0.timestamp ?? ""),
                            "signature": .string($0.signature ?? ""), "body_b64": .string($0.body.base64EncodedString()),
                        ])
                    }),
                ])
                let output = try await Python.run(
                    script: "standard_webhooks.py", stdin: try JSONEncoder().encode(request))
                let report = try jsonObject(output)
                #expect(report["verified"] == ["processing", "processing", "succeeded", "succeeded"])
                #expect(report["tampered_rejected"] == [true, true, true, true])

                let signed = try #require(report["signed"])
                try WebhookVerifier(secret: try WebhookSecret(emulator.webhookSecret)).verify(
                    id: signed["id"]?.stringValue, timestamp: signed["timestamp"]?.stringValue,
                    signatureHeader: signed["signature"]?.stringValue,
                    body: Data((signed["body"]?.stringValue ?? "").utf8), now: Date())
            }
        }
    }
}

/// Runs the test scripts with the project's Python (`INTERIOR_TEST_PYTHON`, else `python3`).
/// A missing interpreter or module fails the test: it never skips.
enum Python {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")

    static func run(script: String, environment: [String: String] = [:], stdin: Data? = nil) async throws -> Data {
        var environment = environment
        environment["REPLICATE_POLL_INTERVAL"] = environment["REPLICATE_POLL_INTERVAL"] ?? "0.05"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return try await TestPython.run(file: scripts.appendingPathComponent(script).path, input: stdin ?? Data(),
                                        environment: environment, unset: environment["REPLICATE_API_TOKEN"] == nil ? ["REPLICATE_API_TOKEN"] : [])
    }
}
