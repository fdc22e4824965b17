import Foundation
@testable import InteriorServer
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

/// Tokens come from PyJWT (`Fixtures/make_tokens.py`), an implementation independent of ours.
@Suite("Auth: Supabase access tokens")
struct AuthTests {
    let fixtures = TokenFixtures.shared

    @Test("a valid HS256 token reaches /auth/me and creates the profile on first use")
    func validTokenCreatesProfile() async throws {
        try await withTestApp { t in
            let before = try await ProfileRepository(sql: t.sql).find(id: fixtures.subject)
            #expect(before == nil)

            let response = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_valid"))
            #expect(response.status == .ok)
            #expect(response.json["success"] as? Bool == true)
            #expect(response.data["id"] as? String == fixtures.subject.uuidString.lowercased())
            #expect(response.data["email"] as? String == "ada@example.com")
            #expect(response.data["planId"] as? String == "free")

            let profile = try await ProfileRepository(sql: t.sql).find(id: fixtures.subject)
            #expect(profile?.email == "ada@example.com")
            #expect(profile?.createdAt == t.clock.now)
        }
    }

    @Test("an audience list that includes authenticated is accepted")
    func audienceList() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_aud_list"))
            #expect(response.status == .ok)
        }
    }

    @Test("refused tokens all get the same 401 envelope", arguments: [
        "hs256_expired", "hs256_no_exp", "hs256_wrong_aud", "hs256_no_aud", "hs256_sub_not_uuid",
        "hs256_wrong_secret", "hs256_tampered", "hs512", "none_alg",
        // No JWKS is configured here, so asymmetric tokens have no key to verify with.
        "rs256_valid", "es256_valid",
        "confusion_hs256_rsa_pem", "confusion_hs256_rsa_pem_nokid",
        // Issued an hour from now; headers with extensions that must be understood (RFC 7515 §4.1.11).
        "hs256_iat_future", "hs256_crit", "hs256_crit_unknown",
    ])
    func refused(name: String) async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/api/v1/auth/me", token: t.token(name))
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "UNAUTHORIZED")
            #expect(response.json["success"] as? Bool == false)
            #expect(response.headers.first(name: "WWW-Authenticate") == "Bearer")
            let count = try await t.sql.raw("SELECT COUNT(*) AS n FROM profiles").first()?.decode(column: "n", as: Int.self)
            #expect(count == 0, "a refused token must not create a profile")
        }
    }

    @Test("missing, empty, non-bearer and garbage credentials get 401", arguments: [
        nil, "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer ....",
    ] as [String?])
    func missingOrGarbage(header: String?) async throws {
        try await withTestApp { t in
            let headers = header.map { [("Authorization", $0)] } ?? []
            let response = try await t.client.get("/api/v1/usage", headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "UNAUTHORIZED")
        }
    }

    @Test("exp has 60 seconds of leeway, not more")
    func expiryLeeway() async throws {
        let clock = TestClock(fixtures.edge.addingTimeInterval(59))
        try await withTestApp(clock: clock) { t in
            let early = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_exp_edge"))
            #expect(early.status == .ok)
            t.clock.set(fixtures.edge.addingTimeInterval(61))
            let late = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_exp_edge"))
            #expect(late.status == .unauthorized)
        }
    }

    @Test("nbf has 60 seconds of leeway, not more")
    func notBeforeLeeway() async throws {
        let clock = TestClock(fixtures.edge.addingTimeInterval(-61))
        try await withTestApp(clock: clock) { t in
            let early = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_nbf_edge"))
            #expect(early.status == .unauthorized)
            t.clock.set(fixtures.edge.addingTimeInterval(-59))
            let late = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_nbf_edge"))
            #expect(late.status == .ok)
        }
    }

    @Test("iat has 60 seconds of leeway into the future, not more")
    func issuedAtLeeway() async throws {
        let clock = TestClock(fixtures.edge.addingTimeInterval(-61))
        try await withTestApp(clock: clock) { t in
            let early = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_iat_edge"))
            #expect(early.status == .unauthorized)
            t.clock.set(fixtures.edge.addingTimeInterval(-59))
            let late = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_iat_edge"))
            #expect(late.status == .ok)
        }
    }

    @Test("a token without email still signs in")
    func noEmail() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_no_email"))
            #expect(response.status == .ok)
            #expect(response.data["email"] == nil || response.data["email"] is NSNull)
        }
    }

    @Test("concurrent first requests of one user create one profile")
    func concurrentFirstRequests() async throws {
        try await withTestApp { t in
            try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await t.client.get("/api/v1/auth/me", token: t.token("hs256_valid")).status }
                }
                for try await status in group { #expect(status == .ok) }
            }
            let count = try await t.sql.raw("SELECT COUNT(*) AS n FROM profiles").first()?.decode(column: "n", as: Int.self)
            #expect(count == 1)
        }
    }

    @Test("tokens never reach the logs")
    func tokensNotLogged() async throws {
        try await withTestApp { t in
            let token = t.token("hs256_valid")
            _ = try await t.client.get("/api/v1/auth/me", token: token)
            _ = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_wrong_secret"))
            let signature = String(token.split(separator: ".")[2])
            #expect(!t.logs.all.contains { $0.contains(signature) })
            #expect(!t.logs.all.contains { $0.contains(fixtures.hs256Secret) })
        }
    }
}

/// ES256/RS256 with keys from a JWKS URL served over real HTTP.
@Suite("Auth: JWKS")
struct JWKSTests {
    let fixtures = TokenFixtures.shared

    @Test("RS256 and ES256 tokens verify with keys from the JWKS URL; confusion and mismatches fail")
    func asymmetricTokens() async throws {
        try await withJWKSServer(initial: fixtures.jwks) { jwksURL, _ in
            try await withTestApp(environment: ["AUTH_JWT_SECRET": "", "AUTH_JWKS_URL": jwksURL]) { t in
                for name in ["rs256_valid", "es256_valid"] {
                    let response = try await t.client.get("/api/v1/auth/me", token: t.token(name))
                    #expect(response.status == .ok, "\(name)")
                }
                for name in ["rs256_no_kid", "rs256_wrong_key", "rs256_expired", "confusion_hs256_rsa_pem",
                             "confusion_hs256_rsa_pem_nokid", "alg_mismatch_es256_header", "hs256_valid", "none_alg"] {
                    let response = try await t.client.get("/api/v1/auth/me", token: t.token(name))
                    #expect(response.status == .unauthorized, "\(name)")
                }
            }
        }
    }

    @Test("an unknown kid refreshes the keys, at most once a minute")
    func refreshOnUnknownKid() async throws {
        try await withJWKSServer(initial: fixtures.jwks) { jwksURL, server in
            let clock = TestClock()
            let cache = JWKSCache(
                url: URL(string: jwksURL)!, fetch: JWKSCache.httpFetch(client: .shared),
                now: { clock.now }, logger: Logger(label: "test"))
            let verifier = await AccessTokenVerifier(hs256Secret: nil, jwks: cache, now: { clock.now })

            _ = try await verifier.verify(fixtures.tokens["rs256_valid"]!)
            #expect(await cache.fetchCount == 1)

            // The provider rotates in a new key; tokens signed with it arrive at once.
            server.serve(fixtures.jwksRotated)
            await #expect(throws: AuthFailure.unknownKey) {
                // The first fetch was just now: no refresh allowed yet.
                _ = try await verifier.verify(fixtures.tokens["rs256_rotated_kid"]!)
            }
            for _ in 0..<5 { _ = try? await verifier.verify(fixtures.tokens["rs256_rotated_kid"]!) }
            #expect(await cache.fetchCount == 1, "unknown kids must not trigger a fetch each")

            clock.advance(by: 61)
            let user = try await verifier.verify(fixtures.tokens["rs256_rotated_kid"]!)
            #expect(user.id == fixtures.subject)
            #expect(await cache.fetchCount == 2)
            #expect(server.requests == 2)
        }
    }

    @Test("concurrent unknown kids share one fetch")
    func concurrentRefreshIsShared() async throws {
        try await withJWKSServer(initial: fixtures.jwksRotated) { jwksURL, server in
            let clock = TestClock()
            let cache = JWKSCache(url: URL(string: jwksURL)!, fetch: JWKSCache.httpFetch(client: .shared),
                                  now: { clock.now }, logger: Logger(label: "test"))
            let verifier = await AccessTokenVerifier(hs256Secret: nil, jwks: cache, now: { clock.now })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { _ = try await verifier.verify(fixtures.tokens["rs256_rotated_kid"]!) }
                }
                try await group.waitForAll()
            }
            #expect(server.requests == 1)
        }
    }
}

/// A tiny identity provider: serves a JWKS document and counts requests.
final class JWKSServer: Sendable {
    private let document: NIOLockedValueBox<Data>
    private let count = NIOLockedValueBox(0)

    init(_ initial: Data) { document = NIOLockedValueBox(initial) }

    func serve(_ data: Data) { document.withLockedValue { $0 = data } }
    var requests: Int { count.withLockedValue { $0 } }

    func respond() -> Response {
        count.withLockedValue { $0 += 1 }
        let body = document.withLockedValue { $0 }
        return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(data: body))
    }
}

func withJWKSServer(initial: Data, _ body: (String, JWKSServer) async throws -> Void) async throws {
    let server = JWKSServer(initial)
    try await withLocalHTTPServer({ app in
        app.get(".well-known", "jwks.json") { _ in server.respond() }
    }) { base in try await body("\(base)/.well-known/jwks.json", server) }
}

@Suite("Auth: dev mode")
struct DevAuthTests {
    @Test("a dev token minted with the generated secret signs in; the secret is created once")
    func devToken() async throws {
        try await withTestApp(environment: ["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"]) { t in
            let file = t.settings.dataDirectory.appendingPathComponent(DevAuth.secretFileName)
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let secret = try DevAuth.loadOrCreateSecret(in: t.settings.dataDirectory)
            #expect(try DevAuth.loadOrCreateSecret(in: t.settings.dataDirectory) == secret)

            let user = UUID()
            let token = try await DevAuth.mintToken(secret: secret, user: user, email: "dev@example.com", ttl: 600, now: t.clock.now)
            let response = try await t.client.get("/api/v1/auth/me", token: token)
            #expect(response.status == .ok)
            #expect(response.data["id"] as? String == user.uuidString.lowercased())

            t.clock.advance(by: 600 + 61)
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .unauthorized)
        }
    }

    @Test("a dev-mode server refuses Supabase tokens, and vice versa")
    func modesDoNotMix() async throws {
        try await withTestApp(environment: ["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"]) { t in
            let response = try await t.client.get("/api/v1/auth/me", token: t.token("hs256_valid"))
            #expect(response.status == .unauthorized)
        }
        try await withTestApp { t in
            let secret = try DevAuth.loadOrCreateSecret(in: t.directory.appendingPathComponent("elsewhere"))
            let token = try await DevAuth.mintToken(secret: secret, user: UUID(), email: nil, ttl: 600, now: t.clock.now)
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .unauthorized)
        }
    }
}
