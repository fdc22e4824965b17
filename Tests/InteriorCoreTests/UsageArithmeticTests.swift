import Foundation
@testable import InteriorCore
import Testing

@Suite("Usage arithmetic (SPEC §4)")
struct UsageArithmeticTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }
    let free = Plan(id: "free", label: "Free", monthlyGenerations: 10)

    @Test("the UTC month containing a date", arguments: [
        ("2026-11-25T12:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("2028-02-29T10:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        // 9 am on 1 December in Sydney is still November in UTC.
        ("2026-12-01T09:00:00+11:00", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    ])
    func month(at: String, start: String, end: String) {
        let period = UsagePeriod.month(containing: Self.date(at))
        #expect(period.start == Self.date(start))
        #expect(period.end == Self.date(end))
        #expect(period.contains(Self.date(at)))
        #expect(period.contains(Self.date(start)))
        #expect(!period.contains(Self.date(end)))
    }

    @Test("remaining = allowance − debits − redebits + refunds + adjustments")
    func remaining() {
        let period = UsagePeriod.month(containing: Date())
        let cases: [(LedgerTotals, used: Int, remaining: Int)] = [
            (LedgerTotals(), 0, 10),
            (LedgerTotals(debits: 3), 3, 7),
            (LedgerTotals(debits: 3, refunds: 1), 2, 8),
            (LedgerTotals(debits: 3, redebits: 1, refunds: 1), 3, 7),
            (LedgerTotals(debits: 10), 10, 0),
            (LedgerTotals(debits: 2, adjustments: 5), 0, 13),
            // A plan downgraded mid-month: more used than the new allowance, never negative.
            (LedgerTotals(debits: 12), 12, 0),
        ]
        for (totals, used, remaining) in cases {
            let summary = UsageSummary(plan: free, totals: totals, period: period)
            #expect(summary.used == used, "\(totals)")
            #expect(summary.remaining == remaining, "\(totals)")
            #expect(summary.canSubmit == (remaining > 0))
            #expect(summary.monthlyAllowance == 10)
        }
    }
}
