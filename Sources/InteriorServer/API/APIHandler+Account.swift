import InteriorAPI
import InteriorCore
import Vapor

/// `GET /api/v1/auth/me` and `GET /api/v1/usage`.
extension APIHandler {
    func getMe(_ input: InteriorAPI.Operations.GetMe.Input) async throws -> InteriorAPI.Operations.GetMe.Output {
        let request = CurrentRequest.request
        let profile = try await UsageService(request).profile()
        let me = Components.Schemas.Me(id: profile.id.apiString, email: profile.email,
                                       planId: request.interior.runtime.current.config.plan(id: profile.planId).id)
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: me))))
    }

    func getUsage(_ input: InteriorAPI.Operations.GetUsage.Input) async throws -> InteriorAPI.Operations.GetUsage.Output {
        let request = CurrentRequest.request
        let summary = try await UsageService(request).summary()
        let plan = request.interior.runtime.current.config.plan(id: summary.planId)
        let usage = Components.Schemas.Usage(
            planId: summary.planId, planLabel: plan.label, monthlyAllowance: summary.monthlyAllowance,
            used: summary.used, remaining: summary.remaining,
            periodStart: summary.period.start, periodEnd: summary.period.end)
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: usage))))
    }
}
