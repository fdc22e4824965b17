import FluentKit
import FluentPostgresDriver
import Foundation
import Logging
import SQLKit
import Vapor

/// Applies the migrations under a lock that spans the database, so instances starting
/// together take turns: the first migrates, the others wait, find the work done and carry on.
/// `interior migrate` and serve's automatic migration both come here.
enum LockedMigrations {
    /// The advisory lock's key; any fixed number works while every instance uses the same one
    /// ("interior" in ASCII). Advisory locks belong to one database, so databases on a shared
    /// server never contend.
    static let advisoryLockKey: Int64 = 0x696E_7465_7269_6F72

    static func run(_ app: Application, _ location: Settings.DatabaseLocation) async throws(MigrationsFailed) {
        do {
            switch location {
            case let .postgres(url): try await underAdvisoryLock(app, url: url)
            case .sqlite, .sqliteInMemory: try await underSQLiteWriteLock(app)
            }
        } catch {
            throw MigrationsFailed(underlying: error)
        }
    }

    /// PostgreSQL: a session-level advisory lock on a connection of its own, outside the pool,
    /// held while the migrations run on the pool. Closing that connection ends the session,
    /// which releases the lock however the run ends (a crashed process's session ends too).
    private static func underAdvisoryLock(_ app: Application, url: Secret) async throws {
        let configuration = try SQLPostgresConfiguration(url: url.value)
        let logger = app.logger
        let connection = try await PostgresConnection.connect(
            on: app.eventLoopGroup.any(), configuration: configuration.coreConfiguration, id: 0, logger: logger)
        do {
            let key = advisoryLockKey
            var acquired = false
            for try await granted in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) {
                acquired = granted
            }
            if !acquired {
                logger.notice("migrations: another instance holds the migration lock; waiting for it to finish")
                // Read to the end: the statement has finished, so the lock is ours.
                for try await _ in try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger) {}
            }
            try await app.autoMigrate()
            for try await _ in try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger) {}
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// SQLite: one connection takes the write lock (`BEGIN IMMEDIATE`; other processes wait
    /// in their busy handler) and runs every migration inside that transaction, so the run
    /// also commits or rolls back as a whole. Other connections would wait for the same lock,
    /// so nothing else may take part. Foreign keys are off for the run, as SQLite prescribes
    /// for schema changes (its `PRAGMA foreign_keys` is a no-op inside a transaction, and
    /// rebuilding a parent table with them on fails), and checked before the commit.
    private static func underSQLiteWriteLock(_ app: Application) async throws {
        let migrations = app.migrations
        try await app.db.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            do {
                try await sql.raw("BEGIN IMMEDIATE").run()
                do {
                    let joined = JoinedTransaction(base: connection)
                    let migrator = Migrator(databaseFactory: { _ in joined }, migrations: migrations, on: connection.eventLoop)
                    try await migrator.setupIfNeeded().get()
                    try await migrator.prepareBatch().get()
                    let broken = try await sql.raw("PRAGMA foreign_key_check").all()
                    guard broken.isEmpty else { throw DanglingReferences(count: broken.count) }
                    try await sql.raw("COMMIT").run()
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            } catch {
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            // The connection goes back to the pool: it must enforce foreign keys again.
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }

    /// Rows the migrations left pointing at nothing; the run is rolled back.
    struct DanglingReferences: Error, CustomStringConvertible {
        let count: Int
        var description: String { "\(count) row(s) would reference rows that do not exist" }
    }
}

/// The migrations could not be applied; `underlying` is the database's error.
struct MigrationsFailed: Error, CustomStringConvertible {
    let underlying: any Error
    var description: String { "migrations: \(underlying)" }
}

/// A connection already inside the migration run's transaction. A migration that opens a
/// transaction of its own joins this one: SQLite cannot nest `BEGIN`.
private struct JoinedTransaction: Database, SQLDatabase {
    let base: any Database
    private var sql: any SQLDatabase { base as! any SQLDatabase }

    var context: DatabaseContext { base.context }
    var inTransaction: Bool { true }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        base.execute(query: query, onOutput: onOutput)
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { base.execute(schema: schema) }
    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { base.execute(enum: `enum`) }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { closure(self) }
    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> { closure(self) }

    var version: (any SQLDatabaseReportedVersion)? { sql.version }
    var dialect: any SQLDialect { sql.dialect }
    var queryLogLevel: Logger.Level? { sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        sql.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await sql.execute(sql: query, onRow)
    }
}
