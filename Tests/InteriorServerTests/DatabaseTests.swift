import FluentKit
import Foundation
import InteriorCore
@testable import InteriorServer
import SQLKit
import Testing

/// The rules of SPEC §4 that live in the schema, proven on the database under test
/// (SQLite, and PostgreSQL in `make test`'s second pass).
@Suite("Database: migrations and constraints")
struct DatabaseTests {
    static func job(owner: UUID, status: JobStatus = .starting, idempotencyKey: UUID? = nil,
                    predictionId: String? = nil, at date: Date = Date(timeIntervalSince1970: 1_780_000_000)) -> JobRow {
        JobRow(id: UUID(), ownerId: owner, mode: .imagine, roomType: "living_room", style: "coastal_au",
               aspectRatio: .square, quality: .auto, variants: 2, prompt: "a calm room", finalPrompt: nil,
               input1Path: nil, input2Path: nil, model: "openai/gpt-image-1", predictionId: predictionId,
               status: status, errorCode: nil, error: nil, idempotencyKey: idempotencyKey,
               requestFingerprint: nil, createdAt: date, updatedAt: date, lastPolledAt: nil, completedAt: nil)
    }

    static func profile(_ t: TestContext) async throws -> UUID {
        let id = UUID()
        _ = try await ProfileRepository(sql: t.sql).upsert(id: id, email: nil, now: t.clock.now)
        return id
    }

    /// Columns the job leaves nil are left out, so the row also fits the schema of an older
    /// migration (the migration tests insert jobs of the old shape).
    static func insert(_ job: JobRow, _ sql: any SQLDatabase) async throws {
        try await sql.insert(into: "generation_jobs")
            .model(job, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .default).run()
    }

    static func count(_ table: String, _ sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int.self)
    }

    @Test("20 concurrent in-flight inserts for one owner: exactly one succeeds, one debit")
    func inflightRace() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            let outcomes = try await withThrowingTaskGroup(of: JobInsertOutcome.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await JobRepository(db: t.app.db).insertWithDebit(Self.job(owner: owner), predictions: [], debitId: UUID())
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .inserted }.count == 1)
            #expect(outcomes.filter { $0 == .ownerHasJobInFlight }.count == 19)
            #expect(try await Self.count("generation_jobs", t.sql) == 1)
            #expect(try await Self.count("usage_ledger", t.sql) == 1)
        }
    }

    @Test("the in-flight index admits one starting/processing job per owner and any number of finished ones")
    func inflightIndex() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            let other = try await Self.profile(t)
            for status in [JobStatus.succeeded, .failed, .canceled, .succeeded] {
                try await Self.insert(Self.job(owner: owner, status: status), t.sql)
            }
            try await Self.insert(Self.job(owner: owner, status: .processing), t.sql)
            try await Self.insert(Self.job(owner: other, status: .starting), t.sql)
            for status in [JobStatus.starting, .processing] {
                let error = await #expect(throws: (any Error).self) { try await Self.insert(Self.job(owner: owner, status: status), t.sql) }
                #expect(error.flatMap(UniqueConstraint.violated(by:)) == .inflightJob)
            }
            // Finishing the job frees the slot.
            try await t.sql.update("generation_jobs").set("status", to: "succeeded")
                .where("owner_id", .equal, SQLBind(owner)).where("status", .equal, "processing").run()
            try await Self.insert(Self.job(owner: owner, status: .starting), t.sql)
        }
    }

    @Test("a row's pollDue agrees with the conditional claim: never polled, inside and at the threshold")
    func pollDueMatchesClaim() async throws {
        try await withTestApp { t in
            let job = Self.job(owner: try await Self.profile(t), status: .processing)
            try await Self.insert(job, t.sql)
            let repository = JobRepository(db: t.app.db)
            let now = Date(timeIntervalSince1970: 1_780_000_100)
            for (lastPolled, due) in [(nil, true), (now.addingTimeInterval(-4.5), false), (now.addingTimeInterval(-5), true)] as [(Date?, Bool)] {
                try await t.sql.update("generation_jobs").set("last_polled_at", to: SQLBind(lastPolled))
                    .where("id", .equal, SQLBind(job.id)).run()
                let read = try #require(try await repository.find(id: job.id))
                #expect(read.pollDue(now: now, staleAfter: 5) == due, "\(String(describing: lastPolled))")
                #expect(try await repository.claimPoll(job: job.id, now: now, staleAfter: 5) == due, "\(String(describing: lastPolled))")
            }
        }
    }

    @Test("an idempotency key is unique per owner, not across owners")
    func idempotencyKey() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            let other = try await Self.profile(t)
            let key = UUID()
            try await Self.insert(Self.job(owner: owner, status: .succeeded, idempotencyKey: key), t.sql)
            try await Self.insert(Self.job(owner: other, status: .succeeded, idempotencyKey: key), t.sql)
            try await Self.insert(Self.job(owner: owner, status: .succeeded, idempotencyKey: nil), t.sql)
            try await Self.insert(Self.job(owner: owner, status: .succeeded, idempotencyKey: nil), t.sql)
            let error = await #expect(throws: (any Error).self) {
                try await Self.insert(Self.job(owner: owner, status: .failed, idempotencyKey: key), t.sql)
            }
            #expect(error.flatMap(UniqueConstraint.violated(by:)) == .idempotencyKey)

            let outcome = try await JobRepository(db: t.app.db).insertWithDebit(Self.job(owner: owner, idempotencyKey: key), predictions: [], debitId: UUID())
            #expect(outcome == .idempotencyKeyTaken)
            #expect(try await Self.count("usage_ledger", t.sql) == 0, "a refused insert charges nothing")
        }
    }

    @Test("prediction ids are unique; many jobs may have none yet")
    func predictionId() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            try await Self.insert(Self.job(owner: owner, status: .failed, predictionId: "p1"), t.sql)
            try await Self.insert(Self.job(owner: owner, status: .failed), t.sql)
            try await Self.insert(Self.job(owner: owner, status: .failed), t.sql)
            let error = await #expect(throws: (any Error).self) {
                try await Self.insert(Self.job(owner: owner, status: .failed, predictionId: "p1"), t.sql)
            }
            #expect(error.flatMap(UniqueConstraint.violated(by:)) == .predictionId)
        }
    }

    @Test("one render per job, and a variant index once per render")
    func renders() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            let job = Self.job(owner: owner, status: .succeeded)
            try await Self.insert(job, t.sql)
            let renderId = UUID()
            func insertRender(_ id: UUID) async throws {
                try await t.sql.insert(into: "renders")
                    .columns("id", "job_id", "owner_id", "mode", "room_type", "style", "created_at")
                    .values(SQLBind(id), SQLBind(job.id), SQLBind(owner), SQLBind("imagine"), SQLBind("living_room"), SQLBind("coastal_au"), SQLBind(t.clock.now))
                    .run()
            }
            func insertVariant(_ index: Int) async throws {
                try await t.sql.insert(into: "render_variants")
                    .columns("id", "render_id", "owner_id", "idx", "image_path", "thumb_path", "width", "height", "bytes", "created_at")
                    .values(SQLBind(UUID()), SQLBind(renderId), SQLBind(owner), SQLBind(index), SQLBind("renders/x/\(index).webp"),
                            SQLBind("renders/x/\(index)_thumb.webp"), SQLBind(1024), SQLBind(1024), SQLBind(1000), SQLBind(t.clock.now))
                    .run()
            }
            try await insertRender(renderId)
            let second = await #expect(throws: (any Error).self) { try await insertRender(UUID()) }
            #expect(second.flatMap(UniqueConstraint.violated(by:)) == .renderPerJob)

            try await insertVariant(0)
            try await insertVariant(1)
            let duplicate = await #expect(throws: (any Error).self) { try await insertVariant(1) }
            #expect(duplicate.flatMap(UniqueConstraint.violated(by:)) == .variantIndex)
            await #expect(throws: (any Error).self, "idx must not be negative") { try await insertVariant(-1) }
        }
    }

    @Test("the ledger takes one entry of each kind per job, and adjustments freely")
    func ledger() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            let job = Self.job(owner: owner, status: .succeeded)
            try await Self.insert(job, t.sql)
            let usage = UsageRepository(sql: t.sql)
            for entry in [LedgerEntry.debit, .refund, .redebit] {
                #expect(try await usage.record(entry, id: UUID(), owner: owner, job: job.id, reason: nil, now: t.clock.now))
                #expect(try await usage.record(entry, id: UUID(), owner: owner, job: job.id, reason: nil, now: t.clock.now) == false,
                        "\(entry) recorded twice")
            }
            try await usage.recordAdjustment(id: UUID(), owner: owner, amount: 5, reason: "goodwill", now: t.clock.now)
            try await usage.recordAdjustment(id: UUID(), owner: owner, amount: 5, reason: "goodwill", now: t.clock.now)
            #expect(try await Self.count("usage_ledger", t.sql) == 5)
        }
    }

    @Test("check constraints refuse impossible rows")
    func checks() async throws {
        try await withTestApp { t in
            let owner = try await Self.profile(t)
            var bad = Self.job(owner: owner, status: .succeeded)
            try await Self.insert(bad, t.sql)
            let jobId = bad.id

            func ledger(_ entry: String, amount: Int, job: UUID?) async throws {
                try await t.sql.insert(into: "usage_ledger")
                    .columns("id", "owner_id", "job_id", "entry", "amount", "created_at")
                    .values(SQLBind(UUID()), SQLBind(owner), SQLBind(job), SQLBind(entry), SQLBind(amount), SQLBind(t.clock.now))
                    .run()
            }
            await #expect(throws: (any Error).self, "zero amount") { try await ledger("debit", amount: 0, job: jobId) }
            await #expect(throws: (any Error).self, "negative amount") { try await ledger("adjustment", amount: -3, job: nil) }
            await #expect(throws: (any Error).self, "unknown entry") { try await ledger("bonus", amount: 1, job: jobId) }
            await #expect(throws: (any Error).self, "debit without a job") { try await ledger("debit", amount: 1, job: nil) }
            await #expect(throws: (any Error).self, "adjustment tied to a job") { try await ledger("adjustment", amount: 1, job: jobId) }

            bad.id = UUID()
            await #expect(throws: (any Error).self, "bad status") {
                try await t.sql.insert(into: "generation_jobs")
                    .model(bad, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil).run()
                try await t.sql.update("generation_jobs").set("status", to: "done").where("id", .equal, SQLBind(bad.id)).run()
            }
            await #expect(throws: (any Error).self, "variants out of range") {
                try await t.sql.update("generation_jobs").set("variants", to: SQLBind(0)).where("id", .equal, SQLBind(jobId)).run()
            }
            await #expect(throws: (any Error).self, "a job for an unknown owner") {
                try await Self.insert(Self.job(owner: UUID(), status: .failed), t.sql)
            }
        }
    }

    @Test("after the locked migration run every SQLite connection enforces foreign keys again",
          .enabled(if: !TestDatabase.isPostgres))
    func foreignKeysAfterMigrating() async throws {
        try await withTestApp { t in
            // One SQLite connection per event loop: asking on each loop asks every connection.
            for loop in t.app.eventLoopGroup.makeIterator() {
                let sql = try #require(t.app.databases.database(logger: t.app.logger, on: loop)) as! any SQLDatabase
                let enforced = try await sql.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self)
                #expect(enforced == 1)
            }
        }
    }

    @Test("migrations revert cleanly and apply again")
    func revertAndReapply() async throws {
        try await withTestApp { t in
            try await t.app.autoRevert()
            await #expect(throws: (any Error).self) { _ = try await Self.count("generation_jobs", t.sql) }
            try await t.app.autoMigrate()
            #expect(try await Self.count("generation_jobs", t.sql) == 0)
        }
    }
}
