import FluentKit
import Foundation
@testable import InteriorServer
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

@Suite("SQLite under concurrent writers", .enabled(if: !TestDatabase.isPostgres))
struct SQLiteConcurrencyTests {
    @Test("write transactions in several applications of one process all finish: waiting writers never starve the lock holder")
    func writersInSeveralApplicationsFinish() async throws {
        let applications = 3, writers = 4, transactions = 40
        try await withTemporaryDirectory { directory in
            var apps: [Application] = []
            for index in 0..<applications {
                let app = try await Application.make(.testing)
                app.logger.logLevel = .critical
                apps.append(app)
                try configureDatabase(app, .sqlite(path: directory.appendingPathComponent("db\(index).sqlite").path))
                try await (app.db as! any SQLDatabase).raw("CREATE TABLE entries (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL)").run()
            }
            let all = apps
            let finished = try await finishes(within: .seconds(60)) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for app in all {
                        for writer in 0..<writers {
                            group.addTask {
                                for _ in 0..<transactions {
                                    // Two statements: the lock is held across a wait for a thread.
                                    try await app.db.transaction { transaction in
                                        let sql = transaction as! any SQLDatabase
                                        try await sql.raw("INSERT INTO entries (writer) VALUES (\(bind: writer))").run()
                                        try await sql.raw("INSERT INTO entries (writer) VALUES (\(bind: writer))").run()
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            guard finished else {
                // Deadlocked threads cannot be shut down; the applications are left to the process.
                Self.abandoned.withLockedValue { $0 += all }
                Issue.record("the writers did not finish within 60 s: the thread pool is deadlocked")
                return
            }
            for app in all {
                let count = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM entries").first()!
                    .decode(column: "n", as: Int.self)
                #expect(count == writers * transactions * 2)
                try await app.asyncShutdown()
            }
        }
    }

    private static let abandoned = NIOLockedValueBox<[Application]>([])

    /// Runs `work`, waiting at most `limit`: a deadlock is reported as `false`, not a hung run.
    private func finishes(within limit: Duration, _ work: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let (stream, continuation) = AsyncStream<Result<Void, any Error>?>.makeStream()
        let worker = Task {
            do {
                try await work()
                continuation.yield(.success(()))
            } catch {
                continuation.yield(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            continuation.yield(nil)
        }
        defer { timer.cancel() }
        for await outcome in stream {
            guard let outcome else {
                worker.cancel()
                return false
            }
            try outcome.get()
            return true
        }
        return false
    }
}
