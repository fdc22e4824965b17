import Foundation
import JWTKit
import Logging

/// The signed-in user a request acts for.
public struct AuthenticatedUser: Sendable, Equatable {
    public let id: UUID
    public let email: String?
}

/// Why a token was refused. Only logged (at debug); the caller always sees the same generic
/// 401, so the answer does not help anyone probe the verifier.
public enum AuthFailure: Error, Equatable, Sendable {
    case missingToken
    case malformed
    case algorithmNotAllowed(String)
    case unknownKey
    case badSignature
    case expired
    case notYetValid
    /// `iat` later than now (beyond the leeway): minted by a clock or a key we cannot trust.
    case issuedInFuture
    /// A `crit` header names extensions that must be understood; this verifier knows none.
    case criticalHeader
    case wrongAudience
    case invalidSubject
}

/// Verifies Supabase access tokens (SPEC §2, issue "Auth"): HS256 with the project secret,
/// ES256/RS256 with keys from the project's JWKS; or, in dev mode, HS256 with the dev secret.
///
/// The algorithm is chosen by *our* configuration, never by the token: the header's `alg`
/// must be one this verifier was configured for, and an asymmetric key must be of the
/// header's algorithm — so `alg: none` and HS256-signed-with-the-public-key both fail.
public struct AccessTokenVerifier: Sendable {
    /// Tokens this close past `exp` (or before `nbf` or `iat`) still pass: clocks drift.
    public static let leeway: TimeInterval = 60
    public static let audience = "authenticated"

    private let hmacKeys: JWTKeyCollection?
    private let jwks: JWKSCache?
    private let now: @Sendable () -> Date
    private let verified = VerifiedTokens()

    public init(hs256Secret: Secret?, jwks: JWKSCache?, now: @escaping @Sendable () -> Date) async {
        if let hs256Secret {
            self.hmacKeys = await JWTKeyCollection().add(hmac: HMACKey(from: hs256Secret.value), digestAlgorithm: .sha256)
        } else {
            self.hmacKeys = nil
        }
        self.jwks = jwks
        self.now = now
    }

    /// The user `token` stands for. Its signature is checked at most once per
    /// `VerifiedTokens.lifetime`; its claims on every call.
    public func verify(_ token: String) async throws(AuthFailure) -> AuthenticatedUser {
        let now = self.now()
        if let claims = verified.claims(of: token, now: now) { return try check(claims, now: now) }
        let claims = try await signedClaims(of: token)
        let user = try check(claims, now: now)
        verified.insert(token, claims: claims, now: now)
        return user
    }

    /// The token's claims once its header and signature have passed.
    private func signedClaims(of token: String) async throws(AuthFailure) -> AccessTokenClaims {
        let header = try Self.header(of: token)
        let claims: AccessTokenClaims
        do {
            switch header.alg {
            case "HS256":
                guard let hmacKeys else { throw AuthFailure.algorithmNotAllowed(header.alg) }
                claims = try await hmacKeys.verify(token, as: AccessTokenClaims.self)
            case "ES256", "RS256":
                guard let jwks else { throw AuthFailure.algorithmNotAllowed(header.alg) }
                guard let kid = header.kid else { throw AuthFailure.unknownKey }
                let keys = try await jwks.keys(containing: kid)
                let key = try await keys.getKey(for: JWKIdentifier(string: kid), alg: header.alg)
                guard key.name == header.alg else { throw AuthFailure.algorithmNotAllowed(header.alg) }
                claims = try await keys.verify(token, as: AccessTokenClaims.self)
            default:
                throw AuthFailure.algorithmNotAllowed(header.alg)
            }
        } catch let failure as AuthFailure {
            throw failure
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed
        }
        return claims
    }

    /// How many tokens are remembered as verified (for tests).
    var rememberedTokens: Int { verified.count }

    private func check(_ claims: AccessTokenClaims, now: Date) throws(AuthFailure) -> AuthenticatedUser {
        guard let exp = claims.exp else { throw .expired }
        if now > exp.value.addingTimeInterval(Self.leeway) { throw .expired }
        if let nbf = claims.nbf, now < nbf.value.addingTimeInterval(-Self.leeway) { throw .notYetValid }
        if let iat = claims.iat, now < iat.value.addingTimeInterval(-Self.leeway) { throw .issuedInFuture }
        guard let aud = claims.aud, aud.value.contains(Self.audience) else { throw .wrongAudience }
        guard let sub = claims.sub, let id = UUID(uuidString: sub.value) else { throw .invalidSubject }
        return AuthenticatedUser(id: id, email: claims.email)
    }

    private struct Header: Decodable {
        let alg: String
        let kid: String?
        /// Whether the header has a `crit` member at all, whatever its value (`null` too).
        let hasCritical: Bool

        private enum CodingKeys: String, CodingKey { case alg, kid, crit }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alg = try container.decode(String.self, forKey: .alg)
            kid = try container.decodeIfPresent(String.self, forKey: .kid)
            hasCritical = container.contains(.crit)
        }
    }

    /// The token's header, read before any key is chosen. RFC 7515 §4.1.11: a recipient must
    /// refuse a `crit` header it does not understand, and this one understands none.
    private static func header(of token: String) throws(AuthFailure) -> Header {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), token.utf8.count <= 16 * 1024,
              let encoded = String(parts[0]), let data = Base64URL.decode(encoded),
              let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw .malformed
        }
        if header.hasCritical { throw .criticalHeader }
        return header
    }
}

/// The claims of a Supabase access token this service relies on. Checked by
/// `AccessTokenVerifier` with its injected clock, not by JWTKit's wall-clock checks.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim?
    var aud: AudienceClaim?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?
    var iss: IssuerClaim?
    var email: String?
    var role: String?

    func verify(using algorithm: some JWTAlgorithm) throws {}
}

enum Base64URL {
    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
