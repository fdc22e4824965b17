import AsyncHTTPClient
import Foundation
import InteriorCore
@testable import InteriorServer
import NIOConcurrencyHelpers
import Storage
import Testing
import TestSupport

@Suite("Storage check: start-up, health and storage init")
struct StorageAccessTests {
    // MARK: Local storage, through the real routes

    @Test("local storage passes: its public route serves the probe, its private objects need a signature")
    func localPasses() async throws {
        try await withTestApp { t in
            let report = await Operations.checkStorage(t.app)
            #expect(report.passed, "\(report.lines)")
            let base = t.settings.publicBaseURL.absoluteString
            #expect(report.publicRead.detail.hasPrefix("\(base)/storage/v1/object/public/public/_interior-check/"))
            // The private probe's anonymous URL is the public route, which serves only the public bucket.
            #expect(report.privateRead.detail == "refused without credentials (404), served through a signed URL")
            #expect(t.logs.all.contains { $0.contains("route=/storage/v1/object/sign/:bucket/**") && $0.contains("status=200") },
                    "the signed read went through the application's own route")
            let probes = t.directory.appendingPathComponent("storage/public/\(StorageCheck.probeFolder)").path
            let left = try FileManager.default.contentsOfDirectory(atPath: probes)
            #expect(left.isEmpty, "the probe and its sidecar are removed")
        }
    }

    @Test("local storage behind a PUBLIC_ASSET_BASE_URL that serves nothing fails the public read")
    func localBehindDeadCDN() async throws {
        try await withRefusingPort { port in
            try await withTestApp(environment: ["PUBLIC_ASSET_BASE_URL": "http://127.0.0.1:\(port)/cdn"]) { t in
                let report = await Operations.checkStorage(t.app)
                #expect(report.publicRead.status == .error)
                #expect(report.publicRead.detail.hasPrefix("http://127.0.0.1:\(port)/cdn/public/_interior-check/"))
                #expect(report.privateRead.status == .error, "its anonymous URL cannot be fetched either, so it is not known to be private")
                #expect(!report.passed)
            }
        }
    }

    // MARK: Health

    @Test("health shows the cached check and never runs one on a request's time; a stale one is refreshed in the background")
    func healthCaches() async throws {
        let flaky = NIOLockedValueBox<FlakyStore?>(nil)
        try await withTestApp(wrapStore: { base in
            let store = FlakyStore(base)
            flaky.withLockedValue { $0 = store }
            return store
        }) { t in
            let store = try #require(flaky.withLockedValue { $0 })
            let first = try await t.client.get("/api/v1/health")
            #expect(first.status == .ok)
            #expect(first.data["storage"] as? String == "ok")
            let pending = try #require(first.data["storageAccess"] as? [String: Any])
            #expect(pending["publicRead"] as? String == "pending")
            #expect(pending["privateRead"] as? String == "pending")
            #expect(pending["checkedAt"] == nil)

            // That request started a check in the background; once it is done, health shows it.
            await t.app.interior.storageAccess.finishRunningCheck()
            #expect(store.writes == 2, "one check: a probe in each bucket")
            for _ in 0..<5 {
                let access = try #require(try await t.client.get("/api/v1/health").data["storageAccess"] as? [String: Any])
                #expect(access["publicRead"] as? String == "ok")
                #expect(access["privateRead"] as? String == "ok")
                #expect(access["checkedAt"] as? String == "2026-05-28T20:26:40Z")
            }
            await t.app.interior.storageAccess.finishRunningCheck()
            #expect(store.writes == 2, "fresh reports are served from the cache")

            t.clock.advance(by: 61)
            let stale = try #require(try await t.client.get("/api/v1/health").data["storageAccess"] as? [String: Any])
            #expect(stale["checkedAt"] as? String == "2026-05-28T20:26:40Z", "the stale report answers while a new check runs")
            await t.app.interior.storageAccess.finishRunningCheck()
            #expect(store.writes == 4)
            let renewed = try #require(try await t.client.get("/api/v1/health").data["storageAccess"] as? [String: Any])
            #expect(renewed["checkedAt"] as? String == "2026-05-28T20:27:41Z")
        }
    }

    // MARK: S3 (SeaweedFS)

    /// A test app on SeaweedFS with buckets of its own (created, no policy: nobody can read them anonymously).
    func withSeaweedApp(production: Bool = false, createBuckets: Bool = true,
                        _ body: (TestContext, SeaweedFS, S3BlobStore) async throws -> Void) async throws {
        let server = try await SeaweedFS.shared()
        let store = server.store()
        let publicBucket = SeaweedFS.uniqueBucket("pub")
        let privateBucket = SeaweedFS.uniqueBucket("prv")
        if createBuckets { try await store.ensureBuckets([publicBucket, privateBucket]) }
        var environment = server.interiorEnvironment(publicBucket: publicBucket, privateBucket: privateBucket)
        if production {
            environment.merge(["ENV": "production", "REPLICATE_API_TOKEN": "r8_unused",
                               "REPLICATE_WEBHOOK_SECRET": TestReplicate.webhookSecret]) { $1 }
        }
        // SeaweedFS checks request times against its own clock.
        try await withTestApp(environment: environment, clock: .following()) { t in
            try await body(t, server, store)
        }
    }

    @Test("a public bucket that is not publicly readable is reported at start-up, in health and by storage check; storage init fixes it")
    func publicBucketPrivate() async throws {
        try await withSeaweedApp { t, server, _ in
            try await Operations.checkStorageAtStartup(t.app)
            let logged = t.logs.all.filter { $0.contains("storage check") }
            #expect(logged.count == 1, "\(logged)")
            #expect(logged.first?.contains("public read: refused — \(server.endpoint.absoluteString)/\(t.settings.publicBucket)/") == true)

            let health = try await t.client.get("/api/v1/health")
            #expect(health.status == .ok, "the instance can still serve: health reports, the load balancer keeps it")
            let access = try #require(health.data["storageAccess"] as? [String: Any])
            #expect(access["publicRead"] as? String == "refused")
            #expect(access["privateRead"] as? String == "ok")

            let report = await Operations.checkStorage(t.app)
            #expect(report.publicRead.status == .refused)
            #expect(Operations.storageHint(t.app, report)?.hasPrefix("`interior storage init`") == true)

            let setup = try await Operations.initStorage(t.app)
            #expect(setup.actions == ["set a bucket policy on \"\(t.settings.publicBucket)\" letting anyone read its objects (s3:GetObject)"])
            #expect(setup.report.passed, "\(setup.report.lines)")
            let fixed = try #require(try await t.client.get("/api/v1/health").data["storageAccess"] as? [String: Any])
            #expect(fixed["publicRead"] as? String == "ok")
            #expect(fixed["privateRead"] as? String == "ok")
        }
    }

    @Test("storage init creates missing buckets, and running it again changes nothing")
    func initCreatesBuckets() async throws {
        try await withSeaweedApp(createBuckets: false) { t, _, store in
            let before = await Operations.checkStorage(t.app)
            #expect(before.publicBucket.status == .missing && before.privateBucket.status == .missing)
            let setup = try await Operations.initStorage(t.app)
            #expect(setup.actions == [
                "created bucket \"\(t.settings.publicBucket)\"", "created bucket \"\(t.settings.privateBucket)\"",
                "set a bucket policy on \"\(t.settings.publicBucket)\" letting anyone read its objects (s3:GetObject)",
            ])
            #expect(setup.report.passed, "\(setup.report.lines)")
            try await store.checkHealth(buckets: [t.settings.publicBucket, t.settings.privateBucket])
            let again = try await Operations.initStorage(t.app)
            #expect(again.actions.isEmpty)
            #expect(again.report.passed)
        }
    }

    @Test("in production a publicly readable private bucket stops start-up with one line; a private public bucket does not")
    func productionRefusesExposedUploads() async throws {
        try await withSeaweedApp(production: true) { t, _, store in
            // The public bucket refuses anonymous reads: a warning, and start-up goes on.
            try await Operations.checkStorageAtStartup(t.app)

            try await store.allowAnonymousRead(bucket: t.settings.privateBucket)
            do {
                try await Operations.checkStorageAtStartup(t.app)
                Issue.record("start-up went on with a public private bucket")
            } catch let error as ConfigError {
                #expect(error.key == "STORAGE_PRIVATE_BUCKET")
                #expect(error.description.hasPrefix("STORAGE_PRIVATE_BUCKET: bucket \"\(t.settings.privateBucket)\" is publicly readable ("))
                #expect(error.description.hasSuffix("production refuses to start with uploads exposed"))
                #expect(!error.description.contains("\n"))
                #expect(!error.description.contains(SeaweedFS.secretAccessKey))
            }
        }
    }
}
