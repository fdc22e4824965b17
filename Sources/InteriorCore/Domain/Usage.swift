import Foundation

/// The entries of the append-only usage ledger (SPEC §4).
public enum LedgerEntry: String, Codable, CaseIterable, Sendable {
    /// A job was submitted: one generation is charged.
    case debit
    /// A charged job failed, was canceled or timed out: the generation is given back.
    case refund
    /// A refunded job succeeded after all (a late webhook): it is charged again.
    case redebit
    /// An operator's correction (`interior credit`); positive amounts give generations back.
    case adjustment
}

/// A UTC calendar month: `[start, end)`.
public struct UsagePeriod: Equatable, Sendable {
    public let start: Date
    public let end: Date

    /// The UTC calendar month that contains `date`.
    public static func month(containing date: Date) -> UsagePeriod {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        let start = calendar.date(from: parts)!
        let end = calendar.date(byAdding: .month, value: 1, to: start)!
        return UsagePeriod(start: start, end: end)
    }

    public func contains(_ date: Date) -> Bool { date >= start && date < end }
}

/// Ledger totals for one owner over one period, already attributed to the month of the
/// job they belong to (a refund on 1 December for a job of 30 November counts in November).
public struct LedgerTotals: Equatable, Sendable {
    public var debits: Int
    public var redebits: Int
    public var refunds: Int
    public var adjustments: Int

    public init(debits: Int = 0, redebits: Int = 0, refunds: Int = 0, adjustments: Int = 0) {
        self.debits = debits
        self.redebits = redebits
        self.refunds = refunds
        self.adjustments = adjustments
    }

    /// Generations charged net of what was given back (may be negative after a credit).
    public var net: Int { debits + redebits - refunds - adjustments }
}

/// The one place the quota arithmetic of SPEC §4 lives:
/// remaining = allowance − debits − redebits + refunds + adjustments.
public struct UsageSummary: Equatable, Sendable {
    public let planId: String
    public let monthlyAllowance: Int
    public let used: Int
    public let remaining: Int
    public let period: UsagePeriod

    public init(plan: Plan, totals: LedgerTotals, period: UsagePeriod) {
        self.planId = plan.id
        self.monthlyAllowance = plan.monthlyGenerations
        // Neither figure is shown negative: a credit larger than the month's charges is
        // not "-3 used", and an over-charge (plan downgraded mid-month) is not "-2 left".
        self.used = max(0, totals.net)
        self.remaining = max(0, plan.monthlyGenerations - totals.net)
        self.period = period
    }

    public var canSubmit: Bool { remaining > 0 }
}
