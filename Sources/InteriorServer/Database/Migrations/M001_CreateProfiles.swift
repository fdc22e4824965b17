import FluentKit
import SQLKit

/// `profiles`: one row per authenticated user, created on their first request.
struct M001_CreateProfiles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("profiles")
            .field("id", .uuid, .identifier(auto: false))
            .field("email", .string)
            .field("plan_id", .string)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("profiles").delete()
    }
}
