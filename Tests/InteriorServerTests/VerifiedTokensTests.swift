import Foundation
@testable import InteriorServer
import Logging
import NIOConcurrencyHelpers
import Testing

/// The verifier remembers tokens whose signature it checked (`VerifiedTokens`); the claims are
/// still checked on every request.
@Suite("Auth: verified tokens")
struct VerifiedTokensTests {
    let fixtures = TokenFixtures.shared

    private func verifier(_ clock: TestClock) async -> AccessTokenVerifier {
        await AccessTokenVerifier(hs256Secret: Secret(fixtures.hs256Secret), jwks: nil, now: { clock.now })
    }

    @Test("a remembered token's claims are checked again on every request")
    func claimsCheckedOnHits() async throws {
        let clock = TestClock(fixtures.edge.addingTimeInterval(59))
        let verifier = await verifier(clock)
        let token = fixtures.tokens["hs256_exp_edge"]!
        #expect(try await verifier.verify(token).id == fixtures.subject)
        #expect(verifier.rememberedTokens == 1)
        // Two seconds later the token is remembered, and past its expiry and leeway.
        clock.set(fixtures.edge.addingTimeInterval(61))
        await #expect(throws: AuthFailure.expired) { _ = try await verifier.verify(token) }
        #expect(verifier.rememberedTokens == 1)
    }

    @Test("a token that differs from a remembered one in one character is checked afresh")
    func otherTokensMiss() async throws {
        let clock = TestClock(fixtures.edge)
        let verifier = await verifier(clock)
        let token = fixtures.tokens["hs256_valid"]!
        _ = try await verifier.verify(token)

        let parts = token.split(separator: ".").map(String.init)
        var signature = Array(parts[2])
        // A character in the middle: the last one may differ only in unused bits.
        signature[10] = signature[10] == "A" ? "B" : "A"
        let forged = [parts[0], parts[1], String(signature)].joined(separator: ".")
        await #expect(throws: AuthFailure.badSignature) { _ = try await verifier.verify(forged) }
        await #expect(throws: AuthFailure.badSignature) {
            _ = try await verifier.verify(fixtures.tokens["hs256_wrong_secret"]!)
        }
        #expect(verifier.rememberedTokens == 1, "refused tokens are not remembered")
    }

    @Test("a remembered token skips the signature check, so a withdrawn key lets it pass for one lifetime at most")
    func hitsSkipTheSignature() async throws {
        let clock = TestClock()
        // Keys are looked up (and, being always stale, fetched) by every signature check.
        let served = NIOLockedValueBox(fixtures.jwks)
        let fetches = NIOLockedValueBox(0)
        let cache = JWKSCache(url: URL(string: "https://auth.example.com/jwks")!,
                              fetch: { _ in fetches.withLockedValue { $0 += 1 }; return served.withLockedValue { $0 } },
                              now: { clock.now }, logger: Logger(label: "test"), minimumRefreshInterval: 0, maximumAge: 0)
        let verifier = await AccessTokenVerifier(hs256Secret: nil, jwks: cache, now: { clock.now })
        let token = fixtures.tokens["rs256_valid"]!
        #expect(try await verifier.verify(token).id == fixtures.subject)
        #expect(fetches.withLockedValue { $0 } == 1)

        // The provider withdraws every key: the remembered token is not checked again...
        served.withLockedValue { $0 = Data(#"{"keys":[]}"#.utf8) }
        clock.advance(by: VerifiedTokens.lifetime - 1)
        #expect(try await verifier.verify(token).id == fixtures.subject)
        #expect(fetches.withLockedValue { $0 } == 1, "a hit looks up no key")
        // ...until its lifetime is over.
        clock.advance(by: 1)
        await #expect(throws: AuthFailure.unknownKey) { _ = try await verifier.verify(token) }
        #expect(fetches.withLockedValue { $0 } == 2)
    }

    @Test("a token is remembered for its lifetime, not longer, and not across a clock set back")
    func lifetime() {
        let tokens = VerifiedTokens()
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        tokens.insert("a", claims: AccessTokenClaims(email: "a@example.com"), now: start)
        #expect(tokens.claims(of: "a", now: start.addingTimeInterval(VerifiedTokens.lifetime - 0.1))?.email == "a@example.com")
        #expect(tokens.claims(of: "b", now: start) == nil)
        #expect(tokens.claims(of: "a", now: start.addingTimeInterval(-1)) == nil)
        #expect(tokens.count == 0, "an entry found past its lifetime is dropped")

        tokens.insert("a", claims: AccessTokenClaims(), now: start)
        #expect(tokens.claims(of: "a", now: start.addingTimeInterval(VerifiedTokens.lifetime)) == nil)
    }

    @Test("at capacity, entries past their lifetime go first; if that frees less than half, all go")
    func capacity() {
        let tokens = VerifiedTokens(capacity: 4)
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        let later = start.addingTimeInterval(VerifiedTokens.lifetime + 1)
        for token in ["a", "b", "c"] { tokens.insert(token, claims: AccessTokenClaims(), now: start) }
        tokens.insert("d", claims: AccessTokenClaims(), now: later)
        tokens.insert("e", claims: AccessTokenClaims(), now: later)
        #expect(tokens.count == 2, "the three stale ones went")
        #expect(tokens.claims(of: "d", now: later) != nil)
        #expect(tokens.claims(of: "e", now: later) != nil)

        tokens.insert("f", claims: AccessTokenClaims(), now: later)
        tokens.insert("g", claims: AccessTokenClaims(), now: later)
        tokens.insert("h", claims: AccessTokenClaims(), now: later)
        #expect(tokens.count == 1, "all fresh: the bound wins")
        #expect(tokens.claims(of: "h", now: later) != nil)
    }
}
