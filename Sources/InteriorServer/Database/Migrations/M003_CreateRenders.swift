import FluentKit
import SQLKit

/// `renders` (one per job, soft-deleted) and `render_variants` (unique index per render).
struct M003_CreateRenders: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("renders")
            .field("id", .uuid, .identifier(auto: false))
            .field("job_id", .uuid, .required, .references("generation_jobs", "id"))
            .field("owner_id", .uuid, .required, .references("profiles", "id"))
            .field("mode", .string, .required)
            .field("room_type", .string, .required)
            .field("style", .string, .required)
            .field("cover_variant", .int, .required, .sql(.default(0)))
            .field("created_at", .datetime, .required)
            .field("deleted_at", .datetime)
            .unique(on: "job_id", name: "uq_renders_job")
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_renders_cover_variant CHECK (cover_variant >= 0)"))
            .create()

        try await database.schema("render_variants")
            .field("id", .uuid, .identifier(auto: false))
            .field("render_id", .uuid, .required, .references("renders", "id", onDelete: .cascade))
            .field("owner_id", .uuid, .required, .references("profiles", "id"))
            .field("idx", .int, .required)
            .field("image_path", .string, .required)
            .field("thumb_path", .string, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("bytes", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "render_id", "idx", name: "uq_render_variants_render_idx")
            .constraint(.sql(unsafeRaw: "CONSTRAINT ck_render_variants_idx CHECK (idx >= 0)"))
            .create()

        let sql = database as! any SQLDatabase
        // The gallery: a user's live renders, newest first.
        try await sql.raw("CREATE INDEX ix_renders_owner_created ON renders (owner_id, created_at, id) WHERE deleted_at IS NULL").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("render_variants").delete()
        try await database.schema("renders").delete()
    }
}
