import AsyncHTTPClient
import Foundation
import NIOCore

/// Storage checked the way its users meet it: both buckets exist; an object written to the
/// public bucket can be fetched without credentials at the URL handed out for it
/// (`publicURL`); one written to the private bucket cannot be fetched without credentials at
/// any URL the backend might serve it from (`anonymousURLs`), yet can through a signed URL.
/// The probe objects are removed afterwards.
public struct StorageCheck: Sendable {
    /// A GET without credentials, answering the status and body.
    public typealias Fetch = @Sendable (URL) async throws -> (status: Int, body: Data)

    /// The folder probe objects are written under, in both buckets.
    public static let probeFolder = "_interior-check"

    public let store: any BlobStore
    public let publicBucket: String
    public let privateBucket: String
    private let fetch: Fetch
    private let makeID: @Sendable () -> UUID

    public init(store: any BlobStore, publicBucket: String, privateBucket: String, fetch: @escaping Fetch,
                makeID: @escaping @Sendable () -> UUID = { UUID() }) {
        self.store = store
        self.publicBucket = publicBucket
        self.privateBucket = privateBucket
        self.fetch = fetch
        self.makeID = makeID
    }

    /// The process's client for probes. Like `HTTPClient.shared` it lives as long as the
    /// process; unlike it, a connection that fails is the answer at once, not retried until the
    /// deadline — a dead CDN must not hold `serve` start-up for the whole timeout.
    public static let probeClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false),
                                                     timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Plain HTTP GETs, sending nothing but the URL.
    public static func anonymousFetch(client: HTTPClient = probeClient, timeout: TimeAmount = .seconds(10)) -> Fetch {
        { url in
            let response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), Data(body.readableBytesView))
        }
    }

    public func run() async -> StorageCheckReport {
        let publicBucketFinding = await bucketFinding(publicBucket)
        let privateBucketFinding = await bucketFinding(privateBucket)
        var written: [(bucket: String, path: String)] = []

        let publicRead: StorageCheckReport.Finding<StorageCheckReport.PublicRead>
        if publicBucketFinding.status == .ok {
            let (finding, probe) = await checkPublicRead()
            publicRead = finding
            if let probe { written.append((publicBucket, probe)) }
        } else {
            publicRead = .init(.error, "not checked: bucket \"\(publicBucket)\" is not usable")
        }

        let privateRead: StorageCheckReport.Finding<StorageCheckReport.PrivateRead>
        if privateBucketFinding.status == .ok {
            let (finding, probe) = await checkPrivateRead()
            privateRead = finding
            if let probe { written.append((privateBucket, probe)) }
        } else {
            privateRead = .init(.error, "not checked: bucket \"\(privateBucket)\" is not usable")
        }

        var leftovers: [String] = []
        for object in written {
            do { try await store.delete(bucket: object.bucket, path: object.path) } catch {
                leftovers.append("\(object.bucket)/\(object.path) (\(error))")
            }
        }
        let cleanup: StorageCheckReport.Finding<StorageCheckReport.Cleanup> = leftovers.isEmpty
            ? .init(.ok, written.isEmpty ? "nothing was written" : "probe objects removed")
            : .init(.leftover, "could not remove \(leftovers.joined(separator: ", "))")
        return StorageCheckReport(publicBucketName: publicBucket, privateBucketName: privateBucket,
                                  publicBucket: publicBucketFinding, privateBucket: privateBucketFinding,
                                  publicRead: publicRead, privateRead: privateRead, cleanup: cleanup)
    }

    // MARK: Steps

    private func bucketFinding(_ bucket: String) async -> StorageCheckReport.Finding<StorageCheckReport.BucketState> {
        do {
            try await store.checkHealth(buckets: [bucket])
            return .init(.ok, "exists")
        } catch let .backend(404, message) where message.hasPrefix("NoSuchBucket") {
            return .init(.missing, "does not exist")
        } catch {
            return .init(.error, "\(error)")
        }
    }

    /// The public probe must come back, byte for byte, from its public URL without credentials.
    private func checkPublicRead() async -> (StorageCheckReport.Finding<StorageCheckReport.PublicRead>, probe: String?) {
        await probing(publicBucket) { path, bytes in
            let url = try store.publicURL(bucket: publicBucket, path: path)
            let answer = try await get(url)
            switch (answer.status, answer.body == bytes) {
            case (200, true):
                return .init(.ok, "\(url.absoluteString) serves a probe object without credentials")
            case (200, false):
                return .init(.error, "\(url.absoluteString) answered 200 but not with the probe object's bytes")
            default:
                return .init(.refused, "\(url.absoluteString) answered \(answer.status) without credentials, so the image "
                    + "URLs handed out will not load: make bucket \"\(publicBucket)\" publicly readable")
            }
        }
    }

    /// The private probe must not come back from any anonymous URL, and must from a signed one.
    private func checkPrivateRead() async -> (StorageCheckReport.Finding<StorageCheckReport.PrivateRead>, probe: String?) {
        await probing(privateBucket) { path, bytes in
            var refusals: [String] = []
            for url in try store.anonymousURLs(bucket: privateBucket, path: path) {
                let answer = try await get(url)
                if answer.status == 200 && answer.body == bytes {
                    return .init(.exposed, "\(url.absoluteString) serves a probe object without credentials: uploads "
                        + "are readable by anyone; remove public access from bucket \"\(privateBucket)\"")
                }
                refusals.append(String(answer.status))
            }
            let signed = try await store.signedURL(bucket: privateBucket, path: path, expiresIn: 300)
            // The signed URL carries a signature: only its host and path are ever shown.
            let shown = "a signed URL for \(signed.scheme ?? "")://\(signed.host ?? "")\(signed.port.map { ":\($0)" } ?? "")\(signed.path)"
            let answer = try await get(signed, shown: shown)
            guard answer.status == 200, answer.body == bytes else {
                return .init(.error, "anonymous reads are refused, but \(shown) answered \(answer.status): signed links "
                    + "to private objects do not work")
            }
            return .init(.ok, "refused without credentials (\(refusals.joined(separator: ", "))), served through a signed URL")
        }
    }

    /// Writes a new probe object to `bucket` and runs `read` on it; a failed write or a
    /// failure within `read` is the finding's error. Returns the probe's path once written.
    private func probing<Status: ProbeStatus>(
        _ bucket: String, _ read: (_ path: String, _ bytes: Data) async throws -> StorageCheckReport.Finding<Status>
    ) async -> (StorageCheckReport.Finding<Status>, probe: String?) {
        let id = makeID().uuidString.lowercased()
        let path = "\(Self.probeFolder)/\(id).txt"
        let bytes = Data("interior storage check \(id)\n".utf8)
        do {
            try await store.put(bucket: bucket, path: path, data: bytes, contentType: "text/plain")
        } catch {
            return (.init(.error, "could not write a probe object to \"\(bucket)\": \(error)"), nil)
        }
        do {
            return (try await read(path, bytes), path)
        } catch {
            return (.init(.error, "\(error)"), path)
        }
    }

    /// An anonymous GET; a URL that cannot be fetched at all ends the read as an error.
    private func get(_ url: URL, shown: String? = nil) async throws -> (status: Int, body: Data) {
        do {
            return try await fetch(url)
        } catch {
            throw Unreachable(description: "\(shown ?? url.absoluteString) could not be fetched: "
                + String(String(describing: error).prefix(200)))
        }
    }

    private struct Unreachable: Error, CustomStringConvertible {
        let description: String
    }
}

/// A finding's status that can say the question could not be answered.
protocol ProbeStatus: RawRepresentable, Sendable, Equatable where RawValue == String {
    static var error: Self { get }
}

extension StorageCheckReport.PublicRead: ProbeStatus {}
extension StorageCheckReport.PrivateRead: ProbeStatus {}

/// What `StorageCheck.run()` found: one finding per question, each a status and a line.
public struct StorageCheckReport: Sendable, Equatable {
    public enum BucketState: String, Sendable { case ok, missing, error }
    /// `refused`: the public bucket does not serve its objects anonymously.
    public enum PublicRead: String, Sendable { case ok, refused, error }
    /// `exposed`: the private bucket serves its objects to anyone.
    public enum PrivateRead: String, Sendable { case ok, exposed, error }
    public enum Cleanup: String, Sendable { case ok, leftover }

    public struct Finding<Status: RawRepresentable & Sendable & Equatable>: Sendable, Equatable where Status.RawValue == String {
        public var status: Status
        /// Says what was seen (URLs, statuses, the backend's message); never a credential.
        public var detail: String

        public init(_ status: Status, _ detail: String) {
            self.status = status
            self.detail = detail
        }
    }

    public var publicBucketName: String
    public var privateBucketName: String
    public var publicBucket: Finding<BucketState>
    public var privateBucket: Finding<BucketState>
    public var publicRead: Finding<PublicRead>
    public var privateRead: Finding<PrivateRead>
    public var cleanup: Finding<Cleanup>

    public var passed: Bool {
        publicBucket.status == .ok && privateBucket.status == .ok && publicRead.status == .ok
            && privateRead.status == .ok && cleanup.status == .ok
    }

    /// One line per finding, `question: status — detail`.
    public var lines: [String] {
        [
            Self.line("public bucket \"\(publicBucketName)\"", publicBucket),
            Self.line("private bucket \"\(privateBucketName)\"", privateBucket),
            Self.line("public read", publicRead),
            Self.line("private read", privateRead),
            Self.line("clean-up", cleanup),
        ]
    }

    private static func line<Status>(_ question: String, _ finding: Finding<Status>) -> String
        where Status: RawRepresentable & Sendable & Equatable, Status.RawValue == String {
        "\(question): \(finding.status.rawValue) — \(finding.detail)"
    }
}
