import Foundation
import InteriorCore
import Vapor

/// `GET /api/v1/auth/me` and `GET /api/v1/usage`.
enum AccountController {
    struct Me: Content {
        let id: String
        let email: String?
        let planId: String
    }

    @Sendable
    static func me(_ request: Request) async throws -> Envelope<Me> {
        let profile = try await UsageService(request).profile()
        return Envelope(Me(id: profile.id.apiString, email: profile.email, planId: request.interior.runtime.current.config.plan(id: profile.planId).id))
    }

    struct Usage: Content {
        let planId: String
        let planLabel: String
        let monthlyAllowance: Int
        let used: Int
        let remaining: Int
        let periodStart: Date
        let periodEnd: Date
    }

    @Sendable
    static func usage(_ request: Request) async throws -> Envelope<Usage> {
        let summary = try await UsageService(request).summary()
        let plan = request.interior.runtime.current.config.plan(id: summary.planId)
        return Envelope(Usage(
            planId: summary.planId, planLabel: plan.label, monthlyAllowance: summary.monthlyAllowance,
            used: summary.used, remaining: summary.remaining,
            periodStart: summary.period.start, periodEnd: summary.period.end))
    }
}
