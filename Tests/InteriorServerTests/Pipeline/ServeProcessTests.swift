import AsyncHTTPClient
import Foundation
@testable import InteriorServer
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

extension PipelineSuite {
    /// The real `interior serve` on `make run`'s defaults (SQLite or the test run's PostgreSQL,
    /// local storage, the embedded emulator), driven over HTTP from outside: what a user and an
    /// operator reach, and what survives a `kill -9`.
    @Suite("interior serve with the embedded emulator")
    struct ServeProcessTests {
        @Test("a prompt's [emulator:…] text is only text: it injects no fault, and the job succeeds at once")
        func promptMarkersInjectNothing() async throws {
            try await EmulatedServe.with { serve in
                let prompt = "A sunroom with terracotta tiles [emulator:files=slow] [emulator:files_delay=20]"
                let job = try await serve.submit(prompt: prompt, variants: 1)
                let predictionId = try #require(job["predictionId"] as? String)

                // Served whole and at once: a slow file would still be trickling out after 3 s.
                let file = try await serve.fetchOutput(predictionId, timeout: .seconds(3))
                #expect(file == .complete, "\(serve.log())")
                // (Had it been cut short, the emulator's next write would fail within a pause.)
                try await Task.sleep(for: .seconds(2))
                #expect(serve.isRunning, "the server died:\n\(serve.log())")

                let done = try await serve.waitUntilFinished(try #require(job["id"] as? String))
                #expect(done["status"] as? String == "succeeded")
                // The model was given the text as typed.
                let prediction = try await serve.emulator(.GET, "/predictions/\(predictionId)")
                let input = try #require(prediction.json["input"] as? [String: Any])
                #expect((input["prompt"] as? String)?.contains("[emulator:files=slow] [emulator:files_delay=20]") == true)
            }
        }

        @Test("clients that leave mid-download of a slow output do not stop the server; the job still succeeds")
        func clientsLeavingMidDownload() async throws {
            try await EmulatedServe.with { serve in
                // The operator, not the user, asks for slow files, through the control endpoint.
                let queued = try await serve.emulator(.POST, "/_emulator/faults", json: #"{"files":"slow","files_delay":6}"#)
                #expect(queued.status == .created)
                let job = try await serve.submit(prompt: "A slow-to-download butler's pantry", variants: 1)
                let predictionId = try #require(job["predictionId"] as? String)
                for _ in 0..<3 {
                    let file = try await serve.fetchOutput(predictionId, timeout: .milliseconds(800))
                    #expect(file == .cutShort)
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(serve.isRunning, "the server died:\n\(serve.log())")
                let health = try await serve.get("/api/v1/health")
                #expect(health.status == .ok)
                let done = try await serve.waitUntilFinished(try #require(job["id"] as? String), timeout: .seconds(40))
                #expect(done["status"] as? String == "succeeded")
                #expect(!serve.log().contains("deinitialized before"))
            }
        }

        @Test("kill -9 mid-job, restart on the same data directory: the job finishes with its images, by webhook")
        func restartMidJob() async throws {
            try await EmulatedServe.with { serve in
                // Long enough to be killed mid-way through generating.
                let (id, predictionId) = try await serve.generating(
                    plan: #"{"processing_delay":4}"#, prompt: "A Queenslander verandah at dusk", variants: 2)
                serve.kill()
                #expect(!serve.isRunning)

                let restarted = ContinuousClock.now
                try await serve.restart()
                let serving = ContinuousClock.now - restarted
                let done = try await serve.waitUntilFinished(id, timeout: .seconds(60))
                let settled = ContinuousClock.now - restarted
                #expect(done["status"] as? String == "succeeded", "\(done)\n\(serve.log())")
                #expect((done["variants"] as? [[String: Any]])?.count == 2)
                #expect(try await serve.get("/api/v1/usage").data["used"] as? Int == 1)
                // The restarted emulator finished the prediction and told the server by webhook.
                let deliveries = try #require(try await serve.emulator(.GET, "/_emulator/deliveries").json["deliveries"] as? [[String: Any]])
                #expect(deliveries.contains {
                    $0["prediction_id"] as? String == predictionId && $0["event"] as? String == "completed" && $0["status"] as? Int == 200
                }, "\(deliveries)")
                #expect(settled < .seconds(30))
                print("measured: kill -9 mid-job — serving again \(serving), job succeeded \(settled) after the restart began")
            }
        }

        @Test("interior sweep beside a running serve asks serve's emulator, not a second one that knows nothing")
        func sweepSharesTheRunningEmulator() async throws {
            try await EmulatedServe.with { serve in
                let (id, _) = try await serve.generating(plan: #"{"outcome":"hang"}"#, prompt: "A study that never ends", variants: 1)
                let sweep = try await serve.command(["sweep"])
                #expect(sweep.status == 0, "\(sweep.output)")
                let control = try serve.emulatorControl()
                #expect(sweep.output.contains("using the Replicate EMULATOR already running at \(control.baseURL)"), "\(sweep.output)")
                #expect(!sweep.output.contains("Replicate EMULATOR listening"), "no second emulator")
                #expect(sweep.output.contains("polled 0 job(s), timed out 0"))
                #expect(try await serve.get("/api/v1/generations/\(id)").data["status"] as? String == "processing")
            }
        }

        @Test("kill -9, restart without the emulator's store: the job ends PREDICTION_LOST and refunded within a few polls")
        func restartWithoutTheEmulatorsStore() async throws {
            try await EmulatedServe.with { serve in
                let (id, _) = try await serve.generating(plan: #"{"outcome":"hang"}"#, prompt: "A laundry nobody remembers", variants: 1)
                serve.kill()
                // What every restart was like before the emulator kept its predictions.
                try FileManager.default.removeItem(at: serve.dataDirectory.appendingPathComponent("emulator"))

                let restarted = ContinuousClock.now
                try await serve.restart()
                let done = try await serve.waitUntilFinished(id, timeout: .seconds(60))
                let settled = ContinuousClock.now - restarted
                #expect(done["status"] as? String == "failed")
                #expect((done["error"] as? [String: Any])?["code"] as? String == "PREDICTION_LOST")
                #expect(try await serve.get("/api/v1/usage").data["used"] as? Int == 0)
                #expect(settled < .seconds(30), "three status polls 5 s apart, not the 10-minute cutoff")
                print("measured: kill -9 with the emulator's store lost — job failed and refunded \(settled) after the restart began")
            }
        }
    }
}

/// `interior serve` in a directory of its own, on a port of its own, with the embedded
/// emulator (no Replicate token). `kill()` is `kill -9`; `restart()` starts it again on the
/// same directory, database and port.
final class EmulatedServe: @unchecked Sendable {
    let directory: URL
    let port: Int
    private let environment: [String: String]
    private var process: BackgroundProcess
    private var logs: [String] = []
    /// A user of its own, so quotas never collide between tests.
    let token: String

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var isRunning: Bool { process.isRunning }
    var dataDirectory: URL { directory.appendingPathComponent("data", isDirectory: true) }

    private init(directory: URL, port: Int, environment: [String: String], process: BackgroundProcess, token: String) {
        self.directory = directory
        self.port = port
        self.environment = environment
        self.process = process
        self.token = token
    }

    /// Runs `body` with a started server, stopped (and its database dropped) afterwards.
    static func with(_ body: (EmulatedServe) async throws -> Void) async throws {
        let interior = try ServeProcess.executable().path
        try await withTemporaryDirectory { directory in
            try await TestDatabase.withFresh(in: directory) { databaseURL in
                let serve = try await start(interior, directory: directory, databaseURL: databaseURL)
                defer { serve.process.stop() }
                try await body(serve)
            }
        }
    }

    private static func start(_ interior: String, directory: URL, databaseURL: String) async throws -> EmulatedServe {
        for attempt in 1...3 {
            let port = try await freePort()
            var environment = [
                "ENV": "development", "HOST": "127.0.0.1", "PORT": String(port), "PUBLIC_BASE_URL": "http://127.0.0.1:\(port)",
                "DATABASE_URL": databaseURL, "STORAGE_URL": "file://\(directory.path)/storage",
                "STORAGE_SIGNING_SECRET": "serve-process-signing-secret-0123456789abcdef",
                "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret, "REPLICATE_MODEL": "google/nano-banana", "LOG_LEVEL": "info",
            ]
            // Whatever the test run's environment holds, the embedded defaults are what is tested.
            for key in ["REPLICATE_API_TOKEN", "REPLICATE_WEBHOOK_SECRET", "REPLICATE_BASE_URL", "AUTH_JWKS_URL", "AUTH_MODE",
                        "PUBLIC_ASSET_BASE_URL", "INTERIOR_CONFIG", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "METRICS_TOKEN",
                        "REPLICATE_OUTPUT_HOSTS", "LOG_FORMAT"] {
                environment[key] = ""
            }
            let process = try BackgroundProcess(name: "interior-serve", [interior, "serve"], environment: environment,
                                                currentDirectory: directory)
            do {
                try await process.waitUntilServing("http://127.0.0.1:\(port)/api/v1/health")
            } catch where attempt < 3 && process.output().contains("Address already in use") {
                process.stop()
                continue
            }
            let token = try await DevAuth.mintToken(secret: Secret(TokenFixtures.shared.hs256Secret), user: UUID(),
                                                    email: nil, ttl: 3600, now: Date())
            return EmulatedServe(directory: directory, port: port, environment: environment, process: process, token: token)
        }
        throw ToolFailure("interior serve found no free port")
    }

    /// Runs another `interior` command with the server's environment and directory.
    func command(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await ProcessRunner.run(try ServeProcess.executable().path, arguments, environment: environment,
                                                 currentDirectory: directory)
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    /// `kill -9`: no shutdown of any kind.
    func kill() {
        logs.append(process.output())
        process.stop()
    }

    /// Starts the server again on the same directory, database and port; returns once it answers.
    func restart() async throws {
        let interior = try ServeProcess.executable().path
        process = try BackgroundProcess(name: "interior-serve", [interior, "serve"], environment: environment,
                                        currentDirectory: directory)
        try await process.waitUntilServing("\(baseURL)/api/v1/health")
    }

    /// Everything the server printed, over every run.
    func log() -> String {
        (logs + [process.output()]).joined(separator: "\n--- restart ---\n")
    }

    // MARK: Interior's API

    func get(_ path: String) async throws -> TestResponse {
        try await TestClient(baseURL: URL(string: baseURL)!).get(path, token: token)
    }

    /// Submits a text-only job and returns its summary.
    func submit(prompt: String, variants: Int) async throws -> [String: Any] {
        let response = try await TestClient(baseURL: URL(string: baseURL)!).postJSON(
            "/api/v1/generations", ["mode": "imagine", "prompt": prompt, "variants": variants], token: token)
        guard response.status == .accepted else {
            throw ToolFailure("submit answered \(response.status): \(response.text)\n\(log())")
        }
        return response.data
    }

    /// Queues `plan` at the emulator, submits a text-only job and waits until the emulator is
    /// generating its (first) prediction.
    func generating(plan: String, prompt: String, variants: Int) async throws -> (job: String, prediction: String) {
        let queued = try await emulator(.POST, "/_emulator/faults", json: plan)
        guard queued.status == .created else { throw ToolFailure("the emulator refused \(plan): \(queued.text)") }
        let job = try await submit(prompt: prompt, variants: variants)
        guard let id = job["id"] as? String, let predictionId = job["predictionId"] as? String else {
            throw ToolFailure("the summary lacks ids: \(job)")
        }
        try await eventually("the emulator is generating") {
            try await emulator(.GET, "/predictions/\(predictionId)").json["status"] as? String == "processing"
        }
        return (id, predictionId)
    }

    /// Polls the job (as the web page does, every 250 ms) until it is terminal.
    func waitUntilFinished(_ id: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            if let data = try? await get("/api/v1/generations/\(id)").data {
                last = data
                if let status = data["status"] as? String, ["succeeded", "failed", "canceled"].contains(status) { return data }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("job \(id) did not finish within \(timeout): \(last)\n\(log())")
        return last
    }

    /// Waits until `condition` holds, checking every 100 ms.
    func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ToolFailure("timed out waiting for: \(what)\n\(log())")
    }

    // MARK: The emulator, as its operator reaches it

    /// Where the embedded emulator listens and the token of its control endpoint, as it writes
    /// them under the data directory.
    func emulatorControl() throws -> (baseURL: String, token: String) {
        let file = dataDirectory.appendingPathComponent("emulator/control.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        guard let base = object?["base_url"] as? String, let token = object?["token"] as? String else {
            throw ToolFailure("\(file.path) does not name the emulator")
        }
        return (base, token)
    }

    func emulator(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> TestResponse {
        let control = try emulatorControl()
        return try await TestClient(baseURL: URL(string: control.baseURL)!).send(
            method, path, headers: [("Authorization", "Bearer \(control.token)")], body: json.map { Data($0.utf8) })
    }

    enum Download: Equatable {
        case complete
        case cutShort
    }

    /// Downloads a prediction's first output as a client of the emulator would, giving up
    /// (cancelling the read, which closes the connection) after `timeout`. Waits first for the
    /// output to exist.
    func fetchOutput(_ predictionId: String, timeout: Duration) async throws -> Download {
        let url = "\(try emulatorRoot())/files/\(predictionId)/out-0.png"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else {
                _ = try? await response.body.collect(upTo: 1 << 20)
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            return await withTaskGroup(of: Download.self) { group in
                group.addTask { (try? await response.body.collect(upTo: 64 << 20)) != nil ? .complete : .cutShort }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return .cutShort
                }
                let first = await group.next() ?? .cutShort
                group.cancelAll()
                return first
            }
        }
        throw ToolFailure("the output of \(predictionId) never appeared\n\(log())")
    }

    /// The emulator's origin: from its control file, or (before it wrote one) from the line the
    /// server logs when it starts it.
    private func emulatorRoot() throws -> String {
        if let control = try? emulatorControl() {
            return String(control.baseURL.dropLast("/v1".count))
        }
        let marker = "Replicate EMULATOR running at "
        guard let line = log().split(separator: "\n").first(where: { $0.contains(marker) }),
              let start = line.range(of: marker)?.upperBound,
              let end = line[start...].range(of: "/v1")?.lowerBound else {
            throw ToolFailure("the server did not say where its emulator listens\n\(log())")
        }
        return String(line[start..<end])
    }
}
