import AsyncHTTPClient
import Foundation
import NIOCore

/// A release `interior serve` in a process of its own, configured for one benchmark: its own
/// data directory, SQLite file or PostgreSQL database, local storage, and the stand-in as
/// Replicate. Its memory is read from `/proc`; it is stopped with SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let baseURL: URL
    let directory: URL
    let log: URL
    /// The `DATABASE_URL` it serves from.
    let databaseURL: String
    private let process = Process()

    /// Resident and peak resident memory of the process (`VmRSS`, `VmHWM`), in bytes.
    struct Memory: Sendable {
        let resident: Int
        let peak: Int
    }

    init(directory: URL, database: String, model: String, standIn: ReplicateStandIn) throws {
        let binary = Checkout.binaries.appendingPathComponent("interior")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchFailure("no server binary at \(binary.path): build it with swift build -c release --product interior")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        databaseURL = database
        let port = try FreePort.pick()
        baseURL = URL(string: "http://127.0.0.1:\(port)")!
        let config = directory.appendingPathComponent("runtime.json")
        try Data(Self.runtimeConfig.utf8).write(to: config)
        log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATABASE_") && $0.key != "ENV" }
        environment.merge([
            "HOST": "127.0.0.1", "PORT": String(port), "PUBLIC_BASE_URL": baseURL.absoluteString,
            "DATABASE_URL": database, "STORAGE_URL": "file://" + directory.appendingPathComponent("storage").path,
            "STORAGE_SIGNING_SECRET": "bench-signing-secret-0123456789abcdef",
            "REPLICATE_API_TOKEN": standIn.token, "REPLICATE_BASE_URL": standIn.baseURL.absoluteString,
            "REPLICATE_WEBHOOK_SECRET": standIn.webhookSecret, "REPLICATE_OUTPUT_HOSTS": "http://127.0.0.1:\(standIn.rootURL.port ?? 80)",
            "REPLICATE_MODEL": model, "INTERIOR_CONFIG": config.path, "AUTH_MODE": "dev",
        ]) { _, new in new }
        process.executableURL = binary
        process.arguments = ["serve"]
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
    }

    /// Quotas and the request rate are not what is measured: every user may submit as often
    /// as the benchmark asks.
    static let runtimeConfig = """
        {"limits": {"requestsPerMinute": 0},
         "plans": [{"id": "free", "label": "Free", "monthlyGenerations": 100000}]}
        """

    var pid: Int32 { process.processIdentifier }

    /// Waits for `GET /api/v1/health` to answer 200.
    func waitUntilHealthy(_ client: HTTPClient, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw BenchFailure("the server exited during start-up: \(tail(of: log))")
            }
            if let response = try? await client.execute(
                HTTPClientRequest(url: baseURL.appendingPathComponent("api/v1/health").absoluteString), timeout: .seconds(2)),
               response.status == .ok {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("the server did not become healthy in \(timeout): \(tail(of: log))")
    }

    /// The dev-mode signing secret the server generated into its data directory.
    func devSecret() throws -> String {
        let file = directory.appendingPathComponent("data/dev-auth-secret")
        return try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var memory: Memory {
        get throws {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            func kilobytes(_ key: String) -> Int {
                let line = status.split(separator: "\n").first { $0.hasPrefix(key + ":") } ?? ""
                return Int(line.split(separator: " ").dropFirst().first ?? "0").map { $0 * 1024 } ?? 0
            }
            return Memory(resident: kilobytes("VmRSS"), peak: kilobytes("VmHWM"))
        }
    }

    /// Lines of the server's log that contain `text`.
    func logLines(containing text: String) -> [String] {
        let contents = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return contents.split(separator: "\n").filter { $0.contains(text) }.map(String.init)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }

    private func tail(of file: URL) -> String {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }
}
