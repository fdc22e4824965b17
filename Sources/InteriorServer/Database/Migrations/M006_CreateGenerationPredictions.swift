import FluentKit
import Foundation
import SQLKit

/// `generation_predictions`: the predictions of a job. A job asks a model that returns fewer
/// images per prediction than the job's variants for one prediction per missing variant, so a
/// job has one or more; the job's own `status` stays the summary the API shows.
/// Each row remembers which variant slots its outputs fill (`first_slot`, `outputs`), what
/// Replicate last said of it (`status`), and — once its images are stored — their objects
/// (`stored`, JSON), so the job can be decided from its rows alone.
///
/// Also widens `generation_jobs.aspect_ratio` to the ratios profiles now offer and `match`
/// (the photo's own shape), gives every existing job with a prediction its row, so jobs created
/// before this migration keep working, and adds `generation_jobs.swept_at`, the reconciler's claim.
struct M006_CreateGenerationPredictions: AsyncMigration {
    static let aspectRatios = ["match", "1:1", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9"]

    func prepare(on database: any Database) async throws {
        try await database.schema("generation_predictions")
            .field("id", .uuid, .identifier(auto: false))
            .field("job_id", .uuid, .required, .references("generation_jobs", "id"))
            .field("idx", .int, .required)
            .field("prediction_id", .string)
            .field("status", .string, .required)
            .field("first_slot", .int, .required)
            .field("outputs", .int, .required)
            .field("stored", .string)
            .field("error_code", .string)
            .field("error", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("completed_at", .datetime)
            .unique(on: "job_id", "idx", name: "uq_generation_predictions_job_idx")
            .unique(on: "prediction_id", name: "uq_generation_predictions_prediction_id")
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_predictions_status CHECK (status IN ('starting', 'processing', 'succeeded', 'failed', 'canceled'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_predictions_idx CHECK (idx >= 0 AND first_slot >= 0 AND outputs >= 1)"))
            .create()
        let sql = database as! any SQLDatabase
        // The reconciler's and the status poll's scan: what is still running.
        try await sql.raw("""
            CREATE INDEX ix_generation_predictions_running ON generation_predictions (job_id)
            WHERE status IN ('starting', 'processing', 'succeeded') AND stored IS NULL
            """).run()

        try await widenAspectRatios(sql, database: database)
        try await backfill(sql)
        // When an instance's reconciler last took the job for a sweep: instances share the
        // sweep instead of each polling every job (a separate mark from `last_polled_at`, which
        // a user polling the status endpoint keeps fresh).
        try await database.schema("generation_jobs").field("swept_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("generation_predictions").delete()
    }

    // MARK: Aspect ratios

    private func widenAspectRatios(_ sql: any SQLDatabase, database: any Database) async throws {
        let check = "CHECK (aspect_ratio IN (" + Self.aspectRatios.map { "'\($0)'" }.joined(separator: ", ") + "))"
        if sql.dialect.name == "postgresql" {
            try await sql.raw("ALTER TABLE generation_jobs DROP CONSTRAINT ck_generation_jobs_aspect_ratio").run()
            try await sql.raw(SQLQueryString("ALTER TABLE generation_jobs ADD CONSTRAINT ck_generation_jobs_aspect_ratio \(unsafeRaw: check)")).run()
            return
        }
        // SQLite cannot alter a constraint: the table is rebuilt the way SQLite documents
        // (lang_altertable.html, "other kinds of table schema changes"), on one connection
        // with foreign keys off so the renders and ledger rows keep pointing at their jobs.
        try await database.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            do {
                try await connection.transaction { transaction in
                    let sql = transaction as! any SQLDatabase
                    let row = try await sql.raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'generation_jobs'").first()
                    guard let create = try row?.decode(column: "sql", as: String.self),
                          let start = create.range(of: "CHECK (aspect_ratio IN ("),
                          let end = create[start.upperBound...].range(of: "))") else {
                        throw MigrationFailure("generation_jobs has no aspect ratio constraint to widen")
                    }
                    let rebuilt = create.replacingCharacters(in: start.lowerBound..<end.upperBound, with: check)
                        .replacingOccurrences(of: "CREATE TABLE \"generation_jobs\"", with: "CREATE TABLE \"generation_jobs_new\"")
                        .replacingOccurrences(of: "CREATE TABLE generation_jobs", with: "CREATE TABLE generation_jobs_new")
                    guard rebuilt.contains("generation_jobs_new") else { throw MigrationFailure("unexpected generation_jobs definition") }
                    let indexes = try await sql.raw("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'generation_jobs' AND sql IS NOT NULL")
                        .all().map { try $0.decode(column: "sql", as: String.self) }
                    try await sql.raw(SQLQueryString(rebuilt)).run()
                    try await sql.raw("INSERT INTO generation_jobs_new SELECT * FROM generation_jobs").run()
                    try await sql.raw("DROP TABLE generation_jobs").run()
                    try await sql.raw("ALTER TABLE generation_jobs_new RENAME TO generation_jobs").run()
                    for index in indexes { try await sql.raw(SQLQueryString(index)).run() }
                    let broken = try await sql.raw("PRAGMA foreign_key_check").all()
                    if !broken.isEmpty { throw MigrationFailure("\(broken.count) rows lost their job in the rebuild") }
                }
            } catch {
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }

    // MARK: Existing jobs

    private struct ExistingJob: Decodable {
        let id: UUID
        let predictionId: String
        let status: String
        let errorCode: String?
        let error: String?
        let variants: Int
        let createdAt: Date
        let updatedAt: Date
        let completedAt: Date?
    }

    /// One row per job that has a prediction: it asked for all the job's variants. A job that
    /// ended as a success had its images stored with the render (nothing more to store); one
    /// stopped by the timeout may still hear of its prediction, which is left running.
    private func backfill(_ sql: any SQLDatabase) async throws {
        let jobs = try await sql.select()
            .columns("id", "prediction_id", "status", "error_code", "error", "variants", "created_at", "updated_at", "completed_at")
            .from("generation_jobs")
            .where("prediction_id", .isNot, SQLLiteral.null)
            .all(decoding: ExistingJob.self, keyDecodingStrategy: .convertFromSnakeCase)
        for job in jobs {
            let timedOut = job.status == "failed" && job.errorCode == "TIMEOUT"
            let status = timedOut ? "processing" : job.status
            let ended = ["succeeded", "failed", "canceled"].contains(status)
            try await sql.insert(into: "generation_predictions")
                .columns("id", "job_id", "idx", "prediction_id", "status", "first_slot", "outputs", "stored",
                         "error_code", "error", "created_at", "updated_at", "completed_at")
                .values(SQLBind(UUID()), SQLBind(job.id), SQLBind(0), SQLBind(job.predictionId), SQLBind(status),
                        SQLBind(0), SQLBind(job.variants), status == "succeeded" ? SQLBind("[]") : SQLLiteral.null,
                        ended ? SQLBind(job.errorCode) : SQLLiteral.null, ended ? SQLBind(job.error) : SQLLiteral.null,
                        SQLBind(job.createdAt), SQLBind(job.updatedAt), ended ? SQLBind(job.completedAt) : SQLLiteral.null)
                .run()
        }
    }
}

struct MigrationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
