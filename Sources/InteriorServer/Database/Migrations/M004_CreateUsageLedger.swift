import FluentKit
import SQLKit

/// `usage_ledger`: append-only. The partial unique index on (job_id, entry) means no job is
/// ever charged, refunded or re-charged twice, whoever records it.
struct M004_CreateUsageLedger: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("usage_ledger")
            .field("id", .uuid, .identifier(auto: false))
            .field("owner_id", .uuid, .required, .references("profiles", "id"))
            .field("job_id", .uuid, .references("generation_jobs", "id"))
            .field("entry", .string, .required)
            .field("amount", .int, .required)
            .field("reason", .string)
            .field("created_at", .datetime, .required)
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_usage_ledger_entry CHECK (entry IN ('debit', 'refund', 'redebit', 'adjustment'))"))
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_usage_ledger_amount CHECK (amount > 0)"))
            // Job entries name their job; adjustments stand alone.
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_usage_ledger_job CHECK ((entry = 'adjustment') = (job_id IS NULL))"))
            .create()

        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE UNIQUE INDEX uq_usage_ledger_job_entry ON usage_ledger (job_id, entry) WHERE job_id IS NOT NULL").run()
        try await sql.raw("CREATE INDEX ix_usage_ledger_owner_created ON usage_ledger (owner_id, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("usage_ledger").delete()
    }
}
