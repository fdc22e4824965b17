import FluentKit
import SQLKit

/// `webhook_events`: the durable inbox. A delivery is recorded here before it is answered;
/// processors claim pending rows with a lease (`locked_until`) so a crashed worker's claim
/// expires and another instance takes the event over.
struct M005_CreateWebhookEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_events")
            .field("webhook_id", .string, .identifier(auto: false))
            .field("job_id", .uuid)
            .field("prediction_id", .string)
            .field("status", .string)
            .field("payload", .string, .required)
            .field("source", .string, .required)
            .field("state", .string, .required)
            .field("attempts", .int, .required, .sql(.default(0)))
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("last_error", .string)
            .field("received_at", .datetime, .required)
            .field("processed_at", .datetime)
            .field("created_at", .datetime, .required)
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_webhook_events_state CHECK (state IN ('pending', 'done', 'dead'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_webhook_events_source CHECK (source IN ('webhook', 'poll', 'reconciler'))"))
            .create()

        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX ix_webhook_events_pending ON webhook_events (next_attempt_at) WHERE state = 'pending'").run()
        try await sql.raw("CREATE INDEX ix_webhook_events_job ON webhook_events (job_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_events").delete()
    }
}
