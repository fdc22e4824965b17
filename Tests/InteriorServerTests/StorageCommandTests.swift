import AsyncHTTPClient
import Foundation
import Storage
import Testing
import TestSupport

@Suite("interior storage check, init and serve: the real executable against SeaweedFS")
struct StorageCommandTests {
    @Test("storage check reports a public bucket that is not publicly readable, serve's health shows it, storage init fixes it")
    func checkServeAndInit() async throws {
        let interior = try ServeProcess.executable().path
        let server = try await SeaweedFS.shared()
        let publicBucket = SeaweedFS.uniqueBucket("pub")
        let privateBucket = SeaweedFS.uniqueBucket("prv")
        // Both buckets exist, and like any new bucket, neither is readable without credentials.
        try await server.store().ensureBuckets([publicBucket, privateBucket])

        try await withTemporaryDirectory { directory in
            var environment = server.interiorEnvironment(publicBucket: publicBucket, privateBucket: privateBucket)
            environment["ENV"] = "development"
            environment["DATABASE_URL"] = "sqlite://\(directory.path)/interior.sqlite"
            environment["AUTH_JWT_SECRET"] = TokenFixtures.shared.hs256Secret
            let unset: Set = ["PUBLIC_ASSET_BASE_URL", "PUBLIC_BASE_URL", "HOST", "PORT", "INTERIOR_CONFIG", "REPLICATE_API_TOKEN"]
            func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
                let result = try await ProcessRunner.run(interior, arguments, environment: environment, unset: unset,
                                                         currentDirectory: directory)
                return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
            }

            let check = try await run(["storage", "check"])
            #expect(check.status == 1, "\(check.output)")
            let lines = check.output.split(separator: "\n").map(String.init)
            #expect(lines.contains("public bucket \"\(publicBucket)\": ok — exists"), "\(check.output)")
            #expect(lines.contains("private bucket \"\(privateBucket)\": ok — exists"))
            #expect(lines.contains { $0.hasPrefix("public read: refused — \(server.endpoint.absoluteString)/\(publicBucket)/_interior-check/")
                && $0.contains("answered 403 without credentials") })
            #expect(lines.contains("private read: ok — refused without credentials (403), served through a signed URL"))
            #expect(lines.contains("clean-up: ok — probe objects removed"))
            #expect(lines.contains { $0.hasPrefix("`interior storage init`") })
            #expect(!check.output.contains(SeaweedFS.secretAccessKey))

            let health = try await healthOfServe(interior, environment: environment, directory: directory)
            #expect(health.status == 200)
            let access = try #require(health.data["storageAccess"] as? [String: Any], "\(health.data)")
            #expect(access["publicRead"] as? String == "refused")
            #expect(access["privateRead"] as? String == "ok")
            #expect(health.log.components(separatedBy: "storage check failed").count == 2, "logged once:\n\(health.log)")

            let setup = try await run(["storage", "init"])
            #expect(setup.status == 0, "\(setup.output)")
            #expect(setup.output.contains("set a bucket policy on \"\(publicBucket)\" letting anyone read its objects (s3:GetObject)"))
            #expect(setup.output.contains("public read: ok — "))
            let recheck = try await run(["storage", "check"])
            #expect(recheck.status == 0, "\(recheck.output)")
            #expect(recheck.output.contains("public read: ok — \(server.endpoint.absoluteString)/\(publicBucket)/_interior-check/"))
        }
    }

    /// Starts `interior serve`, reads `GET /api/v1/health` once it answers, and stops it.
    func healthOfServe(_ interior: String, environment: [String: String], directory: URL) async throws
        -> (status: Int, data: [String: Any], log: String) {
        // The port is chosen before the server binds it: if something took it meanwhile, try another.
        for attempt in 1...3 {
            let port = try await freePort()
            var serving = environment
            serving["PORT"] = String(port)
            serving["PUBLIC_BASE_URL"] = "http://127.0.0.1:\(port)"
            let serve = try BackgroundProcess(name: "interior-serve", [interior, "serve"], environment: serving,
                                              currentDirectory: directory)
            defer { serve.stop() }
            do {
                try await serve.waitUntilServing("http://127.0.0.1:\(port)/api/v1/health")
            } catch where attempt < 3 && serve.output().contains("Address already in use") {
                continue
            }
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/health"),
                                                               timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            return (Int(response.status.code), json?["data"] as? [String: Any] ?? [:], serve.output())
        }
        throw ToolFailure("interior serve found no free port")
    }
}
