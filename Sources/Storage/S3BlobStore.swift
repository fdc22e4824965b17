import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Objects in an S3-compatible service (AWS S3, Supabase Storage's S3 endpoint, MinIO, R2),
/// addressed path-style (`{endpoint}/{bucket}/{path}`) and signed with AWS Signature V4.
public struct S3BlobStore: BlobStore {
    public let configuration: S3Configuration
    private let httpClient: HTTPClient
    private let now: @Sendable () -> Date
    private let signer: SigV4Signer
    private let requestTimeout: TimeAmount
    private let maxObjectBytes: Int
    private let logger: Logger

    private let scheme: String
    /// The `Host` header: host, plus the port when it is not the scheme's default.
    private let host: String
    /// The endpoint's own path (e.g. `/storage/v1/s3`), without a trailing slash.
    private let basePath: String

    public var kind: String { "s3" }

    /// - Parameters:
    ///   - requestTimeout: the deadline of one request, body included.
    ///   - maxObjectBytes: `get` refuses larger objects rather than hold them in memory.
    public init(configuration: S3Configuration, httpClient: HTTPClient, now: @escaping @Sendable () -> Date = { Date() },
                requestTimeout: TimeAmount = .seconds(30), maxObjectBytes: Int = 256 * 1024 * 1024,
                logger: Logger = Logger(label: "interior.storage.s3")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.now = now
        self.requestTimeout = requestTimeout
        self.maxObjectBytes = maxObjectBytes
        self.logger = logger
        self.signer = SigV4Signer(accessKeyId: configuration.accessKeyId, secretAccessKey: configuration.secretAccessKey,
                                  region: configuration.region)
        let endpoint = configuration.endpoint
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        var host = endpoint.host ?? ""
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        if let port = endpoint.port, port != (scheme == "https" ? 443 : 80) { host += ":\(port)" }
        var basePath = endpoint.path
        while basePath.hasSuffix("/") { basePath.removeLast() }
        self.scheme = scheme
        self.host = host
        self.basePath = basePath
    }

    // MARK: BlobStore

    public func put(bucket: String, path: String, data: Data, contentType: String) async throws(StorageError) {
        try ObjectPath.check(bucket: bucket, path: path)
        try ContentType.validate(contentType)
        let response = try await send(.PUT, bucket: bucket, key: path, headers: [("content-type", contentType)], body: data)
        guard response.status == 200 else { throw response.error(bucket: bucket) }
    }

    public func get(bucket: String, path: String) async throws(StorageError) -> StoredObject {
        try ObjectPath.check(bucket: bucket, path: path)
        let response = try await send(.GET, bucket: bucket, key: path)
        switch response.status {
        case 200:
            return StoredObject(
                data: response.body,
                contentType: response.header("content-type") ?? "application/octet-stream",
                etag: Self.unquoted(response.header("etag")) ?? LocalBlobStore.etag(of: response.body),
                size: response.body.count,
                lastModified: response.header("last-modified").flatMap(HTTPDate.parse) ?? now())
        case 404 where response.errorCode != "NoSuchBucket":
            throw .notFound
        default:
            throw response.error(bucket: bucket)
        }
    }

    public func exists(bucket: String, path: String) async throws(StorageError) -> Bool {
        try ObjectPath.check(bucket: bucket, path: path)
        let response = try await send(.HEAD, bucket: bucket, key: path)
        switch response.status {
        case 200:
            return true
        case 404:
            // A HEAD answer has no body to say which is missing, the key or the bucket.
            try await requireBucket(bucket)
            return false
        default:
            throw response.error(bucket: bucket)
        }
    }

    public func delete(bucket: String, path: String) async throws(StorageError) {
        try ObjectPath.check(bucket: bucket, path: path)
        let response = try await send(.DELETE, bucket: bucket, key: path)
        switch response.status {
        case 200, 204:
            return
        case 404 where response.errorCode != "NoSuchBucket":
            return   // S3 answers 204 for a missing key; some compatible services answer 404.
        default:
            throw response.error(bucket: bucket)
        }
    }

    public func signedURL(bucket: String, path: String, expiresIn: TimeInterval) async throws(StorageError) -> URL {
        try ObjectPath.check(bucket: bucket, path: path)
        let seconds = try SignedURLLifetime.seconds(expiresIn)
        return signer.presign(method: "GET", scheme: scheme, host: host, path: objectPath(bucket, path),
                              expiresIn: seconds, date: now())
    }

    public func publicURL(bucket: String, path: String) throws(StorageError) -> URL {
        try ObjectPath.check(bucket: bucket, path: path)
        let text: String
        if let base = configuration.publicAssetBaseURL {
            var prefix = base.absoluteString
            while prefix.hasSuffix("/") { prefix.removeLast() }
            text = "\(prefix)/\(bucket)/\(URIEncoding.encodePath(path))"
        } else {
            return try endpointURL(bucket: bucket, path: path)
        }
        guard let url = URL(string: text) else { throw .invalidPath("cannot be expressed as a URL") }
        return url
    }

    /// The public URL and, when that is elsewhere (a CDN), the object's unsigned URL on the
    /// endpoint itself: an S3 service may serve either without credentials.
    public func anonymousURLs(bucket: String, path: String) throws(StorageError) -> [URL] {
        let urls = [try publicURL(bucket: bucket, path: path), try endpointURL(bucket: bucket, path: path)]
        return urls[0] == urls[1] ? [urls[0]] : urls
    }

    /// `{endpoint}/{bucket}/{path}`, unsigned.
    private func endpointURL(bucket: String, path: String) throws(StorageError) -> URL {
        try ObjectPath.check(bucket: bucket, path: path)
        guard let url = URL(string: "\(scheme)://\(host)\(SigV4Signer.encodePath(objectPath(bucket, path)))") else {
            throw .invalidPath("cannot be expressed as a URL")
        }
        return url
    }

    /// Checks every bucket answers (HEAD); with no buckets, that the service answers at all.
    public func checkHealth(buckets: [String]) async throws(StorageError) {
        for bucket in buckets { try ObjectPath.validateBucket(bucket) }
        if buckets.isEmpty {
            let response = try await send(.GET, bucket: nil, key: nil)
            guard response.status == 200 else { throw response.error() }
        }
        for bucket in buckets { try await requireBucket(bucket) }
    }

    // MARK: Buckets

    /// Creates each bucket that does not exist yet (`interior storage init`, tests).
    public func ensureBuckets(_ names: [String]) async throws(StorageError) {
        for name in names { try ObjectPath.validateBucket(name) }
        for name in names {
            let head = try await send(.HEAD, bucket: name, key: nil)
            if head.status == 200 { continue }
            guard head.status == 404 else { throw head.error(bucket: name) }
            var body = Data()
            // us-east-1 is S3's default and must not be named; R2's "auto" is not a location.
            if configuration.region != "us-east-1" && configuration.region != "auto" {
                body = Data(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
            }
            let created = try await send(.PUT, bucket: name, key: nil, body: body)
            if created.status == 200 || created.errorCode == "BucketAlreadyOwnedByYou" { continue }
            throw created.error(bucket: name)
        }
    }

    /// Supabase Storage's S3 endpoint (`…/storage/v1/s3`), which has no bucket policies: a
    /// bucket is made public in its dashboard or its own Storage API.
    public var isSupabaseStorage: Bool { basePath.hasSuffix("/storage/v1/s3") }

    /// Sets a bucket policy letting anyone read the bucket's objects (`s3:GetObject`),
    /// replacing any policy it had. Services without bucket policies answer an error.
    public func allowAnonymousRead(bucket: String) async throws(StorageError) {
        try ObjectPath.validateBucket(bucket)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Sid":"InteriorPublicRead","Effect":"Allow","#
            + #""Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucket)/*"}]}"#
        let body = Data(policy.utf8)
        // AWS requires a checksum of a policy body.
        let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
        let response = try await send(.PUT, bucket: bucket, key: nil, query: [("policy", "")],
                                      headers: [("content-type", "application/json"), ("content-md5", md5)], body: body)
        guard response.status == 200 || response.status == 204 else { throw response.error(bucket: bucket) }
    }

    private func requireBucket(_ bucket: String) async throws(StorageError) {
        let response = try await send(.HEAD, bucket: bucket, key: nil)
        guard response.status == 200 else { throw response.error(bucket: bucket) }
    }

    // MARK: Requests

    private func objectPath(_ bucket: String?, _ key: String?) -> String {
        var path = basePath
        if let bucket { path += "/\(bucket)" }
        if let key { path += "/\(key)" }
        return path.isEmpty ? "/" : path
    }

    private enum Method: String { case GET, PUT, HEAD, DELETE }

    private func send(_ method: Method, bucket: String?, key: String?, query: [SigV4Signer.Field] = [],
                      headers: [SigV4Signer.Field] = [], body: Data? = nil) async throws(StorageError) -> S3Response {
        let path = objectPath(bucket, key)
        let payload = body ?? Data()
        let signed = signer.sign(method: method.rawValue, host: host, path: path, query: query, headers: headers,
                                 payloadHash: SigV4Signer.payloadHash(payload), date: now())
        let queryString = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(host)\(SigV4Signer.encodePath(path))\(queryString)")
        request.method = .init(rawValue: method.rawValue)
        for field in signed { request.headers.add(name: field.name, value: field.value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await httpClient.execute(request, timeout: requestTimeout)
            let bytes = try await response.body.collect(upTo: maxObjectBytes)
            var headerValues: [String: String] = [:]
            for field in response.headers { headerValues[field.name.lowercased()] = field.value }
            return S3Response(status: Int(response.status.code), headers: headerValues, body: Data(bytes.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw .unavailable("object is larger than \(maxObjectBytes) bytes")
        } catch {
            // Requests carry their signature in a header, never in the URL, so neither the
            // error nor the logged line can contain it.
            logger.warning("s3 request failed", metadata: ["method": "\(method.rawValue)", "error": "\(error)"])
            throw .unavailable("cannot reach the s3 endpoint \(host): \(Self.summary(of: error))")
        }
    }

    private static func summary(of error: any Error) -> String {
        if let error = error as? HTTPClientError { return String(describing: error) }
        return String(describing: type(of: error)) + " (" + String(String(describing: error).prefix(200)) + ")"
    }

    static func unquoted(_ etag: String?) -> String? {
        guard var etag, !etag.isEmpty else { return nil }
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        if etag.hasPrefix("\""), etag.hasSuffix("\""), etag.count >= 2 { etag = String(etag.dropFirst().dropLast()) }
        return etag
    }
}

struct S3Response: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    func header(_ name: String) -> String? { headers[name] }

    var errorCode: String? { S3ErrorBody.parse(body).code }

    /// The error an unexpected answer means, with S3's own code and message when the body has them.
    func error(bucket: String? = nil) -> StorageError {
        let parsed = S3ErrorBody.parse(body)
        var message: String
        switch (parsed.code, parsed.message) {
        case let (code?, text?): message = "\(code): \(text)"
        case let (code?, nil): message = code
        case let (nil, text?): message = text
        case (nil, nil):
            // HEAD answers carry no body; say what the status means for a bucket.
            switch (status, bucket) {
            case let (404, bucket?): message = "NoSuchBucket: bucket \"\(bucket)\" does not exist"
            case let (403, bucket?): message = "AccessDenied: no access to bucket \"\(bucket)\" with these credentials"
            case let (301, bucket?): message = "PermanentRedirect: bucket \"\(bucket)\" is in another region"
            default: message = "HTTP \(status)"
            }
        }
        if let bucket, parsed.code == "NoSuchBucket" { message += " (bucket \"\(bucket)\")" }
        return .backend(status: status, message: message)
    }
}

/// Reads `<Code>` and `<Message>` from an S3 XML error body. S3 error bodies are small, flat
/// documents, so two substring searches do what an XML parser would; other elements
/// (`<StringToSign>`, `<SignatureProvided>`, ...) are deliberately never read.
enum S3ErrorBody {
    static func parse(_ body: Data) -> (code: String?, message: String?) {
        guard !body.isEmpty, body.count <= 64 * 1024 else { return (nil, nil) }
        let text = String(decoding: body, as: UTF8.self)
        return (element("Code", in: text), element("Message", in: text))
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        let raw = text[open.upperBound..<close.lowerBound]
        let unescaped = raw
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
        let clean = String(unescaped.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            .trimmingCharacters(in: .whitespaces)
        return clean.isEmpty ? nil : String(clean.prefix(300))
    }
}

/// HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's preferred form), as S3 sends them.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
              let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(monthIndex)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(clock[0])
        fields.tm_min = Int32(clock[1])
        fields.tm_sec = Int32(clock[2])
        return Date(timeIntervalSince1970: TimeInterval(timegm(&fields)))
    }
}
