import FluentKit
import Foundation
import InteriorCore
import SQLKit

/// A row of `generation_jobs`.
struct JobRow: Codable, Sendable, Equatable {
    var id: UUID
    var ownerId: UUID
    var mode: GenerationMode
    var roomType: String
    var style: String
    var aspectRatio: AspectRatio
    var quality: Quality
    var variants: Int
    var prompt: String?
    var finalPrompt: String?
    var input1Path: String?
    var input2Path: String?
    var model: String
    var predictionId: String?
    var status: JobStatus
    var errorCode: String?
    var error: String?
    var idempotencyKey: UUID?
    var requestFingerprint: String?
    var createdAt: Date
    var updatedAt: Date
    var lastPolledAt: Date?
    var completedAt: Date?
    /// The W3C `traceparent` the job's spans hang off (nil when tracing was off at submit).
    var traceParent: String? = nil
}

extension JobRow {
    /// Whether `claimPoll` could succeed for this row as read: never polled, or not in the
    /// last `staleAfter` seconds. A read that says no spares the database a write; a yes still
    /// has to win the claim.
    func pollDue(now: Date, staleAfter: TimeInterval) -> Bool {
        lastPolledAt.map { $0 <= now.addingTimeInterval(-staleAfter) } ?? true
    }
}

/// The outcome of trying to take an owner's in-flight slot.
enum JobInsertOutcome: Equatable, Sendable {
    case inserted
    /// The owner already has a job starting or processing (the partial unique index said so).
    case ownerHasJobInFlight
    /// The owner already used this idempotency key.
    case idempotencyKeyTaken
}

/// A page of rows, newest first, and the cursor of the next page.
struct Page<Row: Sendable>: Sendable {
    let rows: [Row]
    let next: PageCursor?
}

/// SQL for `generation_jobs`. Every status change is a conditional UPDATE whose WHERE clause
/// states the transitions it allows, so concurrent writers (webhook, poll, reconciler, other
/// instances) cannot move a job backwards or finish it twice; the ledger entry that goes with
/// a change is written in the same transaction.
struct JobRepository {
    let db: any Database

    var sql: any SQLDatabase { db as! any SQLDatabase }
    private static let inFlight = JobStatus.inFlight.map { SQLBind($0.rawValue) }

    // MARK: Submit

    /// Inserts a new in-flight job, its planned predictions and its debit in one transaction. The insert *is* the
    /// one-in-flight lock: a concurrent or existing in-flight job of the owner makes it fail
    /// in the database, and then nothing is charged.
    func insertWithDebit(_ job: JobRow, predictions: [PredictionRow], debitId: UUID) async throws -> JobInsertOutcome {
        precondition(job.status.isInFlight, "a new job starts in flight")
        do {
            try await db.transaction { transaction in
                let sql = transaction as! any SQLDatabase
                try await sql.insert(into: "generation_jobs")
                    .model(job, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
                    .run()
                try await PredictionRepository.insert(predictions, on: sql)
                try await UsageRepository(sql: sql).record(
                    .debit, id: debitId, owner: job.ownerId, job: job.id, reason: "generation submitted", now: job.createdAt)
            }
            return .inserted
        } catch {
            switch UniqueConstraint.violated(by: error) {
            case .inflightJob: return .ownerHasJobInFlight
            case .idempotencyKey: return .idempotencyKeyTaken
            default: throw error
            }
        }
    }

    // MARK: Transitions

    /// `starting` → `processing` (and attaches the prediction id when the job has none).
    /// A terminal job is never moved back.
    @discardableResult
    func markProcessing(job: UUID, predictionId: String?, now: Date) async throws -> Bool {
        let rows = try await sql.update("generation_jobs")
            .set("status", to: SQLBind(JobStatus.processing.rawValue))
            .set("prediction_id", to: SQLFunction("COALESCE", args: SQLColumn("prediction_id"), SQLBind(predictionId)))
            .set("updated_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(job))
            .where("status", .equal, SQLBind(JobStatus.starting.rawValue))
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    /// Ends an in-flight job as `failed` or `canceled` and records its refund, in one
    /// transaction. Only an in-flight job is ended (and, with `createdBefore`, only one that
    /// old), so of several instances racing to end it exactly one does, and it is refunded once.
    /// - Returns: whether this call ended the job.
    func finishUnsuccessfully(job: UUID, status: JobStatus, errorCode: String, message: String, now: Date,
                              refundId: UUID, createdBefore: Date? = nil) async throws -> Bool {
        precondition(status == .failed || status == .canceled)
        return try await db.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            var update = sql.update("generation_jobs")
                .set("status", to: SQLBind(status.rawValue))
                .set("error_code", to: SQLBind(errorCode))
                .set("error", to: SQLBind(message))
                .set("completed_at", to: SQLBind(now))
                .set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(job))
                .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.inFlight)))
            if let createdBefore {
                update = update.where("created_at", .lessThan, SQLBind(createdBefore))
            }
            struct Owner: Decodable { let ownerId: UUID }
            guard let row = try await update.returning("owner_id").first(decoding: Owner.self, keyDecodingStrategy: SnakeCaseColumns.strategy) else {
                return false
            }
            try await UsageRepository(sql: sql).record(
                .refund, id: refundId, owner: row.ownerId, job: job, reason: errorCode.lowercased(), now: now)
            return true
        }
    }

    /// Stores a success: the render and its variants, the job `succeeded`, and — if the job
    /// had been refunded (failed by the stuck timeout, then a late success) — a `redebit`, all in one
    /// transaction. A job that already has its render is left alone, so two workers applying
    /// the same success produce one render. Canceled jobs stay canceled.
    /// - Returns: whether this call stored the render.
    func markSucceeded(job: UUID, render: RenderRow, variants: [VariantRow], now: Date, redebitId: UUID) async throws -> Bool {
        do {
            return try await storeSuccess(job: job, render: render, variants: variants, now: now, redebitId: redebitId)
        } catch is RenderAlreadyStored {
            return false
        }
    }

    private func storeSuccess(job: UUID, render: RenderRow, variants: [VariantRow], now: Date, redebitId: UUID) async throws -> Bool {
        try await db.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            struct Owner: Decodable { let ownerId: UUID }
            let updated = try await sql.update("generation_jobs")
                .set("status", to: SQLBind(JobStatus.succeeded.rawValue))
                .set("error_code", to: SQLLiteral.null)
                .set("error", to: SQLLiteral.null)
                .set("completed_at", to: SQLBind(now))
                .set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(job))
                .where(SQLRaw("(status IN ('starting', 'processing') OR (status = 'failed' AND error_code = 'TIMEOUT'))"))
                .returning("owner_id")
                .first(decoding: Owner.self, keyDecodingStrategy: SnakeCaseColumns.strategy)
            guard let owner = updated?.ownerId else { return false }
            let inserted = try await RenderRepository(sql: sql).insert(render, variants: variants)
            guard inserted else {
                // Another worker stored this render first; roll back our status change.
                throw RenderAlreadyStored()
            }
            let usage = UsageRepository(sql: sql)
            if try await usage.hasEntry(.refund, job: job) {
                try await usage.record(.redebit, id: redebitId, owner: owner, job: job, reason: "late success", now: now)
            }
            return true
        }
    }

    /// Marks the owner's render deleted and moves its job's `updated_at` on, in one transaction:
    /// the job's answer no longer lists the render, and `updated_at` is what a remembered answer
    /// is checked against (`SettledJobs`). The new value reads back differently from the old
    /// even when the clock has not moved. Dates read back rounded to the microsecond, SQLite keeps
    /// whatever double was written, and a date as seconds since 1970 carries about a quarter of a
    /// microsecond of float error, so the old value is compared with a margin far above both: one
    /// within 10 µs of `now` becomes `now` + 20 µs, any other becomes `now`.
    /// - Returns: false if there is no such live render.
    func deleteRender(id: UUID, owner: UUID, now: Date) async throws -> Bool {
        let now = Dependencies.storable(now)
        let margin = 0.000_010
        return try await db.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            guard let job = try await RenderRepository(sql: sql).softDelete(id: id, owner: owner, now: now) else { return false }
            let next = Dependencies.storable(now.addingTimeInterval(2 * margin))
            try await sql.raw("""
                UPDATE generation_jobs
                SET updated_at = CASE
                    WHEN updated_at >= \(bind: now.addingTimeInterval(-margin))
                     AND updated_at <= \(bind: now.addingTimeInterval(margin)) THEN \(bind: next)
                    ELSE \(bind: now) END
                WHERE id = \(bind: job)
                """).run()
            return true
        }
    }

    /// Claims the right to poll Replicate for this job now: only when it was not polled in
    /// the last `staleAfter` seconds (`JobRow.pollDue` says the same of a row already read).
    /// Concurrent status requests therefore poll once.
    func claimPoll(job: UUID, now: Date, staleAfter: TimeInterval) async throws -> Bool {
        let rows = try await sql.update("generation_jobs")
            .set("last_polled_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(job))
            .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.inFlight)))
            .where { $0.where("last_polled_at", .is, SQLLiteral.null).orWhere("last_polled_at", .lessThanOrEqual, SQLBind(now.addingTimeInterval(-staleAfter))) }
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    // MARK: Reads

    /// The owner's job with this id; nil for another owner's job, so ids cannot be probed.
    func find(id: UUID, owner: UUID) async throws -> JobRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("id", .equal, SQLBind(id))
            .where("owner_id", .equal, SQLBind(owner))
            .first(row: JobRow.self)
    }

    /// Any job by id (for webhooks and workers, which act for no user).
    func find(id: UUID) async throws -> JobRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("id", .equal, SQLBind(id))
            .first(row: JobRow.self)
    }

    func find(predictionId: String) async throws -> JobRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("prediction_id", .equal, SQLBind(predictionId))
            .first(row: JobRow.self)
    }

    func find(owner: UUID, idempotencyKey: UUID) async throws -> JobRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("owner_id", .equal, SQLBind(owner))
            .where("idempotency_key", .equal, SQLBind(idempotencyKey))
            .first(row: JobRow.self)
    }

    /// The owner's jobs, newest first.
    func list(owner: UUID, after cursor: PageCursor?, limit: Int) async throws -> Page<JobRow> {
        var query = sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("owner_id", .equal, SQLBind(owner))
        if let cursor {
            query = query.where(cursor.olderThan(createdAt: SQLColumn("created_at"), id: SQLColumn("id")))
        }
        let rows = try await query
            .orderBy("created_at", .descending).orderBy("id", .descending)
            .limit(limit + 1)
            .all(rows: JobRow.self)
        return PageCursor.page(rows, limit: limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    /// Takes up to `limit` in-flight jobs not updated since `date` for this sweep, oldest first,
    /// skipping any another sweep took in the last `gap` seconds. The mark (`swept_at`) is the
    /// claim, and on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two instances claiming at the same
    /// moment from taking the same jobs; SQLite has one writer, which does the same.
    func claimForSweep(updatedBefore date: Date, now: Date, gap: TimeInterval, limit: Int) async throws -> [JobRow] {
        let skipLocked: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
        return try await sql.raw("""
            UPDATE generation_jobs SET swept_at = \(bind: now)
            WHERE id IN (
                SELECT id FROM generation_jobs
                WHERE status IN ('starting', 'processing') AND updated_at < \(bind: date)
                  AND (swept_at IS NULL OR swept_at <= \(bind: now.addingTimeInterval(-gap)))
                ORDER BY updated_at
                LIMIT \(bind: limit)
                \(skipLocked))
            RETURNING *
            """).all(rows: JobRow.self)
    }

    /// In-flight jobs not updated since `date` (the reconciler polls them), oldest first.
    func inFlight(updatedBefore date: Date, limit: Int) async throws -> [JobRow] {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.inFlight)))
            .where("updated_at", .lessThan, SQLBind(date))
            .orderBy("updated_at")
            .limit(limit)
            .all(rows: JobRow.self)
    }

    /// Whether the owner has a job in flight: a cheap early answer for submit, before any
    /// image is read. The insert's unique index stays the rule that decides.
    func hasJobInFlight(owner: UUID) async throws -> Bool {
        try await sql.select().column("id").from("generation_jobs")
            .where("owner_id", .equal, SQLBind(owner))
            .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.inFlight)))
            .limit(1)
            .first() != nil
    }

    /// How many jobs are in flight (the in-flight gauge).
    func countInFlight() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("generation_jobs")
            .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.inFlight)))
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

/// Thrown inside `markSucceeded`'s transaction to roll it back when the render exists.
private struct RenderAlreadyStored: Error {}
