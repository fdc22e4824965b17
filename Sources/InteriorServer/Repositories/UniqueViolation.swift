import FluentPostgresDriver
import FluentSQLiteDriver

/// The unique constraints the service relies on for correctness under concurrency. A
/// violation of one of them is an expected answer ("someone else got there first"), not a
/// failure.
enum UniqueConstraint: String, Sendable, CaseIterable {
    case inflightJob = "uq_generation_jobs_inflight_owner"
    case idempotencyKey = "uq_generation_jobs_owner_idempotency"
    case predictionId = "uq_generation_jobs_prediction_id"
    case renderPerJob = "uq_renders_job"
    case variantIndex = "uq_render_variants_render_idx"
    case ledgerEntry = "uq_usage_ledger_job_entry"

    /// SQLite names the columns, not the index: "UNIQUE constraint failed: t.a, t.b".
    private var sqliteColumns: String {
        switch self {
        case .inflightJob: "generation_jobs.owner_id"
        case .idempotencyKey: "generation_jobs.owner_id, generation_jobs.idempotency_key"
        case .predictionId: "generation_jobs.prediction_id"
        case .renderPerJob: "renders.job_id"
        case .variantIndex: "render_variants.render_id, render_variants.idx"
        case .ledgerEntry: "usage_ledger.job_id, usage_ledger.entry"
        }
    }

    /// The constraint `error` violated, if it is a unique violation of one of ours.
    static func violated(by error: any Error) -> UniqueConstraint? {
        if let error = error as? PSQLError, let info = error.serverInfo, info[.sqlState] == "23505" {
            return info[.constraintName].flatMap(UniqueConstraint.init(rawValue:))
        }
        if let error = error as? SQLiteError, error.reason == .constraintUniqueFailed || error.reason == .constraint {
            let prefix = "UNIQUE constraint failed: "
            guard let range = error.message.range(of: prefix) else { return nil }
            let columns = String(error.message[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            return allCases.first { $0.sqliteColumns == columns }
        }
        return nil
    }
}
