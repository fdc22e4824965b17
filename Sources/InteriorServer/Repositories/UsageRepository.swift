import FluentKit
import Foundation
import InteriorCore
import SQLKit

/// SQL for `usage_ledger`. Job entries are written at most once per job and kind — the
/// unique index enforces it, and the writers here treat a duplicate as "already recorded".
struct UsageRepository {
    let sql: any SQLDatabase

    /// Ledger totals for `owner` over `period`. Job entries count in the month their job was
    /// created (a refund on 1 December for a job of 30 November gives back November's
    /// generation); adjustments count when they were made.
    func totals(owner: UUID, period: UsagePeriod) async throws -> LedgerTotals {
        struct Sum: Decodable { let entry: String; let total: Int }
        let chargedAt = SQLFunction("COALESCE", args: SQLColumn("created_at", table: "j"), SQLColumn("created_at", table: "l"))
        let sums = try await sql.select()
            .column(SQLColumn("entry", table: "l"))
            // SUM of a BIGINT is NUMERIC on PostgreSQL; the cast keeps one integer type everywhere.
            .column(SQLRaw("CAST(SUM(l.amount) AS BIGINT)"), as: "total")
            .from(SQLAlias(SQLIdentifier("usage_ledger"), as: SQLIdentifier("l")))
            .join(SQLAlias(SQLIdentifier("generation_jobs"), as: SQLIdentifier("j")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "j"), .equal, SQLColumn("job_id", table: "l"))
            .where(SQLColumn("owner_id", table: "l"), .equal, SQLBind(owner))
            .where(chargedAt, .greaterThanOrEqual, SQLBind(period.start))
            .where(chargedAt, .lessThan, SQLBind(period.end))
            .groupBy(SQLColumn("entry", table: "l"))
            .all(decoding: Sum.self)
        var totals = LedgerTotals()
        for sum in sums {
            switch LedgerEntry(rawValue: sum.entry) {
            case .debit: totals.debits = sum.total
            case .redebit: totals.redebits = sum.total
            case .refund: totals.refunds = sum.total
            case .adjustment: totals.adjustments = sum.total
            case nil: continue
            }
        }
        return totals
    }

    /// Records a job entry; false if the job already has one of this kind.
    @discardableResult
    func record(_ entry: LedgerEntry, id: UUID, owner: UUID, job: UUID, amount: Int = 1, reason: String?, now: Date) async throws -> Bool {
        let rows = try await sql.insert(into: "usage_ledger")
            .columns("id", "owner_id", "job_id", "entry", "amount", "reason", "created_at")
            .values(SQLBind(id), SQLBind(owner), SQLBind(job), SQLBind(entry.rawValue), SQLBind(amount), SQLBind(reason), SQLBind(now))
            .ignoringConflicts()
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    func hasEntry(_ entry: LedgerEntry, job: UUID) async throws -> Bool {
        try await sql.select().column("id").from("usage_ledger")
            .where("job_id", .equal, SQLBind(job))
            .where("entry", .equal, SQLBind(entry.rawValue))
            .first() != nil
    }

    /// An operator's adjustment (`interior credit`): gives `amount` generations back.
    func recordAdjustment(id: UUID, owner: UUID, amount: Int, reason: String, now: Date) async throws {
        try await sql.insert(into: "usage_ledger")
            .columns("id", "owner_id", "job_id", "entry", "amount", "reason", "created_at")
            .values(SQLBind(id), SQLBind(owner), SQLLiteral.null, SQLBind(LedgerEntry.adjustment.rawValue), SQLBind(amount), SQLBind(reason), SQLBind(now))
            .run()
    }
}
