import Foundation
import InteriorCore
import SQLKit

extension JobRepository {
    /// The owner's job and, when it succeeded, its live render with the variants, in one
    /// query: the status read is the hottest path of the API (a page polls it), and three
    /// round trips to the database cost more than the rows. One row per variant (or one
    /// with empty render columns); nil for an unknown id or another owner's job.
    func findWithRender(id: UUID, owner: UUID) async throws -> (JobRow, RenderWithVariants?)? {
        let rows = try await sql.raw("""
            SELECT j.*,
                   r.id AS r_id, r.job_id AS r_job_id, r.owner_id AS r_owner_id, r.mode AS r_mode,
                   r.room_type AS r_room_type, r.style AS r_style, r.cover_variant AS r_cover_variant,
                   r.created_at AS r_created_at, r.deleted_at AS r_deleted_at,
                   v.id AS v_id, v.render_id AS v_render_id, v.owner_id AS v_owner_id, v.idx AS v_idx,
                   v.image_path AS v_image_path, v.thumb_path AS v_thumb_path, v.width AS v_width,
                   v.height AS v_height, v.bytes AS v_bytes, v.created_at AS v_created_at
            FROM generation_jobs j
            LEFT JOIN renders r ON r.job_id = j.id AND r.deleted_at IS NULL AND j.status = \(bind: JobStatus.succeeded.rawValue)
            LEFT JOIN render_variants v ON v.render_id = r.id
            WHERE j.id = \(bind: id) AND j.owner_id = \(bind: owner)
            ORDER BY v.idx
            """).all()
        guard let first = rows.first else { return nil }
        let job = try JobRow(RowColumns(first))
        guard try !first.decodeNil(column: "r_id") else { return (job, nil) }
        let render = try RenderRow(RowColumns(first, prefix: "r_"))
        let variants = try rows.filter { try !$0.decodeNil(column: "v_id") }
            .map { try VariantRow(RowColumns($0, prefix: "v_")) }
        return (job, RenderWithVariants(render: render, variants: variants))
    }

    /// What `SettledJobs` checks a remembered answer against: the owner's job's status and
    /// `updated_at`. One row of one table, by its key.
    func settledVersion(id: UUID, owner: UUID) async throws -> SettledJobs.Version? {
        guard let row = try await sql.select().column("status").column("updated_at").from("generation_jobs")
            .where("id", .equal, SQLBind(id))
            .where("owner_id", .equal, SQLBind(owner))
            .first() else { return nil }
        let columns = RowColumns(row)
        return SettledJobs.Version(status: try columns.raw("status"), updatedAt: try columns("updated_at"))
    }
}
