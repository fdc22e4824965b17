import Foundation
import Logging
@testable import InteriorServer
import PostgresNIO
import Testing

/// A database that refuses work answers 503 with `Retry-After`, never a 500, and the service
/// answers again as soon as the database does.
@Suite("Database: refused connections")
struct DatabaseUnavailableTests {
    @Test("PostgreSQL refusing new connections (its limit reached, 53300) is a 503 with Retry-After, and the next request after it accepts them is a 200",
          .enabled(if: TestDatabase.isPostgres))
    func refusedConnections() async throws {
        try await withTestApp { t in
            guard case let .postgres(url) = t.settings.database else { Issue.record("not PostgreSQL"); return }
            let token = t.token("hs256_valid")
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .ok)

            let (admin, name) = try await Self.closeToNewConnections(url.value)
            for attempt in 0..<8 {
                let response = try await t.client.get("/api/v1/auth/me", token: token)
                #expect(response.status == .serviceUnavailable, "attempt \(attempt): \(response.text)")
                #expect(response.errorCode == "SERVICE_UNAVAILABLE")
                #expect(response.headers.first(name: "Retry-After") == "2")
            }
            #expect(t.logs.all.contains { $0.hasPrefix("warning request failed") && $0.contains("53300") },
                    "the refusal itself was met, not only lost connections")
            #expect(!t.logs.all.contains { $0.hasPrefix("error unhandled error") })

            try await Self.run(admin, "ALTER DATABASE \"\(name)\" CONNECTION LIMIT -1")
            try await admin.close()
            let after = try await t.client.get("/api/v1/auth/me", token: token)
            #expect(after.status == .ok, "\(after.text)")
        }
    }

    @Test("The reconciler and the inbox meeting a refused database log its SQLSTATE, not PostgreSQL's generic line, and work again once it accepts connections",
          .enabled(if: TestDatabase.isPostgres))
    func backgroundWorkLogsTheRefusal() async throws {
        try await withTestApp { t in
            guard case let .postgres(url) = t.settings.database else { Issue.record("not PostgreSQL"); return }
            let interior = t.app.interior
            let (admin, name) = try await Self.closeToNewConnections(url.value)
            // Until one meets the refusal itself (53300): the first may meet a connection cut.
            for _ in 0..<8 {
                await interior.reconciler.sweepLogged()
                #expect(await interior.inbox.drainOnce() == 0)
                if Self.lines(t, "warning reconciler sweep failed").contains(where: { $0.contains("PostgreSQL 53300") }),
                   Self.lines(t, "warning could not claim inbox events").contains(where: { $0.contains("PostgreSQL 53300") }) { break }
            }
            for prefix in ["warning reconciler sweep failed", "warning could not claim inbox events"] {
                let failures = Self.lines(t, prefix)
                #expect(failures.contains { $0.contains("PostgreSQL 53300") }, "\(prefix): \(failures)")
                #expect(failures.allSatisfy { $0.contains("error=PostgreSQL ") }, "\(prefix): \(failures)")
            }
            #expect(!t.logs.all.contains { $0.contains("Generic description") }, "\(t.logs.all.filter { $0.contains("Generic description") })")

            try await Self.run(admin, "ALTER DATABASE \"\(name)\" CONNECTION LIMIT -1")
            try await admin.close()
            let before = t.logs.all.count
            await interior.reconciler.sweepLogged()
            #expect(await interior.inbox.drainOnce() == 0)
            let after = t.logs.all.dropFirst(before)
            #expect(!after.contains { $0.hasPrefix("warning reconciler sweep failed") || $0.hasPrefix("warning could not claim inbox events") },
                    "\(Array(after))")
        }
    }

    @Test("A PostgreSQL error logs as its SQLSTATE and constraint, never the values it quotes",
          .enabled(if: TestDatabase.isPostgres))
    func loggedErrorHidesValues() async throws {
        try await withTestApp { t in
            guard case let .postgres(url) = t.settings.database else { Issue.record("not PostgreSQL"); return }
            let connection = try await TestDatabase.connect(url.value)
            let logger = Logger(label: "test-admin")
            try await Self.run(connection, "CREATE TEMPORARY TABLE logged_error_probe (v text CONSTRAINT logged_error_probe_v_key UNIQUE)")
            try await Self.run(connection, "INSERT INTO logged_error_probe VALUES ('secret-value')")
            // The server's message or detail quotes the value in both cases.
            let duplicate = await Self.failure { try await connection.query("INSERT INTO logged_error_probe VALUES ('secret-value')", logger: logger) }
            let malformed = await Self.failure { try await connection.query("SELECT 'secret-value'::uuid", logger: logger) }
            try await connection.close()
            #expect(duplicate.map(LoggedError.text) == "PostgreSQL 23505, constraint logged_error_probe_v_key")
            #expect(malformed.map(LoggedError.text) == "PostgreSQL 22P02")
            #expect(duplicate.map { String(reflecting: $0).contains("secret-value") } == true, "the error does carry the value")
        }
    }

    /// The test's database takes no new connection, and the server's are cut: each use meets a
    /// lost connection or, on reconnecting, PostgreSQL's refusal. Returns the open admin
    /// connection and the database's name, to open it again.
    private static func closeToNewConnections(_ url: String) async throws -> (PostgresConnection, String) {
        let admin = try await TestDatabase.connect(url)
        let name = try #require(URLComponents(string: url)?.path.dropFirst()).description
        try await run(admin, "ALTER DATABASE \"\(name)\" CONNECTION LIMIT 0")
        try await run(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return (admin, name)
    }

    private static func lines(_ t: TestContext, _ prefix: String) -> [String] {
        t.logs.all.filter { $0.hasPrefix(prefix) }
    }

    private static func failure(_ body: () async throws -> PostgresRowSequence) async -> (any Error)? {
        do { _ = try await body(); return nil } catch { return error }
    }

    private static func run(_ connection: PostgresConnection, _ sql: String) async throws {
        try await TestDatabase.revealing {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin"))
        }
    }
}
