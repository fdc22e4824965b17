import Foundation
import NIOConcurrencyHelpers

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
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The claims of `token` if its signature was checked within `lifetime` before `now`.
    func claims(of token: String, now: Date) -> AccessTokenClaims? {
        entries.withLockedValue { entries in
            guard let entry = entries[token] else { return nil }
            let age = now.timeIntervalSince(entry.verifiedAt)
            guard age >= 0, age < Self.lifetime else {
                entries[token] = nil
                return nil
            }
            return entry.claims
        }
    }

    /// Remembers a token whose signature was just checked. At capacity, entries past their
    /// lifetime go first; if that frees less than half, all of them go, so the pass over the
    /// entries comes at most once per `capacity / 2` inserts: the bound matters more than the
    /// hit rate.
    func insert(_ token: String, claims: AccessTokenClaims, now: Date) {
        entries.withLockedValue { entries in
            if entries.count >= capacity {
                entries = entries.filter { now.timeIntervalSince($0.value.verifiedAt) < Self.lifetime }
                if entries.count >= capacity / 2 { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = Entry(claims: claims, verifiedAt: now)
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}
