import Foundation
import InteriorCore
import SQLKit
import Vapor

/// A user's plan and what is left of it this month (SPEC §4).
struct UsageService {
    let sql: any SQLDatabase
    let runtime: RuntimeConfig
    let owner: UUID
    let now: @Sendable () -> Date

    init(sql: any SQLDatabase, runtime: RuntimeConfig, owner: UUID, now: @escaping @Sendable () -> Date) {
        self.sql = sql
        self.runtime = runtime
        self.owner = owner
        self.now = now
    }

    init(_ request: Request) {
        self.init(sql: request.sql, runtime: request.interior.runtime.current.config, owner: request.user.id,
                  now: request.interior.dependencies.now)
    }

    func profile() async throws -> ProfileRow {
        guard let profile = try await ProfileRepository(sql: sql).find(id: owner) else {
            throw RepositoryError.missingRow("profiles")
        }
        return profile
    }

    func summary() async throws -> UsageSummary {
        let profile = try await profile()
        let period = UsagePeriod.month(containing: now())
        let totals = try await UsageRepository(sql: sql).totals(owner: owner, period: period)
        return UsageSummary(plan: runtime.plan(id: profile.planId), totals: totals, period: period)
    }
}
