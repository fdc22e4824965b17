import Foundation
import NIOConcurrencyHelpers
import TestSupport

/// `interior serve` as an operator runs it: the built executable in a process of its own, with
/// an environment of its own (nothing is inherited from the test run) and its own working
/// directory.
final class ServeProcess: Sendable {
    let process: BackgroundProcess
    private let address = NIOLockedValueBox<TestClient?>(nil)

    /// Starts `interior <arguments>` with `environment` (see `environment(databaseURL:…)`) in
    /// `directory`.
    init(name: String, environment: [String: String], directory: URL, arguments: [String] = ["serve"]) throws {
        process = try BackgroundProcess(name: name, [try Self.executable().path] + arguments,
                                        environment: environment, inheritEnvironment: false, currentDirectory: directory)
    }

    /// A client for the port the server bound; set once `waitUntilHealthy` returned.
    var client: TestClient {
        guard let client = address.withLockedValue({ $0 }) else { preconditionFailure("\(process.name) is not serving yet") }
        return client
    }

    /// The executable `swift build` put beside the test bundle (`.build/<triple>/debug/`), or
    /// the checkout's `.build/debug/interior`.
    static func executable() throws -> URL {
        var candidates: [URL] = []
        if let tests = Bundle.main.executableURL {
            candidates.append(tests.deletingLastPathComponent().appendingPathComponent("interior"))
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/interior"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ToolFailure("the interior executable is not built (looked for \(candidates.map(\.path).joined(separator: ", "))): run swift build --build-tests")
        }
        return found
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A complete environment for a test instance: no emulator (Replicate is an address nothing
    /// answers, and nothing here calls it), Supabase-mode auth with the fixtures' secret, and
    /// every path absolute, so nothing is written to the working directory.
    /// The server binds a port the kernel picks (`PORT=0`, in the ephemeral range, which the
    /// in-process test servers' `freePort()` never uses), so nothing can take it in between.
    static func environment(databaseURL: String, directory: URL, _ extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [
            "PATH": inherited["PATH"] ?? "/usr/bin:/bin",
            "ENV": "testing",
            "HOST": "127.0.0.1",
            "PORT": "0",
            "PUBLIC_BASE_URL": "http://127.0.0.1:9",  // nothing here makes a webhook or local signed URL
            "DATABASE_URL": databaseURL,
            "STORAGE_URL": "file://\(directory.path)/storage",
            "STORAGE_SIGNING_SECRET": "test-storage-signing-secret-0123456789abcdef",
            "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret,
            "REPLICATE_API_TOKEN": "r8_test",
            "REPLICATE_WEBHOOK_SECRET": TestReplicate.webhookSecret,
            "REPLICATE_BASE_URL": "http://127.0.0.1:9/v1",
            "LOG_LEVEL": "info",
            "LOG_FORMAT": "text",
        ]
        if let home = inherited["HOME"] { environment["HOME"] = home }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Waits until the server says which port it bound and health answers 200 there, and
    /// returns the health; throws with the output if the process exits first or stays
    /// unhealthy past `timeout`.
    @discardableResult
    func waitUntilHealthy(timeout: Duration = .seconds(90)) async throws -> TestResponse {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let ended = try await process.waitForExit(timeout: .zero) {
                throw ToolFailure("\(process.name) ended (\(ended)) before it was healthy:\n\(process.output())")
            }
            if let client = address.withLockedValue({ $0 }) ?? boundClient(),
               let health = try? await client.get("/api/v1/health"), health.status == .ok {
                return health
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = process.output()
        process.stop()
        throw ToolFailure("\(process.name) was not healthy within \(timeout):\n\(output)")
    }

    /// Waits until the output has a line containing `text`.
    func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !process.output().contains(text) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw ToolFailure("\(process.name) printed no \"\(text)\":\n\(process.output())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether it has bound its port yet.
    var isServing: Bool { process.output().contains("Server started on ") }

    /// Vapor's "Server started on http://127.0.0.1:<port>" line names the port it bound.
    private func boundClient() -> TestClient? {
        let marker = "Server started on "
        guard let line = process.output().split(separator: "\n").first(where: { $0.contains(marker) }),
              let start = line.range(of: marker),
              let url = URL(string: String(line[start.upperBound...]).trimmingCharacters(in: .whitespaces)),
              url.port != nil else { return nil }
        let client = TestClient(baseURL: url)
        address.withLockedValue { $0 = client }
        return client
    }

    func stop() { process.stop() }
}
