import AsyncHTTPClient
import Foundation
import InteriorCore
@testable import InteriorServer
import Replicate
import Testing
import Vapor

/// Outputs are downloaded only from allowed origins — scheme, host and port — so a signed
/// webhook naming another port of an allowed host (the server's own routes) is refused.
@Suite("Output origins")
struct OutputOriginTests {
    private func url(_ text: String) -> URL { URL(string: text)! }

    @Test("the default admits replicate.delivery and its subdomains over https on 443, nothing else")
    func defaultOrigin() {
        let origin = OutputOrigin.replicateDelivery
        for admitted in ["https://replicate.delivery/x.png", "https://pbxt.replicate.delivery/a/b.webp",
                         "https://REPLICATE.delivery:443/x", "https://a.b.replicate.delivery/x"] {
            #expect(origin.admits(url(admitted)), "\(admitted)")
        }
        for refused in ["http://replicate.delivery/x", "https://replicate.delivery:8443/x", "https://replicate.delivery:80/x",
                        "https://evilreplicate.delivery/x", "https://replicate.delivery.evil.example/x", "https://127.0.0.1/x"] {
            #expect(!origin.admits(url(refused)), "\(refused)")
        }
    }

    @Test("entries read as host, host:port or scheme://host[:port]")
    func parsing() throws {
        let bare = try #require(OutputOrigin.parse("cdn.example"))
        #expect(bare == OutputOrigin(scheme: "https", host: "cdn.example", port: 443, includesSubdomains: true))
        #expect(OutputOrigin.parse("CDN.example:8443") == OutputOrigin(scheme: "https", host: "cdn.example", port: 8443, includesSubdomains: true))
        #expect(OutputOrigin.parse("https://cdn.example:9443/") == OutputOrigin(scheme: "https", host: "cdn.example", port: 9443, includesSubdomains: true))
        #expect(OutputOrigin.parse("http://127.0.0.1:8090") == OutputOrigin(scheme: "http", host: "127.0.0.1", port: 8090, includesSubdomains: false))
        #expect(OutputOrigin.parse("[::1]:8090") == OutputOrigin(scheme: "https", host: "::1", port: 8090, includesSubdomains: false))
        for bad in ["", "https://", "cdn.example/path", "user@cdn.example", "*.cdn.example", "cdn.example:0", "cdn.example:x",
                    "ftp://cdn.example", "cdn.example:1:2", "https://cdn.example?x=1"] {
            #expect(OutputOrigin.parse(bad) == nil, "\(bad)")
        }
        let port = try #require(OutputOrigin.parse("cdn.example:8443"))
        #expect(port.admits(url("https://img.cdn.example:8443/x")))
        #expect(!port.admits(url("https://cdn.example/x")))
        let loopback = try #require(OutputOrigin.parse("http://127.0.0.1:8090"))
        #expect(loopback.admits(url("http://127.0.0.1:8090/files/1.png")))
        #expect(!loopback.admits(url("http://127.0.0.1:8080/api/v1/health")))
        #expect(!loopback.admits(url("https://127.0.0.1:8090/files/1.png")))
    }

    @Test("REPLICATE_OUTPUT_HOSTS takes several entries; production refuses http ones")
    func settings() async throws {
        try await withTemporaryDirectory { directory in try Self.checkSettings(in: directory) }
    }

    private static func checkSettings(in directory: URL) throws {
        let settings = try Settings.load(environment: ["REPLICATE_OUTPUT_HOSTS": "replicate.delivery, cdn.example:8443, http://127.0.0.1:8090"],
                                         workingDirectory: directory)
        #expect(settings.replicate.outputOrigins.map(\.description)
            == ["https://(*.)replicate.delivery:443", "https://(*.)cdn.example:8443", "http://127.0.0.1:8090"])
        let secret = String(repeating: "s", count: 40)
        let production = ["ENV": "production", "STORAGE_SIGNING_SECRET": secret, "AUTH_JWT_SECRET": secret,
                          "REPLICATE_API_TOKEN": "r8_token", "REPLICATE_WEBHOOK_SECRET": "whsec_abc",
                          "REPLICATE_OUTPUT_HOSTS": "http://cdn.example"]
        #expect(throws: ConfigError("REPLICATE_OUTPUT_HOSTS", "\"http://cdn.example\": outputs are downloaded over https only in production")) {
            try Settings.load(environment: production, workingDirectory: directory)
        }
    }

    /// The reported attack: with the emulator on 127.0.0.1, a webhook naming
    /// `http://127.0.0.1:<the server's port>/…` made the server fetch its own routes.
    @Test("with the emulator, only its exact origin is added: other ports of 127.0.0.1 are refused")
    func emulatorOriginOnly() async throws {
        let emulatorURL = URL(string: "http://127.0.0.1:\(try await freePort())/v1")!
        let connection = ReplicateConnection(baseURL: emulatorURL, token: Secret("r8_test"),
                                             webhookSecret: Secret(TestReplicate.webhookSecret), isEmulator: true)
        try await withTestApp(replicate: connection, backgroundWork: false) { t in
            let downloader = t.app.interior.assets.downloader
            let emulatorPort = try #require(emulatorURL.port)
            try downloader.check(URL(string: "http://127.0.0.1:\(emulatorPort)/files/p1/0.png")!)
            let serverPort = try #require(t.settings.publicBaseURL.port)
            for refused in ["http://127.0.0.1:\(serverPort)/api/v1/health", "http://127.0.0.1:\(serverPort)/metrics",
                            "http://127.0.0.1:22/", "http://127.0.0.1/x", "https://127.0.0.1:\(emulatorPort)/files/p1/0.png",
                            "http://localhost:\(emulatorPort)/files/p1/0.png"] {
                #expect(throws: OutputDownloader.Failure.self, "\(refused)") { try downloader.check(URL(string: refused)!) }
            }
            // A download from the server's own port fails at once, without a request.
            await #expect(throws: OutputDownloader.Failure.self) {
                _ = try await downloader.download(URL(string: "http://127.0.0.1:\(serverPort)/api/v1/health")!)
            }
        }
    }

    @Test("each redirect is checked by origin: to another port of the same host is refused, within the origin is followed")
    func redirects() async throws {
        let routes = TestRoutes { app in
            app.get("out", "image") { _ async throws -> Response in Response(status: .ok, body: .init(string: "image bytes")) }
            app.get("out", "home") { _ async throws -> Response in Response(status: .found, headers: ["Location": "/out/image"]) }
            app.get("out", "away", ":port") { request async throws -> Response in
                let port = request.parameters.get("port") ?? "1"
                return Response(status: .found, headers: ["Location": "http://127.0.0.1:\(port)/out/image"])
            }
        }
        try await withTestApp(extraRoutes: routes, backgroundWork: false) { t in
            let base = t.settings.publicBaseURL
            let origin = try #require(OutputOrigin.exact(base))
            let client = OutputDownloader.makeClient()
            defer { Task { try? await client.shutdown() } }
            let downloader = OutputDownloader(client: client, allowedOrigins: [origin], maxBytes: 1024,
                                              timeout: .seconds(5), attempts: 1, sleep: { _ in })
            let followed = try await downloader.download(base.appendingPathComponent("out/home"))
            #expect(String(decoding: followed.data, as: UTF8.self) == "image bytes")
            let other = try await freePort()
            await #expect(throws: OutputDownloader.Failure.permanent("output origin http://127.0.0.1:\(other) is not allowed")) {
                _ = try await downloader.download(base.appendingPathComponent("out/away/\(other)"))
            }
            try await client.shutdown()
        }
    }
}
