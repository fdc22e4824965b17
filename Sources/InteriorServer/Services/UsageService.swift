import Foundation
import InteriorCore
import SQLKit
import Vapor

/// A user's plan and what is left of it this month (SPEC §4).
struct UsageService {
    let sql: any SQLDatabase
    let runtime: RuntimeConfig
    let user: AuthenticatedUser
    let now: @Sendable () -> Date

    init(_ request: Request) {
        self.sql = request.sql
        self.runtime = request.interior.settings.runtime
        self.user = request.user
        self.now = request.interior.dependencies.now
    }

    func profile() async throws -> ProfileRow {
        guard let profile = try await ProfileRepository(sql: sql).find(id: user.id) else {
            throw RepositoryError.missingRow("profiles")
        }
        return profile
    }

    func summary() async throws -> UsageSummary {
        let profile = try await profile()
        let period = UsagePeriod.month(containing: now())
        let totals = try await UsageRepository(sql: sql).totals(owner: user.id, period: period)
        return UsageSummary(plan: runtime.plan(id: profile.planId), totals: totals, period: period)
    }
}
