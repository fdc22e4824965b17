import AsyncHTTPClient
import Foundation
import Testing
@testable import Storage

@Suite("SigV4 signer")
struct SigV4SignerTests {
    // MARK: AWS's published examples

    static let awsExample = SigV4Signer(accessKeyId: "AKIAIOSFODNN7EXAMPLE",
                                        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    static let awsExampleDate = Date(timeIntervalSince1970: 1_369_353_600)   // 2013-05-24T00:00:00Z

    @Test("AWS's published S3 example: GET /test.txt with a Range header")
    func awsHeaderExample() {
        let headers = Self.awsExample.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
                                           headers: [("Range", "bytes=0-9")], payloadHash: SigV4Signer.emptyPayloadHash,
                                           date: Self.awsExampleDate)
        #expect(value("authorization", in: headers) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(value("x-amz-date", in: headers) == "20130524T000000Z")
        #expect(value("x-amz-content-sha256", in: headers) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(value("host", in: headers) == "examplebucket.s3.amazonaws.com")
        #expect(value("range", in: headers) == "bytes=0-9")
    }

    @Test("AWS's published S3 example: a presigned GET valid for a day")
    func awsPresignExample() {
        let url = Self.awsExample.presign(scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
                                          expiresIn: 86_400, date: Self.awsExampleDate)
        #expect(url.absoluteString == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
            + "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    // MARK: Equality with botocore

    static let accessKeyId = "AKIDEXAMPLE1234567890"
    static let secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let region = "ap-southeast-2"
    static let signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: region)
    static let january = 1_768_469_400   // 2026-01-15T09:30:00Z
    static let leapDay = 1_709_251_199   // 2024-02-29T23:59:59Z

    struct Case: Encodable, Sendable {
        var name: String
        var kind = "header"
        var method = "GET"
        var scheme = "http"
        var host = "127.0.0.1:9000"
        var path: String
        var query: [[String]] = []
        var headers: [[String]] = []
        var body = Data()
        var epochSeconds = SigV4SignerTests.january
        var expiresIn: Int?
        var endpointPath: String?

        enum CodingKeys: String, CodingKey {
            case name, kind, method, scheme, host, path, query, headers, bodyBase64, epochSeconds, expiresIn, endpointPath
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(kind, forKey: .kind)
            try container.encode(method, forKey: .method)
            try container.encode(scheme, forKey: .scheme)
            try container.encode(host, forKey: .host)
            try container.encode(path, forKey: .path)
            try container.encode(query, forKey: .query)
            try container.encode(headers, forKey: .headers)
            try container.encode(body.base64EncodedString(), forKey: .bodyBase64)
            try container.encode(epochSeconds, forKey: .epochSeconds)
            try container.encodeIfPresent(expiresIn, forKey: .expiresIn)
            try container.encodeIfPresent(endpointPath, forKey: .endpointPath)
        }

        var date: Date { Date(timeIntervalSince1970: TimeInterval(epochSeconds)) }
        var fields: [SigV4Signer.Field] { headers.map { ($0[0], $0[1]) } }
        var queryFields: [SigV4Signer.Field] { query.map { ($0[0], $0[1]) } }
    }

    struct Botocore: Decodable {
        let name: String
        let url: String
        let headers: [[String]]?
        let canonicalRequest: String?

        func header(_ name: String) -> String? {
            headers?.first { $0[0].lowercased() == name }?[1]
        }
    }

    static let headerCases: [Case] = [
        Case(name: "PUT with a binary body", method: "PUT", path: "/public/renders/2f9c/0.webp",
             headers: [["Content-Type", "image/webp"]], body: Data((0...255).map { UInt8($0) } + Array("RIFF....WEBP".utf8))),
        Case(name: "GET with a space in the key", path: "/private/u1/inputs/photo 1.jpg"),
        Case(name: "HEAD with a unicode key over https", method: "HEAD", scheme: "https", host: "s3.ap-southeast-2.amazonaws.com",
             path: "/private/ünïcödé/文件 🙂.png"),
        Case(name: "DELETE with every special character", method: "DELETE", host: "localhost:9000",
             path: "/public/!'()*+,;=:@$&?#[]~_-. x/\"<>^`{|}.txt"),
        Case(name: "PUT bucket through a Supabase-style endpoint path", method: "PUT", scheme: "https",
             host: "abcdefghijklmnop.supabase.co", path: "/storage/v1/s3/renders",
             body: Data("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>ap-southeast-2</LocationConstraint></CreateBucketConfiguration>".utf8)),
        Case(name: "GET with query parameters", path: "/public",
             query: [["list-type", "2"], ["prefix", "renders/a b/ü"], ["delimiter", "/"], ["max-keys", "10"]]),
        Case(name: "headers with odd case and runs of whitespace", method: "PUT", path: "/public/x.png",
             headers: [["Content-Type", "  image/png  "], ["X-Amz-Meta-Note", "a   b  c"], ["Cache-Control", "public, max-age=31536000"]],
             body: Data("png".utf8)),
        Case(name: "a leap-day timestamp", path: "/public/x", epochSeconds: leapDay),
    ]

    static let presignCases: [Case] = [
        Case(name: "presign a unicode, special-character key for ten minutes", kind: "presign",
             path: "/public/renders/a b/ü+&?=.webp", expiresIn: 600),
        Case(name: "presign for the seven-day maximum over https", kind: "presign", scheme: "https",
             host: "s3.ap-southeast-2.amazonaws.com", path: "/private/u1/inputs/x.jpg", epochSeconds: leapDay, expiresIn: 604_800),
    ]

    @Test("Authorization and signed headers equal botocore's for the same requests")
    func headersMatchBotocore() throws {
        let botocore = try Self.runOracle(Self.headerCases)
        for (testCase, expected) in zip(Self.headerCases, botocore) {
            let ours = Self.signer.sign(method: testCase.method, host: testCase.host, path: testCase.path,
                                        query: testCase.queryFields, headers: testCase.fields,
                                        payloadHash: SigV4Signer.payloadHash(testCase.body), date: testCase.date)
            for name in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
                #expect(value(name, in: ours) == expected.header(name),
                        "\(testCase.name): \(name) differs; botocore's canonical request:\n\(expected.canonicalRequest ?? "")")
            }
            // The path we would put on the wire is the one botocore signed.
            let wirePath = "\(testCase.scheme)://\(testCase.host)\(SigV4Signer.encodePath(testCase.path))"
            #expect(expected.url.split(separator: "?", maxSplits: 1).first.map(String.init) == wirePath, "\(testCase.name)")
        }
    }

    @Test("presigned URLs equal botocore's, character for character")
    func presignedURLsMatchBotocore() throws {
        let botocore = try Self.runOracle(Self.presignCases)
        for (testCase, expected) in zip(Self.presignCases, botocore) {
            let ours = Self.signer.presign(method: testCase.method, scheme: testCase.scheme, host: testCase.host,
                                           path: testCase.path, expiresIn: testCase.expiresIn!, date: testCase.date)
            #expect(ours.absoluteString == expected.url, "\(testCase.name)")
        }
    }

    @Test("S3BlobStore.signedURL equals a boto3 client's generate_presigned_url for get_object")
    func storeSignedURLMatchesBoto3Client() async throws {
        let cases = [
            Case(name: "local path-style endpoint", kind: "client-presign", path: "/public/renders/a b/ü+&?#=(1).webp", expiresIn: 600),
            Case(name: "Supabase endpoint with a base path", kind: "client-presign", scheme: "https",
                 host: "abcdefghijklmnop.supabase.co", path: "/private/9b1c/inputs/5d0e 1.jpg", expiresIn: 3600,
                 endpointPath: "/storage/v1/s3"),
        ]
        let botocore = try Self.runOracle(cases)
        for (testCase, expected) in zip(cases, botocore) {
            let configuration = S3Configuration(
                endpoint: URL(string: "\(testCase.scheme)://\(testCase.host)\(testCase.endpointPath ?? "")")!,
                region: Self.region, accessKeyId: Self.accessKeyId, secretAccessKey: Self.secretAccessKey)
            let date = testCase.date
            let store = S3BlobStore(configuration: configuration, httpClient: .shared, now: { date })
            let parts = testCase.path.dropFirst().split(separator: "/", maxSplits: 1).map(String.init)
            let url = try await store.signedURL(bucket: parts[0], path: parts[1], expiresIn: TimeInterval(testCase.expiresIn!))
            #expect(url.absoluteString == expected.url, "\(testCase.name)")
        }
    }

    @Test("descriptions never show the secret access key")
    func redaction() {
        let texts = [Self.signer.description, String(reflecting: Self.signer), "\(Self.signer)", dumped(Self.signer)]
        for text in texts {
            #expect(!text.contains(Self.secretAccessKey))
            #expect(!text.contains(Self.accessKeyId))
            #expect(text.contains("<redacted>"))
        }
    }

    static func runOracle(_ cases: [Case]) throws -> [Botocore] {
        struct Request: Encodable {
            let accessKeyId: String, secretAccessKey: String, region: String, cases: [Case]
        }
        let input = try JSONEncoder().encode(Request(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: region, cases: cases))
        let output = try BotocoreOracle.run(["sign"], input: input)
        let results = try JSONDecoder().decode([Botocore].self, from: output)
        try #require(results.map(\.name) == cases.map(\.name))
        return results
    }
}

func value(_ name: String, in fields: [SigV4Signer.Field]) -> String? {
    fields.first { $0.name.lowercased() == name }?.value
}

func dumped(_ value: Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
