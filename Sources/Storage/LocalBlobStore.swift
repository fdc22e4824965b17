import Crypto
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The URL shapes the server answers for the local backend — Supabase Storage's shapes, so
/// clients see the same URLs whichever backend runs.
public enum LocalStorageRoutes {
    /// `GET {PUBLIC_BASE_URL}/storage/v1/object/public/{bucket}/{path}`
    public static let publicPrefix = ["storage", "v1", "object", "public"]
    /// `GET {PUBLIC_BASE_URL}/storage/v1/object/sign/{bucket}/{path}?token=...`
    public static let signPrefix = ["storage", "v1", "object", "sign"]
}

/// Objects as files under a root directory: `{root}/{bucket}/{path}`.
///
/// Beside each object lives a sidecar `{path}%meta` (JSON: content type, ETag, size, time).
/// `ObjectPath` refuses '%', so no object path can name a sidecar, and temporary files
/// (`.%tmp-{uuid}`) are unaddressable for the same reason.
///
/// Writes are atomic: the bytes go to a temporary file in the object's directory, are
/// flushed, then renamed over the object — sidecar first, object second, so an object file
/// never exists without its sidecar. Writers and deleters of one object take turns within the
/// process. Readers do not wait: they check the bytes against the sidecar's ETag, and only when
/// a write landed between their two reads do they wait for the writer and read again. One
/// process owns a root: two processes writing the same root can leave an object's sidecar out
/// of step (readers then trust the bytes).
public struct LocalBlobStore: BlobStore {
    public let root: URL
    public let urlSigner: LocalURLSigner
    public let publicBaseURL: URL
    public let publicAssetBaseURL: URL?
    private let now: @Sendable () -> Date
    private let rootPath: String
    /// The URL text every public and signed URL starts with, built once (a status read
    /// builds several URLs).
    private let publicPrefix: String
    private let signPrefix: String

    public var kind: String { "local" }
    static let temporaryPrefix = ".%tmp-"

    /// - Parameters:
    ///   - root: the directory holding one folder per bucket (`STORAGE_URL=file://...`).
    ///   - publicBaseURL: `PUBLIC_BASE_URL`, the server's own address; signed URLs and, without
    ///     `publicAssetBaseURL`, public URLs point at its `/storage/v1/object/...` routes.
    ///   - publicAssetBaseURL: `PUBLIC_ASSET_BASE_URL`, where a CDN serves public buckets as
    ///     `{base}/{bucket}/{path}`.
    public init(root: URL, urlSigner: LocalURLSigner, publicBaseURL: URL, publicAssetBaseURL: URL? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.root = root.standardizedFileURL
        self.urlSigner = urlSigner
        self.publicBaseURL = publicBaseURL
        self.publicAssetBaseURL = publicAssetBaseURL
        self.now = now
        let server = Self.trimmed(publicBaseURL)
        publicPrefix = publicAssetBaseURL.map { "\(Self.trimmed($0))/" }
            ?? "\(server)/\(LocalStorageRoutes.publicPrefix.joined(separator: "/"))/"
        signPrefix = "\(server)/\(LocalStorageRoutes.signPrefix.joined(separator: "/"))/"
        var path = self.root.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.rootPath = path
    }

    /// Removes the temporary files a killed write left behind (a `kill -9` between writing
    /// and renaming), and returns how many. Run when the process that owns the root starts,
    /// so no write of its own is in flight; the names are unaddressable, so nothing else reads them.
    @discardableResult
    public func removeLeftoverTemporaryFiles() -> Int {
        guard let walk = FileManager.default.enumerator(atPath: rootPath) else { return 0 }
        var removed = 0
        while let relative = walk.nextObject() as? String {
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            guard name.hasPrefix(Self.temporaryPrefix) else { continue }
            if unlink("\(rootPath)/\(relative)") == 0 { removed += 1 }
        }
        return removed
    }

    /// The directory a `file://` `STORAGE_URL` names: `file://data/storage` is relative to
    /// `workingDirectory`, `file:///var/lib/interior` is absolute.
    public static func root(fromStorageURL storageURL: String, workingDirectory: URL) throws(ConfigProblem) -> URL {
        guard storageURL.hasPrefix("file://") else {
            throw ConfigProblem("STORAGE_URL", "a local storage URL starts with file://")
        }
        let location = String(storageURL.dropFirst("file://".count))
        if location.isEmpty || location == "/" {
            throw ConfigProblem("STORAGE_URL", "file:// needs a directory (e.g. file://data/storage)")
        }
        if location.contains("?") || location.contains("#") {
            throw ConfigProblem("STORAGE_URL", "a file:// URL takes no query or fragment")
        }
        if location.hasPrefix("/") {
            return URL(fileURLWithPath: location, isDirectory: true).standardizedFileURL
        }
        return workingDirectory.appendingPathComponent(location, isDirectory: true).standardizedFileURL
    }

    // MARK: BlobStore

    public func put(bucket: String, path: String, data: Data, contentType: String) async throws(StorageError) {
        try ObjectPath.check(bucket: bucket, path: path)
        try ContentType.validate(contentType)
        let location = Location(rootPath: rootPath, bucket: bucket, path: path)
        let sidecar = Sidecar(contentType: contentType, etag: Self.etag(of: data), size: data.count,
                              lastModified: now().timeIntervalSince1970)
        let sidecarBytes: Data
        do { sidecarBytes = try JSONEncoder().encode(sidecar) } catch {
            throw .unavailable("cannot encode object metadata")
        }
        try await PathLocks.shared.withLock(location.objectFile) { () async throws(StorageError) in
            try await FileIO.run { () throws(StorageError) in
                try FileIO.makeDirectory(location.directory, under: rootPath)
                if FileIO.isDirectory(location.objectFile) {
                    throw .backend(status: 409, message: "the path is a prefix of other objects")
                }
                try FileIO.writeAtomically(sidecarBytes, to: location.sidecarFile, directory: location.directory)
                try FileIO.writeAtomically(data, to: location.objectFile, directory: location.directory)
            }
        }
    }

    public func get(bucket: String, path: String) async throws(StorageError) -> StoredObject {
        try ObjectPath.check(bucket: bucket, path: path)
        let location = Location(rootPath: rootPath, bucket: bucket, path: path)
        if let object = try await FileIO.run({ () throws(StorageError) in try Self.read(location, settled: false) }) {
            return object
        }
        // The bytes and the sidecar disagree: a writer is between its two renames. Waiting for
        // it (the writers' lock) and reading again gives a consistent pair.
        return try await PathLocks.shared.withLock(location.objectFile) { () async throws(StorageError) in
            try await FileIO.run { () throws(StorageError) in try Self.read(location, settled: true)! }
        }
    }

    /// The object, or nil when its bytes do not match the sidecar's ETag and `settled` is false.
    /// When settled (no writer can be running), a mismatch means the sidecar is out of step for
    /// good — a crash between the renames, or another process — and the bytes win; the type
    /// is kept from the sidecar.
    private static func read(_ location: Location, settled: Bool) throws(StorageError) -> StoredObject? {
        let data = try FileIO.readRegularFile(location.objectFile)
        let sidecar = (try? FileIO.readRegularFile(location.sidecarFile))
            .flatMap { try? JSONDecoder().decode(Sidecar.self, from: $0) }
        let etag = etag(of: data)
        if sidecar?.etag != etag && !settled { return nil }
        return StoredObject(data: data, contentType: sidecar?.contentType ?? "application/octet-stream", etag: etag,
                            size: data.count, lastModified: Date(timeIntervalSince1970: sidecar?.lastModified ?? 0))
    }

    public func exists(bucket: String, path: String) async throws(StorageError) -> Bool {
        try ObjectPath.check(bucket: bucket, path: path)
        let location = Location(rootPath: rootPath, bucket: bucket, path: path)
        return try await FileIO.run { () throws(StorageError) in try FileIO.isRegularFile(location.objectFile) }
    }

    public func delete(bucket: String, path: String) async throws(StorageError) {
        try ObjectPath.check(bucket: bucket, path: path)
        let location = Location(rootPath: rootPath, bucket: bucket, path: path)
        try await PathLocks.shared.withLock(location.objectFile) { () async throws(StorageError) in
            try await FileIO.run { () throws(StorageError) in
                // Object first: once it is gone the object is gone, whatever happens to the sidecar.
                try FileIO.removeFileIfPresent(location.objectFile)
                try FileIO.removeFileIfPresent(location.sidecarFile)
            }
        }
    }

    public func signedURL(bucket: String, path: String, expiresIn: TimeInterval) async throws(StorageError) -> URL {
        try ObjectPath.check(bucket: bucket, path: path)
        let seconds = try SignedURLLifetime.seconds(expiresIn)
        let expiresAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down) + Double(seconds))
        let token = urlSigner.token(bucket: bucket, path: path, expiresAt: expiresAt)
        return try Self.url("\(signPrefix)\(bucket)/\(URIEncoding.encodePath(path))?token=\(token)")
    }

    public func publicURL(bucket: String, path: String) throws(StorageError) -> URL {
        try ObjectPath.check(bucket: bucket, path: path)
        return try Self.url("\(publicPrefix)\(bucket)/\(URIEncoding.encodePath(path))")
    }

    /// Creates the root and bucket directories if missing and checks they are writable.
    public func checkHealth(buckets: [String]) async throws(StorageError) {
        for bucket in buckets { try ObjectPath.validateBucket(bucket) }
        let rootPath = rootPath
        try await FileIO.run { () throws(StorageError) in
            for directory in [rootPath] + buckets.map({ "\(rootPath)/\($0)" }) {
                try FileIO.makeDirectory(directory, under: nil)
                guard access(directory, W_OK) == 0 else {
                    throw .unavailable("storage directory is not writable: \(directory)")
                }
            }
        }
    }

    // MARK: Signed URLs

    /// What the server's `/storage/v1/object/sign/{bucket}/{path}?token=` route checks before
    /// serving: a valid bucket and path, and a token issued for exactly them that has not expired.
    public func verifySignedAccess(bucket: String, path: String, token: String) throws(StorageError) {
        try ObjectPath.check(bucket: bucket, path: path)
        try urlSigner.verify(token: token, bucket: bucket, path: path, now: now())
    }

    // MARK: Helpers

    static func etag(of data: Data) -> String {
        SigV4Signer.hex(SHA256.hash(data: data))
    }

    private static func trimmed(_ url: URL) -> String {
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    private static func url(_ text: String) throws(StorageError) -> URL {
        guard let url = URL(string: text) else { throw .invalidPath("cannot be expressed as a URL") }
        return url
    }
}

private struct Sidecar: Codable {
    var contentType: String
    var etag: String
    var size: Int
    var lastModified: Double
}

private struct Location: Sendable {
    let objectFile: String
    let sidecarFile: String
    let directory: String

    init(rootPath: String, bucket: String, path: String) {
        objectFile = "\(rootPath)/\(bucket)/\(path)"
        sidecarFile = objectFile + "%meta"
        directory = String(objectFile[..<objectFile.lastIndex(of: "/")!])
    }
}

/// Serialises the writers of each key within the process.
actor PathLocks {
    static let shared = PathLocks()

    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ key: String) async {
        if held.insert(key).inserted { return }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    func release(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            // Ownership passes straight to the next waiter; the key stays held.
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }

    nonisolated func withLock<T: Sendable>(_ key: String, _ body: () async throws(StorageError) -> T) async throws(StorageError) -> T {
        await acquire(key)
        do {
            let result = try await body()
            await release(key)
            return result
        } catch {
            await release(key)
            throw error
        }
    }
}

/// Blocking filesystem calls, run on a dispatch queue so they never block Swift's
/// cooperative thread pool.
enum FileIO {
    private static let queue = DispatchQueue(label: "interior.storage.local-io", attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(StorageError) -> T) async throws(StorageError) -> T {
        let result: Result<T, StorageError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(StorageError) in try work() }) }
        }
        return try result.get()
    }

    /// Creates `directory` and its parents. Under `root`, a parent that is an object file
    /// means the path is nested below an existing object: a conflict, not an outage.
    static func makeDirectory(_ directory: String, under root: String?) throws(StorageError) {
        if isDirectory(directory) { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            if isDirectory(directory) { return }   // created meanwhile by a concurrent writer
            if let root, directory.hasPrefix(root + "/") {
                var ancestor = directory
                while ancestor.count > root.count {
                    if (try? isRegularFile(ancestor)) == true {
                        throw .backend(status: 409, message: "a prefix of this path is itself an object")
                    }
                    ancestor = String(ancestor[..<ancestor.lastIndex(of: "/")!])
                }
            }
            throw .unavailable("cannot create storage directory \(directory): \(error.localizedDescription)")
        }
    }

    static func writeAtomically(_ data: Data, to target: String, directory: String) throws(StorageError) {
        let temporary = "\(directory)/\(LocalBlobStore.temporaryPrefix)\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .unavailable("cannot create a temporary file: \(describe(errno))") }
        var failure: StorageError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .unavailable("cannot write object: \(describe(errno))")
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .unavailable("cannot flush object: \(describe(errno))") }
        if close(fd) != 0, failure == nil { failure = .unavailable("cannot close object: \(describe(errno))") }
        if failure == nil, rename(temporary, target) != 0 {
            let code = errno
            failure = code == EISDIR || code == ENOTEMPTY || code == EEXIST
                ? .backend(status: 409, message: "the path is a prefix of other objects")
                : .unavailable("cannot move object into place: \(describe(code))")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    static func readRegularFile(_ path: String) throws(StorageError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errorForMissing(errno, action: "read") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unavailable("cannot read object: \(describe(errno))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notFound }
        var data = Data(count: Int(info.st_size))
        var offset = 0
        var failure: StorageError?
        data.withUnsafeMutableBytes { buffer in
            while offset < buffer.count {
                let count = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = .unavailable("cannot read object: \(describe(errno))")
                    return
                }
                if count == 0 { break }
                offset += count
            }
        }
        if let failure { throw failure }
        // Files are replaced by rename, never rewritten in place, so a short read means a
        // file changed under us in a way this store never does.
        guard offset == data.count else { throw .unavailable("object changed while being read") }
        return data
    }

    static func isRegularFile(_ path: String) throws(StorageError) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return false }
            throw .unavailable("cannot inspect object: \(describe(code))")
        }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    static func removeFileIfPresent(_ path: String) throws(StorageError) {
        guard unlink(path) != 0 else { return }
        let code = errno
        // A directory at the path is a prefix of other objects, not an object: nothing to remove.
        if code == ENOENT || code == ENOTDIR || code == EISDIR || code == EPERM && isDirectory(path) { return }
        throw .unavailable("cannot delete object: \(describe(code))")
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func errorForMissing(_ code: Int32, action: String) -> StorageError {
        code == ENOENT || code == ENOTDIR || code == EISDIR ? .notFound : .unavailable("cannot \(action) object: \(describe(code))")
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
