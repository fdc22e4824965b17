import FluentKit
import Foundation
import InteriorCore
import SQLKit

/// An output of a prediction, stored in the public bucket under its variant slot.
struct StoredOutput: Codable, Sendable, Equatable {
    var slot: Int
    var imagePath: String
    var thumbPath: String
    var width: Int
    var height: Int
    var bytes: Int
}

/// A row of `generation_predictions`: one Replicate prediction of a job.
struct PredictionRow: Codable, Sendable, Equatable {
    var id: UUID
    var jobId: UUID
    var idx: Int
    var predictionId: String?
    /// What Replicate last said (`aborted` is kept as `failed`); `succeeded` with no `stored`
    /// is a success whose images are still to be stored.
    var status: JobStatus
    /// The variant slot of its first output; it fills `firstSlot ..< firstSlot + outputs`.
    var firstSlot: Int
    /// How many images it asks for.
    var outputs: Int
    /// JSON list of `StoredOutput`, once its images are stored.
    var stored: String?
    var errorCode: String?
    var error: String?
    var createdAt: Date
    var updatedAt: Date
    var completedAt: Date?
    /// Polls in a row that Replicate answered 404 for it (M007).
    var notFoundPolls: Int = 0

    /// Starting or processing at Replicate.
    var isRunning: Bool { status.isInFlight }
    /// Succeeded at Replicate, images not stored yet.
    var awaitsStorage: Bool { status == .succeeded && stored == nil }
    /// Nothing more will come of it: failed, canceled, or its images stored.
    var hasEnded: Bool { !isRunning && !awaitsStorage }
    /// Given up by us at the stuck cutoff; Replicate may still report a late success.
    var timedOut: Bool { status == .failed && errorCode == "TIMEOUT" }

    var storedOutputs: [StoredOutput] {
        guard let stored, let list = try? JSONDecoder().decode([StoredOutput].self, from: Data(stored.utf8)) else { return [] }
        return list
    }

    static func encode(_ outputs: [StoredOutput]) -> String {
        String(decoding: (try? JSONEncoder().encode(outputs)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// SQL for `generation_predictions`. Like the job's, every change of a row is a conditional
/// UPDATE stating the transitions it allows, so webhooks, polls and the reconciler — on any
/// instance, in any order — agree on each prediction.
struct PredictionRepository {
    let db: any Database

    private var sql: any SQLDatabase { db as! any SQLDatabase }

    private static let running = JobStatus.inFlight.map { SQLBind($0.rawValue) }

    /// Inserts the planned predictions of a new job (inside the job's insert transaction).
    static func insert(_ rows: [PredictionRow], on sql: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        try await sql.insert(into: "generation_predictions")
            .models(rows, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
            .run()
    }

    /// Records the prediction Replicate created for a planned row, only while its job is in
    /// flight; the first row's id is also the job's `prediction_id` (what the API shows and
    /// the webhook's first lookup uses).
    /// - Returns: false when the job ended meanwhile (a cancel won): the caller cancels the
    ///   prediction it made at Replicate.
    func attach(_ row: PredictionRow, predictionId: String, status: JobStatus, now: Date) async throws -> Bool {
        try await db.transaction { transaction in
            let sql = transaction as! any SQLDatabase
            let attached = try await sql.update("generation_predictions")
                .set("prediction_id", to: SQLBind(predictionId))
                .set("status", to: status == .processing ? SQLBind(JobStatus.processing.rawValue) : SQLColumn("status"))
                .set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(row.id))
                .where("prediction_id", .is, SQLLiteral.null)
                .where("status", .equal, SQLBind(JobStatus.starting.rawValue))
                .where(SQLRaw("EXISTS (SELECT 1 FROM generation_jobs j WHERE j.id = generation_predictions.job_id AND j.status IN ('starting', 'processing'))"))
                .returning("id")
                .all()
            guard !attached.isEmpty else {
                // The job ended meanwhile: the row still learns its prediction, as canceled, so
                // the prediction's own news finds it (and changes nothing). A row already ended
                // (abandoned by another instance) keeps what was decided; the prediction is then
                // unowned and the caller cancels it.
                try await sql.update("generation_predictions")
                    .set("prediction_id", to: SQLBind(predictionId))
                    .set("status", to: SQLBind(JobStatus.canceled.rawValue))
                    .set("error_code", to: SQLBind("CANCELED"))
                    .set("error", to: SQLBind("This generation was canceled. You have not been charged."))
                    .set("completed_at", to: SQLBind(now))
                    .set("updated_at", to: SQLBind(now))
                    .where("id", .equal, SQLBind(row.id))
                    .where("prediction_id", .is, SQLLiteral.null)
                    .where("status", .equal, SQLBind(JobStatus.starting.rawValue))
                    .run()
                return false
            }
            // The first prediction's id is the job's; until it is attached, any other's stands in.
            let jobPrediction: any SQLExpression = row.idx == 0
                ? SQLBind(predictionId) : SQLFunction("COALESCE", args: SQLColumn("prediction_id"), SQLBind(predictionId))
            try await sql.update("generation_jobs")
                .set("prediction_id", to: jobPrediction)
                .set("status", to: status == .processing ? SQLBind(JobStatus.processing.rawValue) : SQLColumn("status"))
                .set("updated_at", to: SQLBind(now))
                .where("id", .equal, SQLBind(row.jobId))
                .where(SQLColumn("status"), .in, SQLGroupExpression(SQLList(Self.running)))
                .run()
            return true
        }
    }

    /// `starting` → `processing`.
    @discardableResult
    func markProcessing(_ id: UUID, now: Date) async throws -> Bool {
        try await update(id, now: now, set: [("status", SQLBind(JobStatus.processing.rawValue))],
                         where: [SQLBinaryExpression(SQLColumn("status"), .equal, SQLBind(JobStatus.starting.rawValue))])
    }

    /// Replicate says it succeeded: from running, or from our own give-up at the cutoff.
    @discardableResult
    func markSucceeded(_ id: UUID, now: Date) async throws -> Bool {
        try await update(id, now: now, set: [
            ("status", SQLBind(JobStatus.succeeded.rawValue)), ("error_code", SQLLiteral.null), ("error", SQLLiteral.null),
            ("completed_at", SQLBind(now)),
        ], where: [SQLRaw("(status IN ('starting', 'processing') OR (status = 'failed' AND error_code = 'TIMEOUT'))")])
    }

    /// Records the stored images of a success; false when they were already recorded.
    @discardableResult
    func recordStored(_ id: UUID, outputs: [StoredOutput], now: Date) async throws -> Bool {
        try await update(id, now: now, set: [("stored", SQLBind(PredictionRow.encode(outputs)))], where: [
            SQLBinaryExpression(SQLColumn("status"), .equal, SQLBind(JobStatus.succeeded.rawValue)),
            SQLBinaryExpression(SQLColumn("stored"), .is, SQLLiteral.null),
        ])
    }

    /// Ends a prediction that produced nothing: `failed` or `canceled` from running, a timed-out
    /// one canceled by Replicate stays timed out, and a success whose images cannot be had
    /// becomes `failed` (NO_OUTPUT).
    @discardableResult
    func markEnded(_ id: UUID, status: JobStatus, code: String, message: String, now: Date) async throws -> Bool {
        precondition(status == .failed || status == .canceled)
        return try await update(id, now: now, set: [
            ("status", SQLBind(status.rawValue)), ("error_code", SQLBind(code)), ("error", SQLBind(message)),
            ("completed_at", SQLBind(now)),
        ], where: [SQLRaw("(status IN ('starting', 'processing') OR (status = 'succeeded' AND stored IS NULL))")])
    }

    /// A create's sign of life: while its instance awaits Replicate's answer, a planned row's
    /// `updated_at` is kept fresh, so a row left untouched for a lease belongs to an instance
    /// that died mid-submit.
    func touchCreating(_ id: UUID, now: Date) async throws {
        _ = try await update(id, now: now, set: [], where: [
            SQLBinaryExpression(SQLColumn("prediction_id"), .is, SQLLiteral.null),
            SQLBinaryExpression(SQLColumn("status"), .equal, SQLBind(JobStatus.starting.rawValue)),
        ])
    }

    /// Fails a job's planned rows whose create nobody has touched since `staleBefore` (see
    /// `touchCreating`); one conditional update, so of several instances noticing, one does it.
    /// - Returns: how many rows it failed.
    func abandonCreates(job: UUID, staleBefore: Date, code: String, message: String, now: Date) async throws -> Int {
        try await sql.update("generation_predictions")
            .set("status", to: SQLBind(JobStatus.failed.rawValue))
            .set("error_code", to: SQLBind(code))
            .set("error", to: SQLBind(message))
            .set("completed_at", to: SQLBind(now))
            .set("updated_at", to: SQLBind(now))
            .where("job_id", .equal, SQLBind(job))
            .where("prediction_id", .is, SQLLiteral.null)
            .where("status", .equal, SQLBind(JobStatus.starting.rawValue))
            .where("updated_at", .lessThan, SQLBind(staleBefore))
            .returning("id")
            .all().count
    }

    /// Forgets stored images once their objects are removed (a canceled job's, or ones its
    /// render did not take).
    func markDiscarded(_ id: UUID, now: Date) async throws {
        _ = try await update(id, now: now, set: [("stored", SQLBind("[]"))], where: [])
    }

    private func update(_ id: UUID, now: Date, set values: [(String, any SQLExpression)], where conditions: [any SQLExpression]) async throws -> Bool {
        var query = sql.update("generation_predictions")
        for (column, value) in values { query = query.set(SQLColumn(column), to: value) }
        query = query.set("updated_at", to: SQLBind(now)).where("id", .equal, SQLBind(id))
        for condition in conditions { query = query.where(condition) }
        return !(try await query.returning("id").all()).isEmpty
    }

    // MARK: Reads

    func find(predictionId: String) async throws -> PredictionRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_predictions")
            .where("prediction_id", .equal, SQLBind(predictionId))
            .first(decoding: PredictionRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// A job's predictions, in order.
    func rows(job: UUID) async throws -> [PredictionRow] {
        try await sql.select().column(SQLLiteral.all).from("generation_predictions")
            .where("job_id", .equal, SQLBind(job))
            .orderBy("idx")
            .all(decoding: PredictionRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Successes still waiting for their images to be stored, of jobs that are in flight or
    /// were given up at the cutoff, learnt since `since` (Replicate keeps outputs an hour).
    func awaitingStorage(since: Date, limit: Int) async throws -> [PredictionRow] {
        try await sql.raw("""
            SELECT p.* FROM generation_predictions p JOIN generation_jobs j ON j.id = p.job_id
            WHERE p.status = 'succeeded' AND p.stored IS NULL AND p.completed_at > \(bind: since)
              AND (j.status IN ('starting', 'processing') OR (j.status = 'failed' AND j.error_code = 'TIMEOUT'))
            ORDER BY p.completed_at
            LIMIT \(bind: limit)
            """).all(decoding: PredictionRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
