import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import TestSupport

/// A production-shaped deployment on loopback: one standalone `interior emulator` (the shared
/// Replicate, so killing an instance never kills it), `count` `interior serve` processes on one
/// PostgreSQL database and one SeaweedFS, and a round-robin proxy in front of them — the
/// balancer every client request and every webhook goes through (`PUBLIC_BASE_URL`).
final class Cluster: @unchecked Sendable {
    let directory: URL
    let databaseURL: String
    let buckets: (public: String, private: String)
    let seaweed: SeaweedFS
    let instances: [Instance]
    let emulator: BackgroundProcess
    let emulatorRoot: URL
    let emulatorToken: String
    let proxy: BackgroundProcess
    let proxyURL: URL

    private init(directory: URL, databaseURL: String, buckets: (public: String, private: String), seaweed: SeaweedFS,
                 instances: [Instance], emulator: BackgroundProcess, emulatorRoot: URL, emulatorToken: String,
                 proxy: BackgroundProcess, proxyURL: URL) {
        self.directory = directory
        self.databaseURL = databaseURL
        self.buckets = buckets
        self.seaweed = seaweed
        self.instances = instances
        self.emulator = emulator
        self.emulatorRoot = emulatorRoot
        self.emulatorToken = emulatorToken
        self.proxy = proxy
        self.proxyURL = proxyURL
    }

    /// Starts everything, runs `body`, and stops every process however it ends.
    static func with(instances count: Int, databaseURL: String, directory: URL, _ body: (Cluster) async throws -> Void) async throws {
        let seaweed = try await SeaweedFS.shared()
        let buckets = (public: SeaweedFS.uniqueBucket("pub"), private: SeaweedFS.uniqueBucket("prv"))
        var started: [BackgroundProcess] = []
        defer { started.forEach { $0.stop() } }

        let token = "r8_cluster\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let secret = TestReplicate.webhookSecret
        let emulatorPort = try await freePort()
        let emulator = try BackgroundProcess(
            name: "cluster-emulator",
            [try ServeProcess.executable().path, "emulator", "--host", "127.0.0.1", "--port", String(emulatorPort),
             "--token", token, "--webhook-secret", secret, "--data-dir", directory.appendingPathComponent("emulator").path],
            currentDirectory: directory)
        started.append(emulator)
        let emulatorRoot = URL(string: "http://127.0.0.1:\(emulatorPort)")!
        try await emulator.waitUntilServing("\(emulatorRoot.absoluteString)/v1/predictions")

        var ports: [Int] = []
        for _ in 0..<count { ports.append(try await freePort()) }
        let proxy = try BackgroundProcess(name: "cluster-proxy", [TestPython.executable, proxyScript] + ports.map(String.init),
                                          lifeline: true)
        started.append(proxy)
        let line = try await proxy.waitForLine(startingWith: "LISTENING ")
        let proxyURL = URL(string: "http://127.0.0.1:\(line.dropFirst("LISTENING ".count))")!

        var shared = seaweed.interiorEnvironment(publicBucket: buckets.public, privateBucket: buckets.private)
        shared.merge([
            "ENV": "development",
            "PUBLIC_BASE_URL": proxyURL.absoluteString,
            "REPLICATE_API_TOKEN": token,
            "REPLICATE_WEBHOOK_SECRET": secret,
            "REPLICATE_BASE_URL": "\(emulatorRoot.absoluteString)/v1",
            "REPLICATE_OUTPUT_HOSTS": emulatorRoot.absoluteString,
        ]) { $1 }
        let instances = try (0..<count).map { index in
            let home = directory.appendingPathComponent("instance-\(index)", isDirectory: true)
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            var environment = ServeProcess.environment(databaseURL: databaseURL, directory: home, shared)
            environment["PORT"] = String(ports[index])
            return Instance(index: index, port: ports[index], environment: environment, directory: home)
        }
        // What an operator does once, before the first deploy: the buckets, the public one readable.
        let setup = try await ProcessRunner.run(try ServeProcess.executable().path, ["storage", "init"],
                                                environment: instances[0].environment)
        guard setup.status == 0 else {
            throw ToolFailure("interior storage init failed:\n\(String(decoding: setup.stdout + setup.stderr, as: UTF8.self))")
        }
        let cluster = Cluster(directory: directory, databaseURL: databaseURL, buckets: buckets, seaweed: seaweed,
                              instances: instances, emulator: emulator, emulatorRoot: emulatorRoot, emulatorToken: token,
                              proxy: proxy, proxyURL: proxyURL)
        defer { instances.forEach { $0.kill() } }
        // Started at the same moment, as a rolling deploy on an empty database does.
        for instance in instances { try instance.start() }
        for instance in instances { try await instance.waitUntilServing() }
        try await body(cluster)
    }

    private static let proxyScript = ServeProcess.packageRoot.appendingPathComponent("Tests/TestSupport/Python/round_robin_proxy.py").path

    /// The balancer, as every client reaches the service.
    var client: TestClient { TestClient(baseURL: proxyURL) }

    /// The emulator's control endpoint, as its operator reaches it.
    func emulatorControl(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> TestResponse {
        try await TestClient(baseURL: emulatorRoot).send(method, "/v1" + path, headers: [("Authorization", "Bearer \(emulatorToken)")],
                                                         body: json.map { Data($0.utf8) })
    }

    /// What the proxy has routed so far: one entry per request it answered.
    func routes() -> [Route] {
        proxy.output().split(separator: "\n").compactMap(Route.init)
    }

    struct Route: Sendable {
        let method: String
        let path: String
        /// The backend's index, nil when none accepted the connection.
        let backend: Int?
        let status: Int
        /// The `webhook-id` of a webhook delivery.
        let webhookId: String?

        /// `ROUTE <method> <path> <backend|-> <status> <webhook-id|-> <request>`
        init?(_ line: Substring) {
            let fields = line.split(separator: " ")
            guard fields.count == 7, fields[0] == "ROUTE", let status = Int(fields[4]) else { return nil }
            method = String(fields[1])
            path = String(fields[2])
            backend = Int(fields[3])
            self.status = status
            webhookId = fields[5] != "-" ? String(fields[5]) : nil
        }
    }

    /// Requests the proxy has sent to a backend and not yet answered, by the proxy's number.
    func inFlight(method: String, pathPrefix: String) -> [String: (backend: Int, path: String)] {
        var open: [String: (backend: Int, path: String)] = [:]
        // `BEGIN <method> <path> <backend> <request>` once sent; `ROUTE … <request>` once answered.
        for line in proxy.output().split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 5, fields[1] == method, fields[2].hasPrefix(pathPrefix), let request = fields.last else { continue }
            if fields[0] == "BEGIN", let backend = Int(fields[3]) {
                open[String(request)] = (backend, String(fields[2]))
            } else if fields[0] == "ROUTE" {
                open[String(request)] = nil
            }
        }
        return open
    }
}

/// One `interior serve` of the cluster, on a fixed port (the balancer's backend address), so a
/// restart takes its place again. `kill()` is `kill -9`.
final class Instance: @unchecked Sendable {
    let index: Int
    let port: Int
    let environment: [String: String]
    let directory: URL
    private let state = NIOLockedValueBox<(process: BackgroundProcess?, logs: [String])>((nil, []))

    init(index: Int, port: Int, environment: [String: String], directory: URL) {
        self.index = index
        self.port = port
        self.environment = environment
        self.directory = directory
    }

    var isRunning: Bool { state.withLockedValue { $0.process?.isRunning ?? false } }

    func start() throws {
        let process = try BackgroundProcess(name: "cluster-serve-\(index)", [try ServeProcess.executable().path, "serve"],
                                            environment: environment, inheritEnvironment: false, currentDirectory: directory)
        state.withLockedValue { $0.process = process }
    }

    func waitUntilServing() async throws {
        guard let process = state.withLockedValue({ $0.process }) else { throw ToolFailure("instance \(index) was never started") }
        try await process.waitUntilServing("http://127.0.0.1:\(port)/api/v1/health")
    }

    /// `kill -9`: no shutdown of any kind.
    func kill() {
        state.withLockedValue { state in
            guard let process = state.process else { return }
            process.stop()
            state.logs.append(process.output())
            state.process = nil
        }
    }

    /// Everything it printed, over every run.
    func log() -> String {
        state.withLockedValue { state in (state.logs + [state.process?.output() ?? ""]).joined(separator: "\n--- restart ---\n") }
    }
}
