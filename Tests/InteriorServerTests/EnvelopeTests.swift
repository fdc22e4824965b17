import AsyncKit
import Foundation
import Imaging
@testable import InteriorServer
import Testing
import Vapor

@Suite("API envelope, errors and request context")
struct EnvelopeTests {
    struct Probe: Content {
        let name: String
        let count: Int
    }

    struct Secretive: Error, CustomStringConvertible {
        var description: String { "database password is hunter2" }
    }

    /// Routes that exist only in these tests, to reach code paths no public route has yet.
    static let probeRoutes = TestRoutes { app in
        app.post("test", "json") { request async throws -> Probe in try request.content.decode(Probe.self) }
        app.get("test", "boom") { _ async throws -> Probe in throw Secretive() }
        app.get("test", "pool") { _ async throws -> Probe in throw ConnectionPoolTimeoutError.connectionRequestTimeout }
    }

    @Test("health answers in the envelope with no-store caching and a request id")
    func health() async throws {
        try await withTestApp { t in
            let response = try await t.client.get("/api/v1/health")
            #expect(response.status == .ok)
            #expect(response.json["success"] as? Bool == true)
            #expect(response.data["status"] as? String == "ok")
            #expect(response.data["db"] as? String == "ok")
            #expect(response.data["storage"] as? String == "ok")
            #expect(response.data["replicate"] as? String == "emulator")
            #expect(response.data["storageBackend"] as? String == "local")
            let imaging = try #require(response.data["imaging"] as? [String: Any])
            let formats = try #require(imaging["formats"] as? [String])
            #expect(Array(formats.prefix(3)) == ["jpeg", "png", "webp"])
            let capabilities = ImageProcessor.capabilities
            #expect(formats.contains("heic") == capabilities.heic && formats.contains("avif") == capabilities.avif)
            #expect(imaging["libvips"] as? String == capabilities.libvipsVersion)
            #expect(capabilities.libvipsVersion.first?.isNumber == true, "libvips is loaded and reports its version")
            #expect(response.headers.first(name: "Cache-Control") == "private, no-store")
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            let id = try #require(response.headers.first(name: "X-Request-Id"))
            #expect(UUID(uuidString: id) != nil)
        }
    }

    @Test("a sane X-Request-Id is echoed; a hostile one is replaced")
    func requestId() async throws {
        try await withTestApp { t in
            let echoed = try await t.client.get("/api/v1/health", headers: [("X-Request-Id", "abc-123_x.y")])
            #expect(echoed.headers.first(name: "X-Request-Id") == "abc-123_x.y")
            #expect(t.logs.all.contains { $0.contains("request-id=abc-123_x.y") && $0.contains("route=/api/v1/health") && $0.contains("status=200") })
            for hostile in ["a b", String(repeating: "x", count: 200), "id\"}{", "ünïcode"] {
                let replaced = try await t.client.get("/api/v1/health", headers: [("X-Request-Id", hostile)])
                let id = try #require(replaced.headers.first(name: "X-Request-Id"))
                #expect(id != hostile)
                #expect(UUID(uuidString: id) != nil)
            }
        }
    }

    @Test("unknown routes answer 404 in the envelope")
    func notFound() async throws {
        try await withTestApp { t in
            for path in ["/nope", "/api/v1/nope", "/api/v2/health", "/api/v1/health/extra"] {
                let response = try await t.client.get(path)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.errorCode == "NOT_FOUND")
                #expect(response.json["success"] as? Bool == false)
            }
        }
    }

    @Test("a known path with the wrong method answers 405 with Allow")
    func methodNotAllowed() async throws {
        try await withTestApp { t in
            for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH] {
                let response = try await t.client.send(method, "/api/v1/config")
                #expect(response.status == .methodNotAllowed)
                #expect(response.errorCode == "METHOD_NOT_ALLOWED")
                #expect(response.headers.first(name: "Allow") == "GET, HEAD")
            }
            let head = try await t.client.send(.HEAD, "/api/v1/config")
            #expect(head.status == .ok)
        }
    }

    @Test("malformed JSON is a 400 naming the problem; so is a missing or mistyped field")
    func decodingFailures() async throws {
        try await withTestApp(extraRoutes: Self.probeRoutes) { t in
            let malformed = try await t.client.send(.POST, "/test/json", body: Data("{\"name\": ".utf8))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "VALIDATION_ERROR")
            #expect(malformed.errorDetails?["field"] as? String == "body")

            let missing = try await t.client.postJSON("/test/json", ["name": "x"])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "VALIDATION_ERROR")
            #expect(missing.errorDetails?["field"] as? String == "count")
            #expect(missing.errorMessage == "count is required.")

            let mistyped = try await t.client.postJSON("/test/json", ["name": "x", "count": "three"])
            #expect(mistyped.errorDetails?["field"] as? String == "count")
            #expect(mistyped.errorMessage == "count must be an integer.")

            let ok = try await t.client.postJSON("/test/json", ["name": "x", "count": 3])
            #expect(ok.status == .ok)
            #expect(ok.json["count"] as? Int == 3)
        }
    }

    @Test("a query or body the generated decoder cannot read is refused in the handlers' words, naming the field")
    func generatedDecodingFailures() async throws {
        try await withTestApp(environment: ["AUTH_JWT_SECRET": "", "AUTH_MODE": "dev"]) { t in
            let token = try #require(try await t.client.send(.POST, "/api/v1/auth/dev-token").data["token"] as? String)
            for (path, limit) in [("/api/v1/generations", "abc"), ("/api/v1/renders", "1.5"), ("/api/v1/generations", ""), ("/api/v1/renders", "101")] {
                let response = try await t.client.get("\(path)?limit=\(limit)", token: token)
                #expect(response.status == .badRequest, "\(path)?limit=\(limit)")
                #expect(response.errorCode == "VALIDATION_ERROR")
                #expect(response.errorDetails?["field"] as? String == "limit")
                #expect(response.errorMessage == "limit must be a whole number from 1 to 100.")
            }
            for body in [#"{"userId": 5}"#, "[]", "[1,2"] {
                let response = try await t.client.send(.POST, "/api/v1/auth/dev-token", body: Data(body.utf8))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorDetails?["field"] as? String == "body")
                #expect(response.errorMessage == "The request body must be a JSON object.")
            }
            let text = try await t.client.send(.POST, "/api/v1/auth/dev-token", body: Data("{}".utf8), contentType: "text/plain")
            #expect(text.status == .unsupportedMediaType)
            #expect(text.errorCode == "UNSUPPORTED_MEDIA_TYPE")
            // A case or an emptiness the document's enum would refuse, read as the handler reads it.
            for mode in ["IMAGINE", ""] {
                #expect(try await t.client.get("/api/v1/renders?mode=\(mode)", token: token).status == .ok, "mode=\(mode)")
            }
        }
    }

    @Test("a body of a type the route cannot read is 415; an oversized body is 413")
    func mediaTypeAndSize() async throws {
        try await withTestApp(extraRoutes: Self.probeRoutes) { t in
            let xml = try await t.client.send(.POST, "/test/json", body: Data("<probe/>".utf8), contentType: "application/xml")
            #expect(xml.status == .unsupportedMediaType)
            #expect(xml.errorCode == "UNSUPPORTED_MEDIA_TYPE")

            let huge = Data(("{\"name\": \"" + String(repeating: "x", count: 200_000) + "\", \"count\": 1}").utf8)
            let tooLarge = try await t.client.send(.POST, "/test/json", body: huge)
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.errorCode == "PAYLOAD_TOO_LARGE")
        }
    }

    @Test("an unexpected error is a generic 500; its cause is logged with the request id only")
    func internalError() async throws {
        try await withTestApp(extraRoutes: Self.probeRoutes) { t in
            let response = try await t.client.get("/test/boom", headers: [("X-Request-Id", "boom-1")])
            #expect(response.status == .internalServerError)
            #expect(response.errorCode == "INTERNAL_ERROR")
            #expect(!response.text.contains("hunter2"))
            #expect(response.errorMessage == APIError.internalError.message)
            #expect(t.logs.all.contains { $0.contains("request-id=boom-1") && $0.contains("hunter2") })
        }
    }

    @Test("no database connection free within the pool's wait is a 503 with Retry-After, not a 500")
    func databaseBusy() async throws {
        try await withTestApp(extraRoutes: Self.probeRoutes) { t in
            let response = try await t.client.get("/test/pool")
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "SERVICE_UNAVAILABLE")
            #expect(response.headers.first(name: "Retry-After") == "2")
            #expect(!t.logs.all.contains { $0.hasPrefix("error unhandled error") })
            #expect(t.logs.all.contains { $0.hasPrefix("warning request failed") && $0.contains("SERVICE_UNAVAILABLE") })
        }
    }

    @Test("config lists the presets, defaults and limits a UI needs")
    func config() async throws {
        try await withTestApp(environment: ["REPLICATE_MODEL": "google/nano-banana"]) { t in
            let data = try await t.client.get("/api/v1/config").data
            let modes = try #require(data["modes"] as? [[String: Any]])
            #expect(modes.map { $0["id"] as? String } == ["redesign", "staging", "compose", "imagine"])
            #expect(modes.map { $0["inputImages"] as? Int } == [1, 1, 2, 0])
            let rooms = try #require(data["roomTypes"] as? [[String: Any]])
            #expect(rooms.count == 10)
            #expect(rooms.first?["label"] as? String == "Living Room")
            let styles = try #require(data["styles"] as? [[String: Any]])
            #expect(styles.count == 10)
            #expect(styles.contains { $0["id"] as? String == "queenslander" })
            #expect(styles.allSatisfy { $0["seed"] == nil }, "style seeds are prompt text, not UI")
            #expect(data["aspectRatios"] as? [String] == ["match", "1:1", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9"])
            #expect(data["qualities"] as? [String] == ["auto", "low", "medium"], "the default model cannot honour high")
            // Each mode lists what the model really offers there: the photo's own shape first.
            #expect((modes[0]["aspectRatios"] as? [String])?.first == "match")
            #expect(modes[0]["defaultAspectRatio"] as? String == "match")
            #expect(modes[3]["aspectRatios"] as? [String] == ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"])
            #expect(modes[3]["defaultAspectRatio"] as? String == "1:1", "imagine has no photo to match")
            #expect(modes.allSatisfy { $0["maxVariants"] as? Int == 3 && $0["qualities"] as? [String] == ["auto", "low", "medium"] })
            #expect((data["model"] as? [String: Any])?["id"] as? String == "google/nano-banana")
            let defaults = try #require(data["defaults"] as? [String: Any])
            #expect(defaults["mode"] as? String == "redesign")
            #expect(defaults["aspectRatio"] as? String == "match")
            #expect(defaults["variants"] as? Int == 2)
            let limits = try #require(data["limits"] as? [String: Any])
            #expect(limits["maxUploadBytes"] as? Int == 15 * 1024 * 1024)
            #expect(limits["maxPromptLength"] as? Int == 1000)
            #expect(limits["maxVariants"] as? Int == 3)
            #expect(limits["requestsPerMinute"] as? Int == 120)
            #expect(data["authMode"] as? String == "supabase")
        }
    }

    @Test("config offers only what the image model can do: no compose on a one-image model, its own ratios and tiers")
    func configFollowsTheModel() async throws {
        try await withTestApp(environment: ["REPLICATE_MODEL": "black-forest-labs/flux-kontext-pro"]) { t in
            let data = try await t.client.get("/api/v1/config").data
            let modes = try #require(data["modes"] as? [[String: Any]])
            #expect(modes.map { $0["id"] as? String } == ["redesign", "staging", "imagine"])
            let defaults = try #require(data["defaults"] as? [String: Any])
            #expect(defaults["variants"] as? Int == 2, "one prediction per variant")
            let limits = try #require(data["limits"] as? [String: Any])
            #expect(limits["maxVariants"] as? Int == 3)
        }
        try await withTestApp(environment: ["REPLICATE_MODEL": "openai/gpt-image-1.5"]) { t in
            let data = try await t.client.get("/api/v1/config").data
            let modes = try #require(data["modes"] as? [[String: Any]])
            #expect(modes.map { $0["aspectRatios"] as? [String] } == [
                ["match", "1:1", "3:2", "2:3"], ["match", "1:1", "3:2", "2:3"], ["match", "1:1", "3:2", "2:3"], ["1:1", "3:2", "2:3"],
            ])
            #expect(data["qualities"] as? [String] == ["auto", "low", "medium", "high"])
        }
    }
}
