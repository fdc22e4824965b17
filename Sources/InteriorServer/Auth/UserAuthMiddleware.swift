import InteriorCore
import Vapor

/// Requires a valid bearer token; holds each user to the request rate (429 with
/// `Retry-After`); makes sure the user's profile exists; exposes the user as `request.user`.
/// Every token failure is the same 401 in the envelope.
struct UserAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token, !token.isEmpty else {
            throw APIError.unauthorized
        }
        let context = request.interior
        let user: AuthenticatedUser
        do {
            user = try await context.verifier.verify(token)
        } catch {
            request.logger.debug("token refused", metadata: ["reason": "\(error)"])
            throw APIError.unauthorized
        }
        if case let .limited(retryAfter) = context.requestLimiter.admit(user.id, now: context.dependencies.now()) {
            throw APIError(.rateLimited, "Too many requests. Please wait \(retryAfter) s and try again.",
                           headers: ["Retry-After": String(retryAfter)])
        }
        if !context.knownProfiles.contains(id: user.id, email: user.email) {
            _ = try await ProfileRepository(sql: request.sql).upsert(id: user.id, email: user.email, now: context.dependencies.now())
            context.knownProfiles.insert(id: user.id, email: user.email)
        }
        request.user = user
        request.logger[metadataKey: "user-id"] = .string(user.id.uuidString.lowercased())
        return try await next.respond(to: request)
    }
}

extension Request {
    private struct UserKey: StorageKey { typealias Value = AuthenticatedUser }

    /// The authenticated user; only set behind `UserAuthMiddleware`.
    var user: AuthenticatedUser {
        get {
            guard let user = storage[UserKey.self] else { preconditionFailure("route is not behind UserAuthMiddleware") }
            return user
        }
        set { storage[UserKey.self] = newValue }
    }
}
