import Foundation
import Testing
@testable import InteriorServer

@Suite("Per-user request rate")
struct RateLimitTests {
    private static func withLimit(_ perMinute: Int, _ body: (TestContext) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let config = directory.appendingPathComponent("runtime.json")
            try Data(#"{"limits": {"requestsPerMinute": \#(perMinute)}}"#.utf8).write(to: config)
            try await withTestApp(environment: ["INTERIOR_CONFIG": config.path], backgroundWork: false, body)
        }
    }

    @Test("over the rate ⇒ 429 RATE_LIMITED with Retry-After; admitted again once a token is back; public routes are not limited")
    func limitedThenAdmitted() async throws {
        try await Self.withLimit(3) { t in
            let token = t.token("hs256_valid")
            for _ in 0..<3 {
                #expect(try await t.client.get("/api/v1/usage", token: token).status == .ok)
            }
            let refused = try await t.client.get("/api/v1/usage", token: token)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "RATE_LIMITED")
            // 3 a minute: one token every 20 s.
            #expect(refused.headers.first(name: "Retry-After") == "20")
            #expect(try await t.client.get("/api/v1/config").status == .ok, "routes without a user are not limited here")

            t.clock.advance(by: 19)
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .tooManyRequests)
            t.clock.advance(by: 1)
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .ok)
            #expect(try await t.client.get("/api/v1/auth/me", token: token).status == .tooManyRequests)
        }
    }

    @Test("a bad token is 401 before any rate is counted")
    func unauthorisedIsNotCounted() async throws {
        try await Self.withLimit(1) { t in
            for _ in 0..<3 {
                let refused = try await t.client.get("/api/v1/usage", token: t.token("hs256_expired"))
                #expect(refused.status == .unauthorized)
            }
            let admitted = try await t.client.get("/api/v1/usage", token: t.token("hs256_valid"))
            #expect(admitted.status == .ok)
        }
    }
}
