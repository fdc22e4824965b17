import Foundation

/// An object store with buckets and slash-separated paths: the local filesystem in
/// development, any S3-compatible service in production. Every method validates the bucket
/// and path (`ObjectPath`) before the backend sees them.
public protocol BlobStore: Sendable {
    /// "local" or "s3", for health and logs.
    var kind: String { get }

    /// Stores `data` at `bucket`/`path`, replacing any object already there. `contentType` is
    /// 1–255 printable ASCII characters (it is served back as a header).
    func put(bucket: String, path: String, data: Data, contentType: String) async throws(StorageError)

    /// The object at `bucket`/`path`; `StorageError.notFound` when there is none.
    func get(bucket: String, path: String) async throws(StorageError) -> StoredObject

    func exists(bucket: String, path: String) async throws(StorageError) -> Bool

    /// Removes the object. Removing an object that is not there succeeds.
    func delete(bucket: String, path: String) async throws(StorageError)

    /// A URL anyone holding it can GET the object through until `expiresIn` seconds from now.
    /// `expiresIn` must be between 1 second and 7 days (S3's limit, applied to every backend
    /// so switching backends cannot change behaviour).
    func signedURL(bucket: String, path: String, expiresIn: TimeInterval) async throws(StorageError) -> URL

    /// Where a public bucket's object is served. Pure: it neither checks that the object
    /// exists nor that the bucket is public.
    func publicURL(bucket: String, path: String) throws(StorageError) -> URL

    /// Succeeds when the backend is reachable and every bucket in `buckets` is usable.
    func checkHealth(buckets: [String]) async throws(StorageError)

    /// Every URL at which the object might be served to someone without credentials (what
    /// `StorageCheck` probes). Pure, like `publicURL`.
    func anonymousURLs(bucket: String, path: String) throws(StorageError) -> [URL]
}

extension BlobStore {
    public func anonymousURLs(bucket: String, path: String) throws(StorageError) -> [URL] {
        [try publicURL(bucket: bucket, path: path)]
    }
}

/// An object's bytes and metadata.
public struct StoredObject: Sendable, Equatable {
    public var data: Data
    public var contentType: String
    /// A strong validator for the bytes, without the quotes HTTP puts around it.
    public var etag: String
    public var size: Int
    public var lastModified: Date

    public init(data: Data, contentType: String, etag: String, size: Int, lastModified: Date) {
        self.data = data
        self.contentType = contentType
        self.etag = etag
        self.size = size
        self.lastModified = lastModified
    }
}

/// Why a local signed-URL token was refused. A server answers 403 for all three; the
/// distinction is for logs and tests.
public enum SignedURLFailure: Error, Equatable, Sendable {
    /// Not a token this service issues (wrong shape or version).
    case malformed
    /// Well-formed, but the signature does not match this bucket, path and expiry under our
    /// key: altered, moved to another object, or signed with another secret.
    case tampered
    /// Authentic, but its expiry has passed.
    case expired
}

public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The object path breaks a rule of `ObjectPath.validate`; the reason names the rule.
    case invalidPath(String)
    /// The bucket name breaks the bucket naming rule; the reason names the rule.
    case invalidBucket(String)
    /// An argument other than bucket or path is out of range (e.g. a signed URL's lifetime).
    case invalidArgument(String)
    /// No object at that bucket and path.
    case notFound
    /// A local signed-URL token was refused.
    case signedURL(SignedURLFailure)
    /// The backend could not be reached or could not do the work (network, disk).
    case unavailable(String)
    /// The backend answered with an error: the HTTP status (or an equivalent for the local
    /// backend) and the backend's own message. Never carries a credential or signature.
    case backend(status: Int, message: String)

    public var description: String {
        switch self {
        case let .invalidPath(reason): "invalid object path: \(reason)"
        case let .invalidBucket(reason): "invalid bucket name: \(reason)"
        case let .invalidArgument(reason): "invalid argument: \(reason)"
        case .notFound: "object not found"
        case let .signedURL(failure): "signed URL refused: \(failure)"
        case let .unavailable(reason): "storage unavailable: \(reason)"
        case let .backend(status, message): "storage backend error \(status): \(message)"
        }
    }
}

/// A configuration value the storage settings cannot start with. Its description is the line
/// an operator sees: the environment key, then what is wrong. It names secrets, never shows them.
public struct ConfigProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let message: String

    public init(_ key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}

enum ContentType {
    /// A content type becomes a response header wherever the object is served, so it must be
    /// something a header can carry unchanged: 1–255 printable ASCII characters.
    static func validate(_ contentType: String) throws(StorageError) {
        guard (1...255).contains(contentType.utf8.count),
              contentType.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw .invalidArgument("contentType must be 1 to 255 printable ASCII characters")
        }
    }
}

enum SignedURLLifetime {
    static let maximum: TimeInterval = 7 * 24 * 3600

    /// Whole seconds, as both backends put a whole number in the URL.
    static func seconds(_ expiresIn: TimeInterval) throws(StorageError) -> Int {
        guard expiresIn.isFinite, expiresIn >= 1, expiresIn <= maximum else {
            throw .invalidArgument("expiresIn must be between 1 second and 7 days")
        }
        return Int(expiresIn.rounded(.down))
    }
}
