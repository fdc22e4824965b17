import Crypto
import Foundation
import JWTKit

/// Dev-mode sign-in: a secret generated once into the data directory, and tokens minted
/// with it in Supabase's shape (HS256, `aud: authenticated`, `sub` = user id), so the rest
/// of the service cannot tell them from real ones. Never available in production.
public enum DevAuth {
    public static let secretFileName = "dev-auth-secret"
    /// Who the web page's "Continue as demo user" signs in as when it names no user.
    public static let demoUser = UUID(uuidString: "00000000-0000-4000-8000-0000000de300")!
    /// How long a token of the dev sign-in (`POST /api/v1/auth/dev-token`) is valid.
    public static let lifetime: TimeInterval = 12 * 3600

    /// The dev secret, created (0600) on first use.
    public static func loadOrCreateSecret(in dataDirectory: URL) throws -> Secret {
        let file = dataDirectory.appendingPathComponent(secretFileName)
        if let data = FileManager.default.contents(atPath: file.path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.utf8.count >= 32 { return Secret(text) }
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let text = Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        // Written to a temporary name and moved into place, so a concurrent start never
        // reads half a secret.
        let temporary = dataDirectory.appendingPathComponent(".\(secretFileName).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        if rename(temporary.path, file.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
        return try loadOrCreateSecret(in: dataDirectory)
    }

    /// A signed access token for `user`.
    public static func mintToken(secret: Secret, user: UUID, email: String?, ttl: TimeInterval, now: Date) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret.value), digestAlgorithm: .sha256)
        let claims = AccessTokenClaims(
            sub: SubjectClaim(value: user.uuidString.lowercased()),
            aud: AudienceClaim(value: [AccessTokenVerifier.audience]),
            exp: ExpirationClaim(value: now.addingTimeInterval(ttl)),
            nbf: nil,
            iat: IssuedAtClaim(value: now),
            iss: IssuerClaim(value: "interior-dev"),
            email: email,
            role: "authenticated")
        return try await keys.sign(claims, header: ["typ": "JWT"])
    }
}
