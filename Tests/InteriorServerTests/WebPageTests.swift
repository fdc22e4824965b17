import Foundation
@testable import InteriorServer
import Testing
import Vapor

/// The try-it page is served from `Public/` of the package (found from the executable, here
/// the test bundle in `.build/`), beside the API, whose envelopes it must not disturb.
@Suite("Web page: serving")
struct WebPageServingTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Public/ is found from the executable's location, whatever the working directory")
    func publicDirectoryIsFound() throws {
        let settings = try Settings.load(environment: [:], workingDirectory: URL(fileURLWithPath: "/"))
        #expect(settings.webRoot?.path == Self.packageRoot.appendingPathComponent("Public").standardizedFileURL.path)
    }

    @Test("the page is served at / with a content security policy and revalidated caching")
    func indexAtRoot() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .contentType)?.hasPrefix("text/html") == true)
            #expect(response.text.contains(#"<script type="module" src="/js/main.js"></script>"#))
            #expect(response.headers.first(name: .cacheControl) == "no-cache")
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            let policy = try #require(response.headers.first(name: "Content-Security-Policy"))
            let origin = t.settings.publicBaseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            #expect(policy.contains("default-src 'self'"))
            #expect(policy.contains("script-src 'self';"))
            #expect(policy.contains("img-src 'self' blob: data: \(origin)"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(response.headers.first(name: .xRequestId) != nil)

            let named = try await t.client.get("/index.html")
            #expect(named.status == .ok)
            #expect(named.body == response.body)
        }
    }

    @Test("scripts and styles are served with their types and a short cache")
    func assets() async throws {
        try await withTestApp { t in
            for (path, type) in [("/js/main.js", "javascript"), ("/css/app.css", "text/css"), ("/favicon.svg", "image/svg+xml")] {
                let response = try await t.client.get(path)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers.first(name: .contentType)?.contains(type) == true, "\(path)")
                #expect(response.headers.first(name: .cacheControl) == WebPageMiddleware.assetCacheControl, "\(path)")
                #expect(response.headers.first(name: .eTag) != nil, "\(path)")
            }
        }
    }

    @Test("an unchanged asset answers 304 to its ETag")
    func conditionalRequest() async throws {
        try await withTestApp { t in
            let first = try await t.client.get("/css/app.css")
            let etag = try #require(first.headers.first(name: .eTag))
            let again = try await t.client.get("/css/app.css", headers: [("If-None-Match", etag)])
            #expect(again.status == .notModified)
        }
    }

    @Test("API paths keep their 404 and 405 envelopes and their no-store caching")
    func apiEnvelopesUnchanged() async throws {
        try await withTestApp { t in
            let missing = try await t.client.get("/api/v1/nothing-here")
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "NOT_FOUND")
            #expect(missing.headers.first(name: .cacheControl) == "private, no-store")
            #expect(missing.headers.first(name: "Content-Security-Policy") == nil)

            // A file name under /api/ is never looked up on disk.
            let file = try await t.client.get("/api/index.html")
            #expect(file.errorCode == "NOT_FOUND")

            let method = try await t.client.send(.POST, "/api/v1/health")
            #expect(method.status == .methodNotAllowed)
            #expect(method.errorCode == "METHOD_NOT_ALLOWED")

            let health = try await t.client.get("/api/v1/health")
            #expect(health.status == .ok)
            #expect(health.headers.first(name: .cacheControl) == "private, no-store")
        }
    }

    @Test("a path that is neither a file nor a route is the 404 envelope")
    func unknownPagePath() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/no-such-page.html")
            #expect(response.status == .notFound)
            #expect(response.errorCode == "NOT_FOUND")
        }
    }

    @Test("the policy allows images from the public asset origin")
    func assetOriginInPolicy() async throws {
        try await withTestApp(environment: ["PUBLIC_ASSET_BASE_URL": "https://cdn.example.com:8443/interior/public"]) { t in
            let policy = try #require(try await t.client.get("/").headers.first(name: "Content-Security-Policy"))
            #expect(policy.contains("img-src 'self' blob: data: "))
            #expect(policy.contains("https://cdn.example.com:8443"))
            #expect(!policy.contains("/interior/public"))
        }
    }

    @Test("the page has a message for every error code of the API")
    func everyErrorCodeHasAMessage() throws {
        let source = try String(contentsOf: Self.packageRoot.appendingPathComponent("Public/js/messages.js"), encoding: .utf8)
        let table = try #require(source.components(separatedBy: "export const apiErrorMessages = {").last?
            .components(separatedBy: "\n};").first)
        for code in APIErrorCode.allCases {
            #expect(table.contains("\n  \(code.rawValue): "), "Public/js/messages.js has no message for \(code.rawValue)")
        }
    }
}

@Suite("Web page: dev sign-in")
struct DevSignInTests {
    static let devMode = ["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"]

    @Test("in dev mode the demo sign-in mints a token the API accepts")
    func demoUserToken() async throws {
        try await withTestApp(environment: Self.devMode) { t in
            let response = try await t.client.send(.POST, "/api/v1/auth/dev-token")
            #expect(response.status == .ok)
            #expect(response.json["success"] as? Bool == true)
            let token = try #require(response.data["token"] as? String)
            let userId = try #require(response.data["userId"] as? String)
            #expect(userId == DevAuth.demoUser.uuidString.lowercased())
            let expiresAt = try #require((response.data["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(expiresAt == t.clock.now.addingTimeInterval(DevAuth.lifetime))
            #expect(response.headers.first(name: .cacheControl) == "private, no-store")

            let me = try await t.client.get("/api/v1/auth/me", token: token)
            #expect(me.status == .ok)
            #expect(me.data["id"] as? String == userId)
        }
    }

    @Test("in dev mode a browser's own user id gets a token for that user")
    func browserUserToken() async throws {
        try await withTestApp(environment: Self.devMode) { t in
            let browserUser = UUID()
            let response = try await t.client.postJSON("/api/v1/auth/dev-token", ["userId": browserUser.uuidString])
            #expect(response.status == .ok)
            #expect(response.data["userId"] as? String == browserUser.uuidString.lowercased())
            let token = try #require(response.data["token"] as? String)
            let usage = try await t.client.get("/api/v1/usage", token: token)
            #expect(usage.status == .ok)
            let me = try await t.client.get("/api/v1/auth/me", token: token)
            #expect(me.data["id"] as? String == browserUser.uuidString.lowercased())
        }
    }

    @Test("a user id that is not a UUID is a 400 naming userId")
    func badUserId() async throws {
        try await withTestApp(environment: Self.devMode) { t in
            let response = try await t.client.postJSON("/api/v1/auth/dev-token", ["userId": "admin"])
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "VALIDATION_ERROR")
            #expect(response.errorDetails?["field"] as? String == "userId")

            let garbage = try await t.client.send(.POST, "/api/v1/auth/dev-token", body: Data("[1,2".utf8))
            #expect(garbage.status == .badRequest)
            #expect(garbage.errorCode == "VALIDATION_ERROR")
        }
    }

    @Test("in dev mode the dev sign-in answers POST only")
    func postOnly() async throws {
        try await withTestApp(environment: Self.devMode) { t in
            let response = try await t.client.get("/api/v1/auth/dev-token")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers.first(name: "Allow") == "POST")
        }
    }

    @Test("in supabase mode there is no dev sign-in: 404")
    func absentInSupabaseMode() async throws {
        try await withTestApp { t in
            if case .dev = t.settings.auth { Issue.record("this test needs supabase auth mode") }
            let post = try await t.client.postJSON("/api/v1/auth/dev-token", ["userId": UUID().uuidString])
            #expect(post.status == .notFound)
            #expect(post.errorCode == "NOT_FOUND")
            #expect(post.data["token"] == nil)
            let get = try await t.client.get("/api/v1/auth/dev-token")
            #expect(get.status == .notFound)
        }
    }
}
