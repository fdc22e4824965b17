import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// AWS Signature Version 4 for S3, as a pure function of the request and the clock: header
/// signing (`Authorization`) and query signing (presigned URLs). Paths are given decoded and
/// encoded here the way S3 expects — every byte but `A-Z a-z 0-9 - . _ ~` and `/`, once, with
/// no `.`/`..` normalisation — so a request must put `SigV4Signer.encodePath(path)` on the wire.
public struct SigV4Signer: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public typealias Field = (name: String, value: String)

    public let accessKeyId: String
    private let secretAccessKey: String
    public let region: String
    public let service: String

    public init(accessKeyId: String, secretAccessKey: String, region: String, service: String = "s3") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// The payload hash of a presigned URL, or of a request whose body is not hashed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The payload hash of an empty body.
    public static let emptyPayloadHash = payloadHash(Data())

    /// Lowercase hex SHA-256, the form `x-amz-content-sha256` carries.
    public static func payloadHash(_ body: Data) -> String {
        hex(SHA256.hash(data: body))
    }

    /// The canonical URI of `path`, which is also what goes on the wire.
    public static func encodePath(_ path: String) -> String {
        let encoded = URIEncoding.encodePath(path)
        return encoded.hasPrefix("/") ? encoded : "/" + encoded
    }

    /// Signs a request with the `Authorization` header.
    ///
    /// - Parameters:
    ///   - host: the `Host` header: the endpoint's host, with `:port` unless the port is the
    ///     scheme's default.
    ///   - path: the decoded path (`/bucket/my key.txt`).
    ///   - query: decoded query items.
    ///   - headers: further headers to sign (e.g. `content-type`); `host`, `x-amz-date`,
    ///     `x-amz-content-sha256` and `authorization` among them are replaced.
    ///   - payloadHash: `payloadHash(body)`, or `unsignedPayload`.
    /// - Returns: every header to send: `headers`, then `host`, `x-amz-content-sha256`,
    ///   `x-amz-date` and `authorization`.
    public func sign(method: String, host: String, path: String, query: [Field] = [], headers: [Field] = [],
                     payloadHash: String, date: Date) -> [Field] {
        let timestamp = Self.timestamp(date)
        let replaced: Set = ["host", "x-amz-date", "x-amz-content-sha256", "authorization"]
        var fields = headers.filter { !replaced.contains($0.name.lowercased()) }
        fields.append(("host", host))
        fields.append(("x-amz-content-sha256", payloadHash))
        fields.append(("x-amz-date", timestamp))

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(fields)
        let canonicalRequest = [
            method.uppercased(), Self.encodePath(path), Self.canonicalQuery(query),
            canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, timestamp: timestamp)
        fields.append(("authorization",
                       "AWS4-HMAC-SHA256 Credential=\(accessKeyId)/\(scope(timestamp)), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return fields
    }

    /// A presigned URL (query authentication) for `method` on `path`, valid for `expiresIn`
    /// seconds from `date`. Signs only `host`, as a URL carries no other headers. The query
    /// keeps the caller's items first, in order, then the authentication parameters, then the
    /// signature — the layout AWS SDKs produce.
    public func presign(method: String = "GET", scheme: String, host: String, path: String, query: [Field] = [],
                        expiresIn: Int, date: Date) -> URL {
        let timestamp = Self.timestamp(date)
        let authentication: [Field] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(accessKeyId)/\(scope(timestamp))"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", String(expiresIn)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders([("host", host)])
        let canonicalRequest = [
            method.uppercased(), Self.encodePath(path), Self.canonicalQuery(query + authentication),
            canonicalHeaders, signedHeaders, Self.unsignedPayload,
        ].joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, timestamp: timestamp)
        let queryString = (query + authentication + [("X-Amz-Signature", signature)])
            .map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }
            .joined(separator: "&")
        // Every part is percent-encoded above, so the string is always a valid URL.
        return URL(string: "\(scheme)://\(host)\(Self.encodePath(path))?\(queryString)")!
    }

    // MARK: Description (never the secret)

    public var description: String {
        "SigV4Signer(accessKeyId: \(Redaction.keyId(accessKeyId)), secretAccessKey: <redacted>, region: \(region), service: \(service))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": Redaction.keyId(accessKeyId), "secretAccessKey": "<redacted>",
                                "region": region, "service": service])
    }

    // MARK: Internals

    func scope(_ timestamp: String) -> String {
        "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    func signature(canonicalRequest: String, timestamp: String) -> String {
        let stringToSign = Self.stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp, scope: scope(timestamp))
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [String(timestamp.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    static func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        ["AWS4-HMAC-SHA256", timestamp, scope, hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    /// Names lowercased and sorted, values trimmed with inner runs of spaces collapsed,
    /// repeated names joined with commas. Headers an intermediary may change are not signed.
    static func canonicalHeaders(_ fields: [Field]) -> (canonical: String, signed: String) {
        let unsigned: Set = ["expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"]
        var values: [String: [String]] = [:]
        for field in fields {
            let name = field.name.lowercased()
            guard !unsigned.contains(name) else { continue }
            values[name, default: []].append(field.value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " "))
        }
        let names = values.keys.sorted()
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    static func canonicalQuery(_ items: [Field]) -> String {
        items.map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

enum Redaction {
    /// Enough of an access key id to tell keys apart in logs, not enough to use it.
    static func keyId(_ id: String) -> String {
        id.count <= 8 ? "<redacted>" : "\(id.prefix(4))…<redacted>"
    }
}
