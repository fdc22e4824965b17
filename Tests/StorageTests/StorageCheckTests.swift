import AsyncHTTPClient
import Foundation
import Testing
@testable import Storage

/// The storage check against SeaweedFS, whose own access rules decide every anonymous read.
@Suite("Storage check against SeaweedFS")
struct StorageCheckTests {
    let server: SeaweedFS
    let store: S3BlobStore

    init() async throws {
        server = try await SeaweedFS.shared()
        store = server.store()
    }

    func check(_ store: S3BlobStore? = nil, publicBucket: String, privateBucket: String) -> StorageCheck {
        StorageCheck(store: store ?? self.store, publicBucket: publicBucket, privateBucket: privateBucket,
                     fetch: StorageCheck.anonymousFetch())
    }

    /// Two new buckets, the first readable by anyone through a bucket policy.
    func bucketPair(publicReadable: Bool = true) async throws -> (public: String, private: String) {
        let names = (SeaweedFS.uniqueBucket("pub"), SeaweedFS.uniqueBucket("prv"))
        try await store.ensureBuckets([names.0, names.1])
        if publicReadable { try await store.allowAnonymousRead(bucket: names.0) }
        return names
    }

    func keys(_ bucket: String) throws -> [String] {
        let output = try BotocoreOracle.run(["list-keys", server.endpoint.absoluteString, SeaweedFS.region, bucket],
                                           environment: ["S3_ACCESS_KEY_ID": SeaweedFS.accessKeyId,
                                                         "S3_SECRET_ACCESS_KEY": SeaweedFS.secretAccessKey])
        let items = try JSONSerialization.jsonObject(with: output) as? [[String: Any]] ?? []
        return items.compactMap { $0["key"] as? String }
    }

    @Test("a public bucket readable by anyone and a private one that is not pass, and the probes are removed")
    func passes() async throws {
        let (publicBucket, privateBucket) = try await bucketPair()
        let report = await check(publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(report.passed, "\(report.lines)")
        #expect(report.publicRead.detail.hasPrefix("\(server.endpoint.absoluteString)/\(publicBucket)/_interior-check/"))
        #expect(report.privateRead.detail == "refused without credentials (403), served through a signed URL")
        #expect(report.cleanup == .init(.ok, "probe objects removed"))
        // Checked independently: boto3 lists both buckets empty.
        #expect(try keys(publicBucket).isEmpty)
        #expect(try keys(privateBucket).isEmpty)
    }

    @Test("a public bucket that refuses anonymous reads is reported as refused, with the URL and SeaweedFS's status")
    func publicBucketPrivate() async throws {
        let (publicBucket, privateBucket) = try await bucketPair(publicReadable: false)
        let report = await check(publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(!report.passed)
        #expect(report.publicBucket.status == .ok)
        #expect(report.publicRead.status == .refused)
        #expect(report.publicRead.detail.contains("/\(publicBucket)/_interior-check/"))
        #expect(report.publicRead.detail.contains("answered 403 without credentials"))
        #expect(report.privateRead.status == .ok)
        #expect(report.lines[2].hasPrefix("public read: refused — \(server.endpoint.absoluteString)/\(publicBucket)/"))
        #expect(try keys(publicBucket).isEmpty)
    }

    @Test("a private bucket anyone can read is reported as exposed")
    func privateBucketExposed() async throws {
        let (publicBucket, privateBucket) = try await bucketPair()
        try await store.allowAnonymousRead(bucket: privateBucket)
        let report = await check(publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(report.publicRead.status == .ok)
        #expect(report.privateRead.status == .exposed)
        #expect(report.privateRead.detail.contains("/\(privateBucket)/_interior-check/"))
        #expect(report.privateRead.detail.contains("serves a probe object without credentials"))
        #expect(try keys(privateBucket).isEmpty)
    }

    @Test("with a CDN base URL, the private probe is also tried on the endpoint itself")
    func cdnAndEndpoint() async throws {
        let (publicBucket, privateBucket) = try await bucketPair()
        try await store.allowAnonymousRead(bucket: privateBucket)
        // The "CDN" serves nothing at all here (a path SeaweedFS has no bucket for); the
        // endpoint still serves the private bucket to anyone, and that must be found.
        let cdn = server.endpoint.appendingPathComponent("no-such-cdn-prefix")
        let fronted = S3BlobStore(configuration: server.configuration(publicAssetBaseURL: cdn), httpClient: .shared)
        #expect(try fronted.anonymousURLs(bucket: privateBucket, path: "a/b.txt").map(\.absoluteString) == [
            "\(cdn.absoluteString)/\(privateBucket)/a/b.txt", "\(server.endpoint.absoluteString)/\(privateBucket)/a/b.txt",
        ])
        #expect(try store.anonymousURLs(bucket: privateBucket, path: "a/b.txt").count == 1)
        let report = await check(fronted, publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(report.publicRead.status == .refused, "\(report.lines)")
        #expect(report.privateRead.status == .exposed)
        #expect(report.privateRead.detail.hasPrefix("\(server.endpoint.absoluteString)/\(privateBucket)/_interior-check/"))
    }

    @Test("missing buckets are reported as missing and their reads as not checked")
    func missingBuckets() async throws {
        let publicBucket = SeaweedFS.uniqueBucket("gone")
        let privateBucket = SeaweedFS.uniqueBucket("gone")
        let report = await check(publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(report.publicBucket == .init(.missing, "does not exist"))
        #expect(report.privateBucket == .init(.missing, "does not exist"))
        #expect(report.publicRead == .init(.error, "not checked: bucket \"\(publicBucket)\" is not usable"))
        #expect(report.privateRead.status == .error)
        #expect(report.cleanup == .init(.ok, "nothing was written"))
        #expect(await storageError { try await store.checkHealth(buckets: [publicBucket]) }?.description.contains("NoSuchBucket") == true)
    }

    @Test("wrong credentials make every step an error, never a pass, and no line shows the secret")
    func wrongSecret() async throws {
        let (publicBucket, privateBucket) = try await bucketPair()
        let impostor = S3BlobStore(configuration: server.configuration(secretAccessKey: "not/the+right-secret"), httpClient: .shared)
        let report = await check(impostor, publicBucket: publicBucket, privateBucket: privateBucket).run()
        #expect(report.publicBucket.status == .error)
        #expect(report.publicBucket.detail.contains("403"), "\(report.publicBucket.detail)")
        #expect(report.publicRead.status == .error)
        #expect(report.privateRead.status == .error)
        #expect(!report.lines.joined().contains("not/the+right-secret"))
        #expect(!report.lines.joined().contains(SeaweedFS.secretAccessKey))
    }
}
