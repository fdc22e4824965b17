import Foundation
import Replicate
import ReplicateEmulator
import Testing

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
                _ = try await makeClient(
                    baseURL: emulator.baseURL, token: emulator.token, time: FakeTime(), events: EventLog()
                ).createPrediction(
                    model: "openai/gpt-image-1", input: ImageInput(prompt: uniquePrompt() + " [emulator:webhooks=duplicate]"),
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
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var interpreter: String {
        ProcessInfo.processInfo.environment["INTERIOR_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    }

    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")

    static func run(script: String, environment: [String: String] = [:], stdin: Data? = nil) async throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replicate-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        let inURL = directory.appendingPathComponent("stdin")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data())

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [interpreter, scripts.appendingPathComponent(script).path]
        var env = ProcessInfo.processInfo.environment
        env["REPLICATE_POLL_INTERVAL"] = "0.05"
        env["REPLICATE_API_TOKEN"] = nil
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = try FileHandle(forWritingTo: outURL)
        let errors = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? output.close()
            try? errors.close()
            try? input.close()
        }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input

        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: Failure(description: "could not start \(interpreter): \(error)"))
            }
        }
        let stdout = try Data(contentsOf: outURL)
        guard status == 0 else {
            let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
            throw Failure(description: "\(script) exited with \(status) using \(interpreter):\n\(stderr)")
        }
        return stdout
    }
}
