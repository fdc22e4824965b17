import Foundation
@testable import InteriorServer
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import TestSupport
import Testing

/// `DATABASE_POOL_SIZE` is the number of PostgreSQL connections one instance holds, whatever
/// its number of event loops.
@Suite("Database pool: connections per instance")
struct PoolSizeTests {
    @Test("the total is spread over the most event loops that divide it", arguments: [
        // (total, event loops) → (loops used, connections on each)
        (4, 2, 2, 2), (3, 2, 1, 3), (1, 2, 1, 1), (4, 8, 4, 1), (6, 4, 3, 2), (10, 4, 2, 5), (7, 1, 1, 7), (12, 16, 12, 1),
    ])
    func plan(total: Int, eventLoops: Int, loops: Int, perLoop: Int) {
        let plan = PostgresPoolPlan(total: total, eventLoops: eventLoops)
        #expect(plan.loops == loops)
        #expect(plan.connectionsPerLoop == perLoop)
        #expect(plan.total == total)
    }

    @Test("under concurrent load an instance opens exactly DATABASE_POOL_SIZE connections, counted by the server",
          .enabled(if: TestDatabase.isPostgres), arguments: [nil, "3"] as [String?])
    func connectionsUnderLoad(setting: String?) async throws {
        let expected = setting.flatMap(Int.init) ?? Settings.defaultDatabasePoolSize
        // One user sends every request: the per-user rate limit is off.
        let config = try TemporaryDirectory()
        let configFile = config.url.appendingPathComponent("runtime.json")
        try Data(#"{"limits": {"requestsPerMinute": 0}}"#.utf8).write(to: configFile)
        var environment = ["INTERIOR_CONFIG": configFile.path]
        environment["DATABASE_POOL_SIZE"] = setting
        try await withTestApp(environment: environment) { t in
            guard case let .postgres(url) = t.settings.database else { Issue.record("not PostgreSQL"); return }
            let observer = try await TestDatabase.connect(url.value)
            let done = NIOLockedValueBox(false)
            let load = Task {
                defer { done.withLockedValue { $0 = true } }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<40 {
                        group.addTask {
                            for path in ["/api/v1/auth/me", "/api/v1/usage", "/api/v1/generations", "/api/v1/renders"] {
                                let response = try await t.client.get(path, token: t.token("hs256_valid"))
                                #expect(response.status == .ok, "\(path): \(response.text)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var seen: [Int] = []
            while !done.withLockedValue({ $0 }) {
                seen.append(try await Self.instanceConnections(observer))
                try await Task.sleep(for: .milliseconds(10))
            }
            try await load.value
            let final = try await Self.instanceConnections(observer)
            try await observer.close()
            #expect(seen.max() == expected, "connections seen during the load: \(seen)")
            #expect(final == expected, "the pool keeps its connections open")
        }
    }

    /// Sessions on the test's database other than the observer's own: the instance's.
    private static func instanceConnections(_ connection: PostgresConnection) async throws -> Int {
        try await TestDatabase.revealing {
            let rows = try await connection.query("""
                SELECT count(*)::int FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                """, logger: Logger(label: "test-observer"))
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        }
    }
}
