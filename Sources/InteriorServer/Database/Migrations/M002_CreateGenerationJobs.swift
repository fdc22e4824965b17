import FluentKit
import SQLKit

/// `generation_jobs`. The partial unique index `uq_generation_jobs_inflight_owner` is the
/// one-job-in-flight rule: a second in-flight insert for an owner fails in the database,
/// however many requests race.
struct M002_CreateGenerationJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("generation_jobs")
            .field("id", .uuid, .identifier(auto: false))
            .field("owner_id", .uuid, .required, .references("profiles", "id"))
            .field("mode", .string, .required)
            .field("room_type", .string, .required)
            .field("style", .string, .required)
            .field("aspect_ratio", .string, .required)
            .field("quality", .string, .required)
            .field("variants", .int, .required)
            .field("prompt", .string)
            .field("final_prompt", .string)
            .field("input1_path", .string)
            .field("input2_path", .string)
            .field("model", .string, .required)
            .field("prediction_id", .string)
            .field("status", .string, .required)
            .field("error_code", .string)
            .field("error", .string)
            .field("idempotency_key", .uuid)
            .field("request_fingerprint", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("last_polled_at", .datetime)
            .field("completed_at", .datetime)
            .unique(on: "prediction_id", name: "uq_generation_jobs_prediction_id")
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_jobs_status CHECK (status IN ('starting', 'processing', 'succeeded', 'failed', 'canceled'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_jobs_mode CHECK (mode IN ('redesign', 'staging', 'compose', 'imagine'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_jobs_aspect_ratio CHECK (aspect_ratio IN ('1:1', '3:2', '2:3'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_jobs_quality CHECK (quality IN ('auto', 'low', 'medium', 'high'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_generation_jobs_variants CHECK (variants BETWEEN 1 AND 10)"))
            .create()

        let sql = database as! any SQLDatabase
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_generation_jobs_inflight_owner ON generation_jobs (owner_id)
            WHERE status IN ('starting', 'processing')
            """).run()
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_generation_jobs_owner_idempotency ON generation_jobs (owner_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL
            """).run()
        try await sql.raw("CREATE INDEX ix_generation_jobs_owner_created ON generation_jobs (owner_id, created_at)").run()
        // The reconciler's scan: in-flight jobs by age.
        try await sql.raw("""
            CREATE INDEX ix_generation_jobs_inflight_updated ON generation_jobs (updated_at)
            WHERE status IN ('starting', 'processing')
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("generation_jobs").delete()
    }
}
