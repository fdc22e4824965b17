import Foundation
import InteriorCore
@testable import InteriorServer
import SQLKit
import Testing

@Suite("Usage: GET /api/v1/usage")
struct UsageEndpointTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test("a new user on the free plan has the whole allowance for the current UTC month")
    func fresh() async throws {
        try await withTestApp(clock: TestClock(Self.date("2026-11-30T23:59:59Z"))) { t in
            let response = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid"))
            #expect(response.status == .ok)
            #expect(response.data["planId"] as? String == "free")
            #expect(response.data["monthlyAllowance"] as? Int == 10)
            #expect(response.data["used"] as? Int == 0)
            #expect(response.data["remaining"] as? Int == 10)
            #expect(response.data["periodStart"] as? String == "2026-11-01T00:00:00Z")
            #expect(response.data["periodEnd"] as? String == "2026-12-01T00:00:00Z")
        }
    }

    @Test("entries count in the month their job was created; a December refund of a November job gives back November")
    func monthAttribution() async throws {
        let clock = TestClock(Self.date("2026-11-30T23:00:00Z"))
        try await withTestApp(clock: clock) { t in
            let owner = TokenFixtures.shared.subject
            _ = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_valid"))
            let usage = UsageRepository(sql: t.sql)
            let jobs = (0..<3).map { _ in DatabaseTests.job(owner: owner, status: .succeeded, at: clock.now) }
            for job in jobs {
                try await DatabaseTests.insert(job, t.sql)
                try await usage.record(.debit, id: UUID(), owner: owner, job: job.id, reason: nil, now: clock.now)
            }
            var november = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(november["used"] as? Int == 3)
            #expect(november["remaining"] as? Int == 7)

            clock.set(Self.date("2026-12-01T00:00:30Z"))
            try await usage.record(.refund, id: UUID(), owner: owner, job: jobs[0].id, reason: "failed", now: clock.now)
            let december = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(december["used"] as? Int == 0, "November's charges do not follow into December")
            #expect(december["remaining"] as? Int == 10)
            #expect(december["periodStart"] as? String == "2026-12-01T00:00:00Z")

            let period = UsagePeriod.month(containing: Self.date("2026-11-15T00:00:00Z"))
            let totals = try await usage.totals(owner: owner, period: period)
            #expect(totals == LedgerTotals(debits: 3, redebits: 0, refunds: 1, adjustments: 0))
            clock.set(Self.date("2026-11-30T23:30:00Z"))
            november = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(november["used"] as? Int == 2)
            #expect(november["remaining"] as? Int == 8)
        }
    }

    @Test("a profile's plan sets the allowance; an unknown plan falls back to free; adjustments give back")
    func plans() async throws {
        try await withTestApp { t in
            let owner = TokenFixtures.shared.subject
            _ = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_valid"))
            #expect(try await ProfileRepository(sql: t.sql).setPlan(id: owner, planId: "starter"))
            var data = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(data["planId"] as? String == "starter")
            #expect(data["monthlyAllowance"] as? Int == 150)

            #expect(try await ProfileRepository(sql: t.sql).setPlan(id: owner, planId: "platinum"))
            data = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(data["planId"] as? String == "free")

            try await UsageRepository(sql: t.sql).recordAdjustment(id: UUID(), owner: owner, amount: 4, reason: "goodwill", now: t.clock.now)
            data = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid")).data
            #expect(data["remaining"] as? Int == 14)
            #expect(data["used"] as? Int == 0)
            #expect(try await ProfileRepository(sql: t.sql).setPlan(id: UUID(), planId: "starter") == false)
        }
    }
}
