import FluentKit

/// `generation_jobs.trace_parent`: the W3C `traceparent` of the submit request that created
/// the job, so its webhooks, inbox processing, downloads, renders and storage writes, in any
/// instance, join one trace. Null when tracing was off at submit.
struct M008_AddJobTraceParent: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("generation_jobs")
            .field("trace_parent", .string)
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("generation_jobs").deleteField("trace_parent").update()
    }
}
