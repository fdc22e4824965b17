import FluentKit
import Foundation
import SQLKit

struct ProfileRow: Codable, Sendable, Equatable {
    let id: UUID
    let email: String?
    let planId: String?
    let createdAt: Date
}

/// SQL for `profiles`.
struct ProfileRepository {
    let sql: any SQLDatabase

    /// Creates the profile on a user's first request, or records a changed email; returns it.
    /// One statement, so concurrent first requests of one user cannot collide.
    func upsert(id: UUID, email: String?, now: Date) async throws -> ProfileRow {
        let row = try await sql.insert(into: "profiles")
            .columns("id", "email", "plan_id", "created_at")
            .values(SQLBind(id), SQLBind(email), SQLLiteral.null, SQLBind(now))
            .onConflict(with: ["id"]) { update in
                update.set("email", to: SQLFunction("COALESCE", args: SQLExcludedColumn("email"), SQLColumn("email", table: "profiles")))
            }
            .returning(SQLLiteral.all)
            .first(decoding: ProfileRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        guard let row else { throw RepositoryError.missingRow("profiles") }
        return row
    }

    func find(id: UUID) async throws -> ProfileRow? {
        try await sql.select().column(SQLLiteral.all).from("profiles")
            .where("id", .equal, SQLBind(id))
            .first(decoding: ProfileRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Sets a profile's plan (`interior plan`); false when there is no such profile.
    func setPlan(id: UUID, planId: String?) async throws -> Bool {
        let rows = try await sql.update("profiles")
            .set("plan_id", to: SQLBind(planId))
            .where("id", .equal, SQLBind(id))
            .returning("id")
            .all()
        return !rows.isEmpty
    }
}

enum RepositoryError: Error, CustomStringConvertible {
    case missingRow(String)

    var description: String {
        switch self {
        case let .missingRow(table): "a statement on \(table) returned no row"
        }
    }
}
