import FluentKit
import Foundation
import InteriorCore
import SQLKit

struct RenderRow: Codable, Sendable, Equatable {
    var id: UUID
    var jobId: UUID
    var ownerId: UUID
    var mode: GenerationMode
    var roomType: String
    var style: String
    var coverVariant: Int
    var createdAt: Date
    var deletedAt: Date?
}

struct VariantRow: Codable, Sendable, Equatable {
    var id: UUID
    var renderId: UUID
    var ownerId: UUID
    var idx: Int
    var imagePath: String
    var thumbPath: String
    var width: Int
    var height: Int
    var bytes: Int
    var createdAt: Date
}

/// A render with its variants (by index).
struct RenderWithVariants: Sendable {
    let render: RenderRow
    let variants: [VariantRow]

    var cover: VariantRow? {
        variants.first { $0.idx == render.coverVariant } ?? variants.first
    }
}

/// Filters of the gallery (`GET /api/v1/renders`), already validated.
struct RenderFilter: Sendable, Equatable {
    var mode: GenerationMode?
    var roomType: String?
    var style: String?
}

/// SQL for `renders` and `render_variants`.
struct RenderRepository {
    let sql: any SQLDatabase

    /// Inserts the render and its variants; false if the job already has its render.
    /// Runs inside the caller's transaction (see `JobRepository.markSucceeded`).
    func insert(_ render: RenderRow, variants: [VariantRow]) async throws -> Bool {
        let inserted = try await sql.insert(into: "renders")
            .model(render, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
            .ignoringConflicts()
            .returning("id")
            .all()
        guard !inserted.isEmpty else { return false }
        if !variants.isEmpty {
            try await sql.insert(into: "render_variants")
                .models(variants, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
                .run()
        }
        return true
    }

    /// The owner's live render with its variants.
    func find(id: UUID, owner: UUID) async throws -> RenderWithVariants? {
        guard let render = try await sql.select().column(SQLLiteral.all).from("renders")
            .where("id", .equal, SQLBind(id))
            .where("owner_id", .equal, SQLBind(owner))
            .where("deleted_at", .is, SQLLiteral.null)
            .first(row: RenderRow.self) else { return nil }
        return RenderWithVariants(render: render, variants: try await variants(of: [render.id])[render.id] ?? [])
    }

    /// The live render of a job, if it has one.
    func find(job: UUID) async throws -> RenderWithVariants? {
        guard let render = try await sql.select().column(SQLLiteral.all).from("renders")
            .where("job_id", .equal, SQLBind(job))
            .where("deleted_at", .is, SQLLiteral.null)
            .first(row: RenderRow.self) else { return nil }
        return RenderWithVariants(render: render, variants: try await variants(of: [render.id])[render.id] ?? [])
    }

    /// Whether the job has a render, deleted or not (a deleted render is not re-created).
    func exists(job: UUID) async throws -> Bool {
        try await sql.select().column("id").from("renders").where("job_id", .equal, SQLBind(job)).first() != nil
    }

    /// The owner's live renders, newest first, with their variants.
    func list(owner: UUID, filter: RenderFilter, after cursor: PageCursor?, limit: Int) async throws -> Page<RenderWithVariants> {
        var query = sql.select().column(SQLLiteral.all).from("renders")
            .where("owner_id", .equal, SQLBind(owner))
            .where("deleted_at", .is, SQLLiteral.null)
        if let mode = filter.mode { query = query.where("mode", .equal, SQLBind(mode.rawValue)) }
        if let roomType = filter.roomType { query = query.where("room_type", .equal, SQLBind(roomType)) }
        if let style = filter.style { query = query.where("style", .equal, SQLBind(style)) }
        if let cursor { query = query.where(cursor.olderThan(createdAt: SQLColumn("created_at"), id: SQLColumn("id"))) }
        let rows = try await query
            .orderBy("created_at", .descending).orderBy("id", .descending)
            .limit(limit + 1)
            .all(rows: RenderRow.self)
        let page = PageCursor.page(rows, limit: limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
        let variants = try await variants(of: page.rows.map(\.id))
        return Page(rows: page.rows.map { RenderWithVariants(render: $0, variants: variants[$0.id] ?? []) }, next: page.next)
    }

    /// Marks the owner's render deleted; its job's id, or nil if there is no such live render.
    /// Only `JobRepository.deleteRender` calls this: the job changes with it.
    func softDelete(id: UUID, owner: UUID, now: Date) async throws -> UUID? {
        struct Job: Decodable { let jobId: UUID }
        return try await sql.update("renders")
            .set("deleted_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(id))
            .where("owner_id", .equal, SQLBind(owner))
            .where("deleted_at", .is, SQLLiteral.null)
            .returning("job_id")
            .first(decoding: Job.self, keyDecodingStrategy: SnakeCaseColumns.strategy)?.jobId
    }

    private func variants(of renders: [UUID]) async throws -> [UUID: [VariantRow]] {
        guard !renders.isEmpty else { return [:] }
        let rows = try await sql.select().column(SQLLiteral.all).from("render_variants")
            .where(SQLColumn("render_id"), .in, SQLGroupExpression(SQLList(renders.map { SQLBind($0) })))
            .orderBy("idx")
            .all(rows: VariantRow.self)
        return Dictionary(grouping: rows, by: \.renderId)
    }
}
