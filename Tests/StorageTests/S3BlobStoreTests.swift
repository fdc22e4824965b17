import AsyncHTTPClient
import Crypto
import Foundation
import Testing
@testable import Storage

/// Against SeaweedFS, which checks every signature and presigned expiry itself.
@Suite("S3 blob store against SeaweedFS")
struct S3BlobStoreTests {
    static let accessKeyId = SeaweedFS.accessKeyId
    static let secretAccessKey = SeaweedFS.secretAccessKey
    static let region = SeaweedFS.region

    let endpoint: URL
    let store: S3BlobStore

    init() async throws {
        endpoint = try await SeaweedFS.shared().endpoint
        store = S3BlobStore(configuration: Self.configuration(endpoint), httpClient: .shared)
    }

    static func configuration(_ endpoint: URL, publicAssetBaseURL: URL? = nil) -> S3Configuration {
        S3Configuration(endpoint: endpoint, region: region, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey,
                        publicAssetBaseURL: publicAssetBaseURL)
    }

    /// A bucket of its own for each test, so tests can run in parallel against one server.
    func freshBucket() async throws -> String {
        let bucket = SeaweedFS.uniqueBucket()
        try await store.ensureBuckets([bucket])
        return bucket
    }

    func botoListing(_ bucket: String) throws -> [[String: String]] {
        let output = try BotocoreOracle.run(["list-keys", endpoint.absoluteString, Self.region, bucket],
                                           environment: ["S3_ACCESS_KEY_ID": Self.accessKeyId,
                                                         "S3_SECRET_ACCESS_KEY": Self.secretAccessKey])
        let items = try JSONSerialization.jsonObject(with: output) as? [[String: Any]] ?? []
        return items.map { item in item.mapValues { "\($0)" } }
    }

    // MARK: Round trips

    @Test("put, get, exists and delete round-trip bytes and metadata")
    func roundTrip() async throws {
        let bucket = try await freshBucket()
        let bytes = Data((0..<70_000).map { UInt8(($0 * 7) % 256) })
        try await store.put(bucket: bucket, path: "renders/r1/0.webp", data: bytes, contentType: "image/webp")
        #expect(try await store.exists(bucket: bucket, path: "renders/r1/0.webp"))

        let object = try await store.get(bucket: bucket, path: "renders/r1/0.webp")
        #expect(object.data == bytes)
        #expect(object.contentType == "image/webp")
        #expect(object.size == bytes.count)
        // S3's ETag for a single-part upload is the MD5 of the bytes, unquoted here.
        #expect(object.etag == Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        #expect(abs(object.lastModified.timeIntervalSinceNow) < 300)

        try await store.delete(bucket: bucket, path: "renders/r1/0.webp")
        #expect(try await store.exists(bucket: bucket, path: "renders/r1/0.webp") == false)
        try await store.delete(bucket: bucket, path: "renders/r1/0.webp")
        #expect(await storageError { _ = try await store.get(bucket: bucket, path: "renders/r1/0.webp") } == .notFound)
    }

    @Test("keys with spaces, unicode and special characters are stored under exactly that key")
    func specialKeys() async throws {
        let bucket = try await freshBucket()
        let keys = ["u1/inputs/photo 1.jpg", "ünïcödé/文件 🙂.png", "sp/!'()*+,;=:@$&?#[]~_-. x.txt", "a/b/c/d.webp"]
        for (index, key) in keys.enumerated() {
            try await store.put(bucket: bucket, path: key, data: Data("object \(index)".utf8), contentType: "text/x-\(index)")
        }
        let listed = try botoListing(bucket)
        #expect(Set(listed.compactMap { $0["key"] }) == Set(keys))
        for (index, key) in keys.enumerated() {
            #expect(listed.first { $0["key"] == key }?["contentType"] == "text/x-\(index)")
            let object = try await store.get(bucket: bucket, path: key)
            #expect(object.data == Data("object \(index)".utf8))
            #expect(try await store.exists(bucket: bucket, path: key))
        }
    }

    @Test("a presigned GET URL fetched over plain HTTP returns the bytes")
    func presignedURLFetch() async throws {
        let bucket = try await freshBucket()
        let bytes = Data((0..<4096).map { UInt8($0 % 256) })
        let key = "private path/ü+&?.jpg"
        try await store.put(bucket: bucket, path: key, data: bytes, contentType: "image/jpeg")
        let url = try await store.signedURL(bucket: bucket, path: key, expiresIn: 600)
        #expect(url.absoluteString.contains("X-Amz-Expires=600"))
        #expect(url.absoluteString.contains("X-Amz-Signature="))

        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status.code == 200)
        #expect(Data(body.readableBytesView) == bytes)
        #expect(response.headers.first(name: "content-type") == "image/jpeg")
    }

    @Test("ensureBuckets creates what is missing and is idempotent; health then passes")
    func ensureBucketsAndHealth() async throws {
        let names = ["e-\(UUID().uuidString.lowercased().prefix(12))", "f-\(UUID().uuidString.lowercased().prefix(12))"]
        let missing = await storageError { try await store.checkHealth(buckets: names) }
        #expect(missing == .backend(status: 404, message: "NoSuchBucket: bucket \"\(names[0])\" does not exist"))
        try await store.ensureBuckets(names)
        try await store.ensureBuckets(names)
        try await store.checkHealth(buckets: names)
        try await store.checkHealth(buckets: [])
        #expect(store.kind == "s3")
    }

    // MARK: Signatures, checked by SeaweedFS

    @Test("requests signed with the wrong secret are refused, and the error shows no signature or secret")
    func wrongSecretRefused() async throws {
        let bucket = try await freshBucket()
        var configuration = Self.configuration(endpoint)
        configuration.secretAccessKey = "not/the+right-secret"
        let impostor = S3BlobStore(configuration: configuration, httpClient: .shared)
        let error = await storageError {
            try await impostor.put(bucket: bucket, path: "a.webp", data: Data("x".utf8), contentType: "image/webp")
        }
        guard case let .backend(status, message)? = error else {
            Issue.record("expected a backend error, got \(String(describing: error))")
            return
        }
        #expect(status == 403)
        #expect(message.hasPrefix("SignatureDoesNotMatch: The request signature we calculated does not match"))
        #expect(!message.contains("refused-signature-never-to-be-shown"))
        #expect(!message.contains("not/the+right-secret"))
        #expect(try await store.exists(bucket: bucket, path: "a.webp") == false)
    }

    @Test("a presigned URL stops working when its path, signature or expiry is changed, or it has expired")
    func presignedURLRefusals() async throws {
        let bucket = try await freshBucket()
        try await store.put(bucket: bucket, path: "in/a.jpg", data: Data("a".utf8), contentType: "image/jpeg")
        try await store.put(bucket: bucket, path: "in/b.jpg", data: Data("b".utf8), contentType: "image/jpeg")
        let url = try await store.signedURL(bucket: bucket, path: "in/a.jpg", expiresIn: 60).absoluteString
        #expect(try await Self.fetch(url).status == 200)

        let moved = url.replacingOccurrences(of: "/in/a.jpg?", with: "/in/b.jpg?")
        #expect(try await Self.fetch(moved).status == 403)
        let signature = try #require(url.range(of: "X-Amz-Signature=")).upperBound
        let flipped: Character = url[signature] == "0" ? "1" : "0"
        let tampered = url.replacingCharacters(in: signature...signature, with: String(flipped))
        let refused = try await Self.fetch(tampered)
        #expect(refused.status == 403)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("<Code>SignatureDoesNotMatch</Code>"))
        let lengthened = url.replacingOccurrences(of: "X-Amz-Expires=60", with: "X-Amz-Expires=600")
        #expect(try await Self.fetch(lengthened).status == 403)

        // Signed by a clock two minutes behind: the URL has already expired when it is used.
        let issuedTwoMinutesAgo = Date().addingTimeInterval(-120)
        let stale = S3BlobStore(configuration: Self.configuration(endpoint), httpClient: .shared, now: { issuedTwoMinutesAgo })
        let expired = try await Self.fetch(try await stale.signedURL(bucket: bucket, path: "in/a.jpg", expiresIn: 60).absoluteString)
        #expect(expired.status == 403)
        #expect(String(decoding: expired.body, as: UTF8.self).contains("expired"))
        let live = try await stale.signedURL(bucket: bucket, path: "in/a.jpg", expiresIn: 600)
        let fetched = try await Self.fetch(live.absoluteString)
        #expect(fetched.status == 200)
        #expect(fetched.body == Data("a".utf8))
    }

    // MARK: Anonymous reads, decided by SeaweedFS

    @Test("anonymous reads work on the bucket its identities make public and are refused elsewhere")
    func anonymousReadByIdentity() async throws {
        let key = "anon/\(UUID().uuidString).txt"
        try await store.put(bucket: SeaweedFS.identityPublicBucket, path: key, data: Data("open".utf8), contentType: "text/plain")
        try await store.put(bucket: "private", path: key, data: Data("closed".utf8), contentType: "text/plain")
        defer { Task { try? await store.delete(bucket: SeaweedFS.identityPublicBucket, path: key); try? await store.delete(bucket: "private", path: key) } }

        let open = try await Self.fetch(try store.publicURL(bucket: SeaweedFS.identityPublicBucket, path: key).absoluteString)
        #expect(open.status == 200)
        #expect(open.body == Data("open".utf8))
        let closed = try await Self.fetch(try store.publicURL(bucket: "private", path: key).absoluteString)
        #expect(closed.status == 403)
        #expect(String(decoding: closed.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
    }

    @Test("a new bucket refuses anonymous reads until allowAnonymousRead sets its policy")
    func anonymousReadByPolicy() async throws {
        let bucket = try await freshBucket()
        let other = try await freshBucket()
        for name in [bucket, other] {
            try await store.put(bucket: name, path: "p/x.txt", data: Data(name.utf8), contentType: "text/plain")
        }
        #expect(try await Self.fetch(try store.publicURL(bucket: bucket, path: "p/x.txt").absoluteString).status == 403)

        try await store.allowAnonymousRead(bucket: bucket)
        let open = try await Self.fetch(try store.publicURL(bucket: bucket, path: "p/x.txt").absoluteString)
        #expect(open.status == 200)
        #expect(open.body == Data(bucket.utf8))
        // The policy is the bucket's own: its neighbour stays closed, and writing still needs a signature.
        #expect(try await Self.fetch(try store.publicURL(bucket: other, path: "p/x.txt").absoluteString).status == 403)
        var put = HTTPClientRequest(url: try store.publicURL(bucket: bucket, path: "p/y.txt").absoluteString)
        put.method = .PUT
        put.body = .bytes(Array("anonymous write".utf8))
        #expect(try await HTTPClient.shared.execute(put, timeout: .seconds(10)).status.code == 403)
        #expect(try await store.exists(bucket: bucket, path: "p/y.txt") == false)

        // A policy for a bucket that is not there is refused (SeaweedFS 4.48 answers 500, not S3's 404).
        let missing = "missing-\(UUID().uuidString.lowercased().prefix(8))"
        let error = await storageError { try await store.allowAnonymousRead(bucket: missing) }
        guard case .backend? = error else {
            Issue.record("expected a backend error, got \(String(describing: error))")
            return
        }
    }

    static func fetch(_ url: String) async throws -> (status: Int, body: Data) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Data(body.readableBytesView))
    }

    // MARK: Errors

    @Test("get refuses an object larger than its limit rather than hold it")
    func objectSizeLimit() async throws {
        let bucket = try await freshBucket()
        try await store.put(bucket: bucket, path: "big.bin", data: Data(count: 5000), contentType: "application/octet-stream")
        let small = S3BlobStore(configuration: Self.configuration(endpoint), httpClient: .shared, maxObjectBytes: 4096)
        #expect(await storageError { _ = try await small.get(bucket: bucket, path: "big.bin") }
            == .unavailable("object is larger than 4096 bytes"))
        #expect(try await store.get(bucket: bucket, path: "big.bin").size == 5000)
    }

    @Test("a missing object is notFound for get, false for exists, and fine to delete")
    func missingObject() async throws {
        let bucket = try await freshBucket()
        #expect(await storageError { _ = try await store.get(bucket: bucket, path: "nope.webp") } == .notFound)
        #expect(try await store.exists(bucket: bucket, path: "nope.webp") == false)
        try await store.delete(bucket: bucket, path: "nope.webp")
    }

    @Test("a missing bucket is a clear backend error naming it, never notFound")
    func missingBucket() async throws {
        let bucket = "missing-\(UUID().uuidString.lowercased().prefix(8))"
        let errors = [
            await storageError { _ = try await store.get(bucket: bucket, path: "a.webp") },
            await storageError { _ = try await store.exists(bucket: bucket, path: "a.webp") },
            await storageError { try await store.put(bucket: bucket, path: "a.webp", data: Data("x".utf8), contentType: "image/webp") },
            await storageError { try await store.delete(bucket: bucket, path: "a.webp") },
        ]
        for error in errors {
            guard case let .backend(status, message)? = error else {
                Issue.record("expected a backend error, got \(String(describing: error))")
                continue
            }
            #expect(status == 404)
            #expect(message.hasPrefix("NoSuchBucket"))
            #expect(message.contains(bucket))
        }
    }

    @Test("an unreachable endpoint is unavailable, and no error shows the secret")
    func unreachable() async throws {
        try await withRefusingPort { port in
            let offline = S3BlobStore(configuration: Self.configuration(URL(string: "http://127.0.0.1:\(port)")!),
                                      httpClient: .shared, requestTimeout: .seconds(1))
            let errors = [
                await storageError { _ = try await offline.get(bucket: "public", path: "a.webp") },
                await storageError { try await offline.put(bucket: "public", path: "a.webp", data: Data(), contentType: "image/webp") },
                await storageError { try await offline.checkHealth(buckets: ["public"]) },
            ]
            for error in errors {
                #expect(error?.isUnavailable == true, "\(String(describing: error))")
                #expect(!"\(String(describing: error))".contains(Self.secretAccessKey))
            }
        }
    }

    @Test("hostile paths never reach the network", arguments: ObjectPathTests.hostilePaths.map(\.path))
    func hostilePathsRefused(path: String) async throws {
        // Nothing listens on this endpoint: an error other than invalidPath would mean a request went out.
        try await withRefusingPort { port in
            let offline = S3BlobStore(configuration: Self.configuration(URL(string: "http://127.0.0.1:\(port)")!), httpClient: .shared)
            #expect(await storageError { try await offline.put(bucket: "public", path: path, data: Data("x".utf8), contentType: "text/plain") }?.isInvalidPath == true)
            #expect(await storageError { _ = try await offline.get(bucket: "public", path: path) }?.isInvalidPath == true)
            #expect(await storageError { _ = try await offline.exists(bucket: "public", path: path) }?.isInvalidPath == true)
            #expect(await storageError { try await offline.delete(bucket: "public", path: path) }?.isInvalidPath == true)
            #expect(await storageError { _ = try await offline.signedURL(bucket: "public", path: path, expiresIn: 60) }?.isInvalidPath == true)
            #expect(storageErrorSync { _ = try offline.publicURL(bucket: "public", path: path) }?.isInvalidPath == true)
        }
    }

    @Test("a content type that would break the request is refused before it is sent")
    func badContentType() async throws {
        try await withRefusingPort { port in
            let offline = S3BlobStore(configuration: Self.configuration(URL(string: "http://127.0.0.1:\(port)")!), httpClient: .shared)
            #expect(await storageError { try await offline.put(bucket: "public", path: "a.png", data: Data("x".utf8), contentType: "text/plain\r\nX-Injected: 1") }
                == .invalidArgument("contentType must be 1 to 255 printable ASCII characters"))
        }
    }

    // MARK: URLs

    @Test("public URLs are path-style on the endpoint, or under PUBLIC_ASSET_BASE_URL when set")
    func publicURLs() throws {
        let plain = S3BlobStore(configuration: Self.configuration(URL(string: "https://s3.ap-southeast-2.amazonaws.com")!), httpClient: .shared)
        #expect(try plain.publicURL(bucket: "public", path: "renders/r 1/0.webp").absoluteString
            == "https://s3.ap-southeast-2.amazonaws.com/public/renders/r%201/0.webp")
        let supabase = S3BlobStore(
            configuration: Self.configuration(URL(string: "https://proj.supabase.co/storage/v1/s3")!,
                                              publicAssetBaseURL: URL(string: "https://proj.supabase.co/storage/v1/object/public")!),
            httpClient: .shared)
        #expect(try supabase.publicURL(bucket: "public", path: "renders/r1/0_thumb.webp").absoluteString
            == "https://proj.supabase.co/storage/v1/object/public/public/renders/r1/0_thumb.webp")
        let port = S3BlobStore(configuration: Self.configuration(URL(string: "http://127.0.0.1:9000/")!), httpClient: .shared)
        #expect(try port.publicURL(bucket: "public", path: "x.webp").absoluteString == "http://127.0.0.1:9000/public/x.webp")
    }

    @Test("Supabase Storage is recognised by its S3 endpoint path (it has no bucket policies)")
    func supabaseEndpoint() {
        let store = { (endpoint: String) in S3BlobStore(configuration: Self.configuration(URL(string: endpoint)!), httpClient: .shared) }
        #expect(store("https://proj.supabase.co/storage/v1/s3").isSupabaseStorage)
        #expect(store("https://proj.storage.supabase.co/storage/v1/s3/").isSupabaseStorage)
        #expect(!store("https://s3.ap-southeast-2.amazonaws.com").isSupabaseStorage)
        #expect(!store("http://127.0.0.1:9000").isSupabaseStorage)
    }

    @Test("the XML error body gives code and message, and nothing else")
    func errorBodies() {
        let body = Data("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match &amp; so on</Message>\
            <SignatureProvided>deadbeef</SignatureProvided><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>
            """.utf8)
        let error = S3Response(status: 403, headers: [:], body: body).error()
        #expect(error == .backend(status: 403, message: "SignatureDoesNotMatch: The request signature we calculated does not match & so on"))
        #expect(S3Response(status: 503, headers: [:], body: Data()).error() == .backend(status: 503, message: "HTTP 503"))
        #expect(S3Response(status: 403, headers: [:], body: Data()).error(bucket: "b")
            == .backend(status: 403, message: "AccessDenied: no access to bucket \"b\" with these credentials"))
    }

    @Test("HTTP dates parse as S3 sends them")
    func httpDates() {
        #expect(HTTPDate.parse("Thu, 15 Jan 2026 09:30:00 GMT") == Date(timeIntervalSince1970: 1_768_469_400))
        #expect(HTTPDate.parse("Thursday, 15-Jan-26 09:30:00 GMT") == nil)
        #expect(S3BlobStore.unquoted("\"abc\"") == "abc")
        #expect(S3BlobStore.unquoted("W/\"abc\"") == "abc")
    }
}

@Suite("S3 configuration")
struct S3ConfigurationTests {
    static let environment = ["S3_ACCESS_KEY_ID": "AKIDCONFIG0000000000", "S3_SECRET_ACCESS_KEY": "top/secret+value"]

    @Test("a Supabase STORAGE_URL parses with its endpoint path, region and keys")
    func parsesSupabase() throws {
        var environment = Self.environment
        environment["PUBLIC_ASSET_BASE_URL"] = "https://proj.supabase.co/storage/v1/object/public/"
        let configuration = try S3Configuration.parse(
            storageURL: "s3://?endpoint=https://proj.supabase.co/storage/v1/s3&region=ap-southeast-2", environment: environment)
        #expect(configuration.endpoint.absoluteString == "https://proj.supabase.co/storage/v1/s3")
        #expect(configuration.region == "ap-southeast-2")
        #expect(configuration.accessKeyId == "AKIDCONFIG0000000000")
        #expect(configuration.secretAccessKey == "top/secret+value")
        #expect(configuration.publicAssetBaseURL?.absoluteString == "https://proj.supabase.co/storage/v1/object/public")
    }

    @Test("percent-encoded query values and a trailing slash are accepted")
    func parsesEncoded() throws {
        let configuration = try S3Configuration.parse(
            storageURL: "s3:///?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000%2F", environment: Self.environment)
        #expect(configuration.endpoint.absoluteString == "http://127.0.0.1:9000")
        #expect(configuration.publicAssetBaseURL == nil)
    }

    struct Problem: Sendable, CustomTestStringConvertible {
        let storageURL: String
        let environment: [String: String]
        let expected: String
        var testDescription: String { expected }

        init(storageURL: String, environment: [String: String], _ expected: String) {
            self.storageURL = storageURL
            self.environment = environment
            self.expected = expected
        }
    }

    static let problemCases: [Problem] = [
        Problem(storageURL: "file://data/storage", environment: environment, "STORAGE_URL: an s3 storage URL starts with s3://"),
        Problem(storageURL: "s3://bucket?endpoint=https://x&region=r", environment: environment, "STORAGE_URL: s3 settings go in the query: s3://?endpoint=https://...&region=..."),
        Problem(storageURL: "s3://?region=ap-southeast-2", environment: environment, "STORAGE_URL: s3 endpoint is required (s3://?endpoint=https://...&region=...)"),
        Problem(storageURL: "s3://?endpoint=ftp://x.example&region=r", environment: environment, "STORAGE_URL: s3 endpoint must be http(s)"),
        Problem(storageURL: "s3://?endpoint=https://&region=r", environment: environment, "STORAGE_URL: s3 endpoint must name a host"),
        Problem(storageURL: "s3://?endpoint=https://user:pw@x.example&region=r", environment: environment,
         "STORAGE_URL: s3 endpoint must not carry credentials, a query or a fragment"),
        Problem(storageURL: "s3://?endpoint=https://x.example", environment: environment, "STORAGE_URL: s3 region is required (e.g. region=ap-southeast-2)"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=a/b", environment: environment, "STORAGE_URL: s3 region may contain only letters, digits, '-' and '_'"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=r&bucket=b", environment: environment,
         "STORAGE_URL: unknown s3 parameter \"bucket\" (expected endpoint and region)"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=r&region=s", environment: environment, "STORAGE_URL: s3 region given twice"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=r", environment: [:], "S3_ACCESS_KEY_ID: required for s3 storage"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=r", environment: ["S3_ACCESS_KEY_ID": "a"], "S3_SECRET_ACCESS_KEY: required for s3 storage"),
        Problem(storageURL: "s3://?endpoint=https://x.example&region=r", environment: environment.merging(["PUBLIC_ASSET_BASE_URL": "cdn.example.com"]) { $1 },
         "PUBLIC_ASSET_BASE_URL: the public asset base URL must be http(s)"),
    ]

    @Test("each problem names its key", arguments: S3ConfigurationTests.problemCases)
    func problems(problem: Problem) {
        do {
            _ = try S3Configuration.parse(storageURL: problem.storageURL, environment: problem.environment)
            Issue.record("\(problem.storageURL) parsed")
        } catch {
            #expect(error.description == problem.expected)
            #expect(!error.description.contains("top/secret+value"))
        }
    }

    @Test("descriptions, debug descriptions and dumps never show the secret")
    func redaction() throws {
        let configuration = try S3Configuration.parse(storageURL: "s3://?endpoint=https://s3.amazonaws.com&region=us-east-1",
                                                      environment: Self.environment)
        for text in ["\(configuration)", String(reflecting: configuration), dumped(configuration), dumped([configuration])] {
            #expect(!text.contains("top/secret+value"), "\(text)")
            #expect(!text.contains("AKIDCONFIG0000000000"), "\(text)")
            #expect(text.contains("https://s3.amazonaws.com"))
        }
    }
}
