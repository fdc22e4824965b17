import Foundation
import InteriorAPI
import InteriorCore
import Vapor

/// `GET /api/v1/auth/me`, `GET /api/v1/usage` and, in dev auth mode only, `POST /api/v1/auth/dev-token`.
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

    /// The web page's "Continue as demo user": mints what `interior token` mints, for the user
    /// id the page sends (one per browser), or for the fixed demo user. The body is optional:
    /// none, `{}` or a null `userId` signs in as the demo user. (The route exists only in dev
    /// auth mode: `APITransport` leaves the document's dev-only operations out otherwise.)
    func mintDevToken(_ input: InteriorAPI.Operations.MintDevToken.Input) async throws -> InteriorAPI.Operations.MintDevToken.Output {
        let context = CurrentRequest.request.interior
        var user = DevAuth.demoUser
        if case let .json(body) = input.body, let text = body.userId {
            guard let requested = UUID(uuidString: text) else { throw APIError.validation(field: "userId", "userId must be a UUID.") }
            user = requested
        }
        let secret = try DevAuth.loadOrCreateSecret(in: context.settings.dataDirectory)
        let now = context.dependencies.now()
        let token = try await DevAuth.mintToken(secret: secret, user: user, email: nil, ttl: DevAuth.lifetime, now: now)
        let data = Components.Schemas.DevToken(token: token, userId: user.apiString, expiresAt: now.addingTimeInterval(DevAuth.lifetime))
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: data))))
    }
}
