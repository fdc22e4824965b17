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

            // The test's database takes no new connection, and the server's are cut: each request
            // meets a lost connection or, on reconnecting, PostgreSQL's refusal.
            let admin = try await TestDatabase.connect(url.value)
            let name = try #require(URLComponents(string: url.value)?.path.dropFirst()).description
            try await Self.run(admin, "ALTER DATABASE \"\(name)\" CONNECTION LIMIT 0")
            try await Self.run(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
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

    private static func run(_ connection: PostgresConnection, _ sql: String) async throws {
        try await TestDatabase.revealing {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin"))
        }
    }
}
