import Foundation
@testable import InteriorServer
import Logging
import PostgresNIO
import SQLKit
import TestSupport
import Testing
import Vapor

/// What a rolling deploy or `docker compose up --scale` does: several `interior serve`
/// processes starting at the same moment on a database nobody has migrated yet.
@Suite("Rolling start: instances starting together")
struct RollingStartTests {
    @Test("three instances started at the same moment on an empty PostgreSQL database all come up, and the migrations ran once",
          .enabled(if: TestDatabase.isPostgres))
    func threeOnPostgres() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.withFresh(in: directory) { databaseURL in
                try await Self.startTogether(3, databaseURL: databaseURL, directory: directory)
            }
        }
    }

    @Test("three instances started at the same moment on one new SQLite file all come up, and the migrations ran once",
          .enabled(if: !TestDatabase.isPostgres))
    func threeOnSQLite() async throws {
        try await withTemporaryDirectory { directory in
            try await Self.startTogether(3, databaseURL: "sqlite://\(directory.path)/shared.sqlite", directory: directory)
        }
    }

    @Test("interior migrate run by three instances at the same moment: each succeeds, the migrations ran once")
    func threeMigrateCommands() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.withFresh(in: directory) { databaseURL in
                let commands = try (0..<3).map { index in
                    try ServeProcess(name: "interior-migrate-\(index)",
                                     environment: ServeProcess.environment(databaseURL: databaseURL, directory: directory),
                                     directory: directory, arguments: ["migrate"])
                }
                defer { commands.forEach { $0.stop() } }
                for command in commands {
                    let ended = try await command.process.waitForExit(timeout: .seconds(90))
                    #expect(ended == .exited(0), "\(command.process.output())")
                    #expect(command.process.output().contains("database is up to date"), "\(command.process.output())")
                }
                let log = try await Self.migrationLog(databaseURL: databaseURL, directory: directory)
                #expect(log.names == InteriorMigrations.all.map(\.name).sorted())
                #expect(log.batches == [1])
            }
        }
    }

    @Test("an instance waits while another session holds the advisory lock, and comes up once that session ends",
          .enabled(if: TestDatabase.isPostgres))
    func waitsForTheAdvisoryLock() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.withFresh(in: directory) { databaseURL in
                let holder = try await TestDatabase.connect(databaseURL)
                _ = try await holder.query("SELECT pg_advisory_lock(\(LockedMigrations.advisoryLockKey))", logger: Logger(label: "test-holder"))
                let server = try ServeProcess(name: "interior-waiting",
                                              environment: ServeProcess.environment(databaseURL: databaseURL, directory: directory),
                                              directory: directory)
                defer { server.stop() }
                try await server.waitForOutput(containing: "another instance holds the migration lock; waiting")
                try await Task.sleep(for: .seconds(1))
                #expect(!server.isServing && server.process.isRunning, "it must wait, not serve or give up")
                // The session ends as a crashed holder's would: the lock goes with it.
                try await holder.close()
                try await server.waitUntilHealthy()
            }
        }
    }

    /// Starts `count` instances back to back, then waits for each to be healthy and to serve a
    /// request that writes (a user's first request creates the profile).
    static func startTogether(_ count: Int, databaseURL: String, directory: URL) async throws {
        var instances: [ServeProcess] = []
        defer { instances.forEach { $0.stop() } }
        for index in 0..<count {
            instances.append(try ServeProcess(
                name: "interior-\(index)",
                environment: ServeProcess.environment(databaseURL: databaseURL, directory: directory),
                directory: directory))
        }
        for instance in instances {
            try await instance.waitUntilHealthy()
            let me = try await instance.client.get("/api/v1/auth/me", token: TokenFixtures.shared.tokens["hs256_valid"]!)
            #expect(me.status == .ok, "\(instance.process.name): \(me.text)")
        }
        for instance in instances {
            #expect(instance.process.isRunning, "\(instance.process.name) stopped:\n\(instance.process.output())")
        }
        let log = try await migrationLog(databaseURL: databaseURL, directory: directory)
        #expect(log.names == InteriorMigrations.all.map(\.name).sorted())
        #expect(log.batches == [1], "one instance migrated; the others found the work done")
    }

    /// The names in Fluent's migration log, and the batch numbers used.
    static func migrationLog(databaseURL: String, directory: URL) async throws -> (names: [String], batches: Set<Int>) {
        let settings = try Settings.load(environment: [
            "DATABASE_URL": databaseURL, "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret,
        ], workingDirectory: directory)
        let app = try await Application.make(.testing)
        app.logger.logLevel = .critical
        do {
            try configureDatabase(app, settings.database)
            let rows = try await (app.db as! any SQLDatabase).raw("SELECT name, batch FROM _fluent_migrations").all()
            let names = try rows.map { try $0.decode(column: "name", as: String.self) }.sorted()
            let batches = Set(try rows.map { try $0.decode(column: "batch", as: Int.self) })
            try await app.asyncShutdown()
            return (names, batches)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
