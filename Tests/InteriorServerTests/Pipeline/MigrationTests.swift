import FluentKit
import Foundation
import InteriorCore
@testable import InteriorServer
import Logging
import Replicate
import ReplicateEmulator
import SQLKit
import Testing
import Vapor

extension PipelineSuite {
    /// M006 on a database that already has jobs (SQLite and PostgreSQL): each job with a
    /// prediction gets its row, the jobs and what points at them stay intact, and a job that was
    /// in flight before the migration still finishes through the new rule.
    @Suite("Migration: predictions of existing jobs")
    struct MigrationTests {
        @Test("a job from before the predictions table still stores its success; nothing loses its job")
        func existingJobsKeepWorking() async throws {
            var logger = Logger(label: "test-emulator")
            logger.logLevel = .error
            let emulator = try await ReplicateEmulator.start(EmulatorConfiguration(startDelay: .zero, processingDelay: .milliseconds(20)), logger: logger)
            defer { Task { await emulator.shutdown() } }
            let connection = ReplicateConnection(baseURL: emulator.baseURL, token: Secret(emulator.token),
                                                 webhookSecret: Secret(emulator.webhookSecret), isEmulator: true)
            try await withTemporaryDirectory { directory in
                try await TestDatabase.withFresh(in: directory) { databaseURL in
                    let settings = try Settings.load(environment: [
                        "ENV": "testing", "DATABASE_URL": databaseURL, "STORAGE_URL": "file://\(directory.path)/storage",
                        "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret,
                        "STORAGE_SIGNING_SECRET": "test-storage-signing-secret-0123456789abcdef",
                    ], workingDirectory: directory)
                    let owner = UUID()
                    let now = Date(timeIntervalSince1970: 1_780_000_000)
                    // A finished prediction at "Replicate", as a job of the old shape knew it.
                    let client = ReplicateClient(configuration: .init(baseURL: emulator.baseURL, token: emulator.token),
                                                 httpClient: .shared, logger: logger)
                    let finished = try await client.createPrediction(
                        model: "google/nano-banana", input: ModelInput([.init(key: "prompt", value: .string("A Japandi study"))]), wait: 30)
                    #expect(finished.status == .succeeded)

                    // The database before M006, with three jobs of the old shape.
                    let old = try await Application.make(.testing)
                    var jobs: [JobRow] = []
                    do {
                        try configureDatabase(old, settings.database)
                        old.migrations.add(Array(InteriorMigrations.all.prefix(5)))
                        try await old.autoMigrate()
                        _ = try await ProfileRepository(sql: old.sql).upsert(id: owner, email: nil, now: now)
                        var inFlight = DatabaseTests.job(owner: owner, status: .processing, predictionId: finished.id, at: now)
                        inFlight.variants = 1
                        let succeeded = DatabaseTests.job(owner: owner, status: .succeeded, predictionId: "legacy-succeeded", at: now)
                        var timedOut = DatabaseTests.job(owner: owner, status: .failed, predictionId: "legacy-timeout", at: now)
                        timedOut.errorCode = "TIMEOUT"
                        jobs = [inFlight, succeeded, timedOut]
                        for job in jobs {
                            try await DatabaseTests.insert(job, old.sql)
                            try await UsageRepository(sql: old.sql).record(.debit, id: UUID(), owner: owner, job: job.id, reason: nil, now: now)
                        }
                    } catch {
                        try? await old.asyncShutdown()
                        throw error
                    }
                    try await old.asyncShutdown()

                    // The current application migrates it and carries on.
                    let app = try await Application.make(.testing)
                    do {
                        try await configure(app, settings: settings,
                                            dependencies: Dependencies(now: { now }, replicate: connection, sleep: { _ in }, backgroundWork: false))
                        let predictions = PredictionRepository(db: app.db)
                        let rows = try await jobs.asyncMap { try await predictions.rows(job: $0.id) }
                        #expect(rows.map(\.count) == [1, 1, 1])
                        #expect(rows.map { $0.first?.predictionId } == [finished.id, "legacy-succeeded", "legacy-timeout"])
                        #expect(rows.map { $0.first?.status } == [.processing, .succeeded, .processing],
                                "a timed-out job's prediction may still report a late success")
                        #expect(rows[1].first?.hasEnded == true)
                        #expect(try await DatabaseTests.count("usage_ledger", app.sql) == 3, "the ledger still points at every job")

                        // The widened aspect ratios are accepted; anything else still is not.
                        var matched = DatabaseTests.job(owner: owner, status: .failed, at: now)
                        matched.aspectRatio = .match
                        try await DatabaseTests.insert(matched, app.sql)
                        await #expect(throws: (any Error).self) {
                            try await app.sql.raw("UPDATE generation_jobs SET aspect_ratio = '7:5' WHERE id = \(bind: matched.id)").run()
                        }
                        // The rebuilt table keeps its constraints and its place as a parent.
                        await #expect(throws: (any Error).self, "one in-flight job per owner") {
                            try await DatabaseTests.insert(DatabaseTests.job(owner: owner, status: .starting, at: now), app.sql)
                        }
                        await #expect(throws: (any Error).self, "renders still reference their job") {
                            try await app.sql.raw("""
                                INSERT INTO renders (id, job_id, owner_id, mode, room_type, style, cover_variant, created_at)
                                VALUES (\(bind: UUID()), \(bind: UUID()), \(bind: owner), 'imagine', 'x', 'y', 0, \(bind: now))
                                """).run()
                        }

                        // The job that was in flight hears of its success and stores its image.
                        let outcome = try await app.interior.inbox.recordAndApply(finished, job: jobs[0].id, source: .webhook)
                        #expect(outcome == .done)
                        let stored = try await JobRepository(db: app.db).find(id: jobs[0].id)
                        #expect(stored?.status == .succeeded)
                        #expect(try await RenderRepository(sql: app.sql).find(job: jobs[0].id)?.variants.count == 1)
                        #expect(try await UsageRepository(sql: app.sql).hasEntry(.refund, job: jobs[0].id) == false)
                    } catch {
                        try? await app.asyncShutdown()
                        throw error
                    }
                    try await app.asyncShutdown()
                }
            }
            await emulator.shutdown()
        }
    }
}
