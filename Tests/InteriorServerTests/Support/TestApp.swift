import Foundation
import InteriorCore
@testable import InteriorServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import SQLKit
import Testing
import Vapor
import FluentPostgresDriver
import Storage

/// A clock tests move by hand. Fixed by default; `following` real time it runs on (webhook
/// signatures and the emulator live in real time) while tests can still jump it forward.
final class TestClock: Sendable {
    private let state: NIOLockedValueBox<(base: Date, follows: Bool, started: Date)>

    init(_ start: Date = Date(timeIntervalSince1970: 1_780_000_000)) {
        state = NIOLockedValueBox((start, false, Date()))
    }

    static func following() -> TestClock {
        let clock = TestClock(Date())
        clock.state.withLockedValue { $0.follows = true }
        return clock
    }

    var now: Date {
        state.withLockedValue { state in
            state.follows ? state.base.addingTimeInterval(Date().timeIntervalSince(state.started)) : state.base
        }
    }

    func advance(by seconds: TimeInterval) {
        state.withLockedValue { $0.base = $0.base.addingTimeInterval(seconds) }
    }

    func set(_ date: Date) {
        state.withLockedValue { state in
            state.base = date
            state.started = Date()
        }
    }
}

/// Log lines captured from an application, to assert what is (and is not) logged.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let echoes: Bool

    /// `echo: false` keeps the lines out of `INTERIOR_TEST_LOGS` output (the emulator's).
    init(echo: Bool = true) { echoes = echo }

    var all: [String] { lines.withLockedValue { $0 } }

    func append(_ line: String) {
        lines.withLockedValue { $0.append(line) }
        // A 500's cause is printed always: a test that meets one by surprise (a machine stall in
        // CI) is read from the run's output, which is all that is kept of it.
        if echoes, Self.echo || line.hasPrefix("error unhandled error") { print("[log] \(line)") }
    }

    /// `INTERIOR_TEST_LOGS=1` prints every captured line (debugging a failing test).
    private static let echo = ProcessInfo.processInfo.environment["INTERIOR_TEST_LOGS"] == "1"

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    private struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}

/// Which database the server suites run on: SQLite unless `DATABASE_URL` names a
/// PostgreSQL server (as `make test` does for its second pass). On PostgreSQL each test gets
/// a database of its own, dropped afterwards.
enum TestDatabase {
    static var postgresAdminURL: String? {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], url.hasPrefix("postgres") else { return nil }
        return url
    }

    static var isPostgres: Bool { postgresAdminURL != nil }

    /// A fresh database for one test; `body` gets its `DATABASE_URL`.
    static func withFresh<T>(in directory: URL, _ body: (String) async throws -> T) async throws -> T {
        guard let admin = postgresAdminURL else {
            return try await body("sqlite://\(directory.path)/interior.sqlite")
        }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await execute("CREATE DATABASE \(name)", adminURL: admin)
        var components = URLComponents(string: admin)!
        components.path = "/\(name)"
        do {
            let result = try await body(components.string!)
            try? await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", adminURL: admin)
            return result
        } catch {
            try? await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", adminURL: admin)
            // A query of the test's own that failed: its generic line would say nothing.
            if error is PSQLError { throw RevealedError(detail: String(reflecting: error)) }
            throw error
        }
    }

    private static func execute(_ statement: String, adminURL: String) async throws {
        let connection = try await connect(adminURL)
        defer { Task { try? await connection.close() } }
        try await revealing { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "test-admin")) }
        try await connection.close()
    }

    /// A connection of the test's own, outside any application's pool.
    static func connect(_ url: String) async throws -> PostgresConnection {
        try await revealing {
            try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(),
                configuration: try SQLPostgresConfiguration(url: url).coreConfiguration,
                id: 1,
                logger: Logger(label: "test-admin"))
        }
    }

    /// Runs `body`, rethrowing a failure with its full description: `PSQLError` prints only a
    /// generic line, which says nothing when a test fails on a loaded machine.
    @discardableResult
    static func revealing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw RevealedError(detail: String(reflecting: error))
        }
    }

    struct RevealedError: Error, CustomStringConvertible {
        let detail: String
        var description: String { detail }
    }
}

/// A temporary directory removed when the test ends.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("interior-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Everything a server test needs: the running application, an HTTP client for it, its
/// settings, clock and logs.
struct TestContext {
    let app: Application
    let settings: Settings
    let clock: TestClock
    let logs: LogCapture
    let directory: URL
    let client: TestClient

    var sql: any SQLDatabase { app.db as! any SQLDatabase }

    /// An HS256 token made by the independent fixture (PyJWT), by name.
    func token(_ name: String) -> String { TokenFixtures.shared.tokens[name]! }
}

/// Builds the application the way `interior serve` does — `Settings.load` over an
/// environment, then `configure` — with a fresh database, a temporary directory and a test
/// clock, runs `body`, and shuts it down.
func withTestApp(
    environment overrides: [String: String] = [:],
    clock: TestClock = TestClock(),
    extraRoutes: TestRoutes = TestRoutes { _ in },
    replicate: ReplicateConnection? = nil,
    wrapStore: @escaping @Sendable (any BlobStore) -> any BlobStore = { $0 },
    backgroundWork: Bool = true,
    _ body: (TestContext) async throws -> Void
) async throws {
    // The port is chosen before the server binds it; if another test's server took it in
    // between, start again on another (the body has not run yet).
    for attempt in 1...3 {
        do {
            try await runTestApp(environment: overrides, clock: clock, extraRoutes: extraRoutes, replicate: replicate,
                                 wrapStore: wrapStore, backgroundWork: backgroundWork, body)
            return
        } catch is PortTaken where attempt < 3 {
            continue
        }
    }
}

/// The port chosen for a test server was bound by someone else before the server started.
private struct PortTaken: Error {}

private func runTestApp(
    environment overrides: [String: String],
    clock: TestClock,
    extraRoutes: TestRoutes,
    replicate: ReplicateConnection?,
    wrapStore: @escaping @Sendable (any BlobStore) -> any BlobStore,
    backgroundWork: Bool,
    _ body: (TestContext) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        try await TestDatabase.withFresh(in: directory) { databaseURL in
            var environment: [String: String] = [
                "ENV": "testing",
                "DATABASE_URL": databaseURL,
                "STORAGE_URL": "file://\(directory.path)/storage",
                "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret,
                "STORAGE_SIGNING_SECRET": "test-storage-signing-secret-0123456789abcdef",
                // A model's key, for the profiles that need one (the emulator never checks it).
                "OPENAI_API_KEY": "sk-test-interior-0123456789",
            ]
            // The suites run on any built-in model: `REPLICATE_MODEL=… make test`.
            if let model = ProcessInfo.processInfo.environment["REPLICATE_MODEL"], !model.isEmpty {
                environment["REPLICATE_MODEL"] = model
            }
            let port = try await freePort()
            environment["PORT"] = String(port)
            environment["PUBLIC_BASE_URL"] = "http://127.0.0.1:\(port)"
            environment.merge(overrides) { _, new in new }
            let settings = try Settings.load(environment: environment.filter { !$0.value.isEmpty }, workingDirectory: directory)
            let logs = LogCapture()
            let app = try await Application.make(.testing)
            app.logger = logs.logger()
            try await whileServing(app) {
                var dependencies = Dependencies(
                    now: { clock.now }, makeID: { UUID() },
                    replicate: replicate ?? TestReplicate.unreachable, wrapStore: wrapStore,
                    sleep: { _ in }, backgroundWork: backgroundWork)
                // A runtime config file edited by a test shows within a tenth of a second.
                dependencies.runtimeConfigPoll = .milliseconds(50)
                try await configure(app, settings: settings, dependencies: dependencies)
                extraRoutes.register(app)
                try await app.asyncBoot()
                do {
                    try await app.server.start(address: .hostname("127.0.0.1", port: port))
                } catch let error as IOError where error.errnoCode == EADDRINUSE {
                    throw PortTaken()
                }
                let client = TestClient(baseURL: settings.publicBaseURL)
                try await body(TestContext(app: app, settings: settings, clock: clock, logs: logs, directory: directory, client: client))
            }
        }
    }
}

/// The committed vectors written by `Fixtures/make_tokens.py` (PyJWT).
struct TokenFixtures: Sendable {
    let hs256Secret: String
    let subject: UUID
    let edge: Date
    /// The JWKS documents, as served by an identity provider (before and after a key rotation).
    let jwks: Data
    let jwksRotated: Data
    let tokens: [String: String]

    static let shared: TokenFixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokens.json")
        let object = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return TokenFixtures(
            hs256Secret: object["hs256Secret"] as! String,
            subject: UUID(uuidString: object["subject"] as! String)!,
            edge: Date(timeIntervalSince1970: object["edge"] as! Double),
            jwks: try! JSONSerialization.data(withJSONObject: object["jwks"]!),
            jwksRotated: try! JSONSerialization.data(withJSONObject: object["jwksRotated"]!),
            tokens: object["tokens"] as! [String: String])
    }()
}

/// Routes a test adds to the application before it starts.
struct TestRoutes: Sendable {
    let register: @Sendable (Application) -> Void
}

enum TestReplicate {
    static let webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// For suites that never reach Replicate: nothing listens on the discard port.
    static let unreachable = ReplicateConnection(
        baseURL: URL(string: "http://127.0.0.1:9/v1")!, token: Secret("r8_test"),
        webhookSecret: Secret(webhookSecret), isEmulator: false)
}
