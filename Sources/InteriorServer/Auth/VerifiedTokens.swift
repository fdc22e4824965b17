import Foundation

/// Tokens whose signature this process checked lately, with their claims, so that a page
/// polling with one token pays the header parse, the JSON decodes and the signature check
/// once per `lifetime` rather than on every request (about 70 µs of a status read's CPU).
///
/// Only the signature is remembered: `AccessTokenVerifier` checks the claims (expiry, `nbf`,
/// `iat`, audience, subject) against its clock on every request, hit or miss. A hit needs the
/// whole token, byte for byte, so a token with any other signature is checked afresh. What a
/// hit can skip is a key withdrawn from the JWKS in the meantime: such a token passes for at
/// most `lifetime` more (decisions.md).
final class VerifiedTokens: Sendable {
    static let lifetime: TimeInterval = 30

    private struct Entry {
        let claims: AccessTokenClaims
        let verifiedAt: Date

        func isFresh(at now: Date) -> Bool {
            let age = now.timeIntervalSince(verifiedAt)
            return age >= 0 && age < VerifiedTokens.lifetime
        }
    }

    private let entries: BoundedMemory<String, Entry>

    init(capacity: Int = 10_000) {
        entries = BoundedMemory(capacity: capacity)
    }

    /// The claims of `token` if its signature was checked within `lifetime` before `now`.
    func claims(of token: String, now: Date) -> AccessTokenClaims? {
        entries.value(for: token) { $0.isFresh(at: now) }?.claims
    }

    /// Remembers a token whose signature was just checked. At capacity, entries past their
    /// lifetime go first (`BoundedMemory`).
    func insert(_ token: String, claims: AccessTokenClaims, now: Date) {
        entries.insert(Entry(claims: claims, verifiedAt: now), for: token) { $0.isFresh(at: now) }
    }

    var count: Int { entries.count }
}
