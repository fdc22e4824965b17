import Foundation
import Vapor

/// `POST /api/v1/auth/dev-token`: the web page's "Continue as demo user" in dev auth mode.
/// The route exists only in dev mode (in supabase mode it is a 404, like any unknown path).
/// It mints what `interior token` mints, for the user id the page sends (one per browser), or
/// for a fixed demo user.
enum DevAuthController {
    static let demoUser = UUID(uuidString: "00000000-0000-4000-8000-0000000de300")!
    static let lifetime: TimeInterval = 12 * 3600

    struct TokenRequest: Decodable {
        let userId: String?
    }

    struct Token: Encodable, Sendable {
        let token: String
        let userId: String
        let expiresAt: Date
    }

    @Sendable
    static func mint(_ request: Request) async throws -> Envelope<Token> {
        let user = try requestedUser(request)
        let context = request.interior
        let secret = try DevAuth.loadOrCreateSecret(in: context.settings.dataDirectory)
        let now = context.dependencies.now()
        let token = try await DevAuth.mintToken(secret: secret, user: user, email: nil, ttl: lifetime, now: now)
        return Envelope(Token(token: token, userId: user.apiString, expiresAt: now.addingTimeInterval(lifetime)))
    }

    /// The body is optional: `{}` or none signs in as the fixed demo user.
    private static func requestedUser(_ request: Request) throws -> UUID {
        guard let body = request.body.data, body.readableBytes > 0 else { return demoUser }
        let decoded: TokenRequest
        do {
            decoded = try JSONDecoder().decode(TokenRequest.self, from: Data(buffer: body))
        } catch {
            throw APIError.validation(field: "body", "The request body must be a JSON object.")
        }
        guard let text = decoded.userId else { return demoUser }
        guard let user = UUID(uuidString: text) else {
            throw APIError.validation(field: "userId", "userId must be a UUID.")
        }
        return user
    }
}
