import Crypto
import Foundation
import Testing
@testable import Storage

@Suite("Local blob store")
struct LocalBlobStoreTests {
    let directory: TemporaryDirectory
    let store: LocalBlobStore
    static let clock = Date(timeIntervalSince1970: 1_768_469_400)   // 2026-01-15T09:30:00Z

    init() throws {
        directory = try TemporaryDirectory()
        store = LocalBlobStore(root: directory.url.appendingPathComponent("storage"),
                               urlSigner: LocalURLSigner(secret: "local-secret"),
                               publicBaseURL: URL(string: "http://127.0.0.1:8080")!,
                               publicAssetBaseURL: nil,
                               now: { LocalBlobStoreTests.clock })
    }

    func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Round trips

    @Test("the temporary files of writes a kill interrupted are removed; objects and sidecars stay")
    func leftoverTemporaryFilesRemoved() async throws {
        try await store.put(bucket: "public", path: "renders/r1/0.webp", data: Data("image".utf8), contentType: "image/webp")
        let renders = directory.url.appendingPathComponent("storage/public/renders/r1")
        let nested = directory.url.appendingPathComponent("storage/private/uploads/u1")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        for leftover in [renders.appendingPathComponent(".%tmp-A1"), nested.appendingPathComponent(".%tmp-B2")] {
            try Data("half".utf8).write(to: leftover)
        }
        #expect(store.removeLeftoverTemporaryFiles() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: renders.path).sorted() == ["0.webp", "0.webp%meta"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: nested.path).isEmpty)
        #expect(try await store.get(bucket: "public", path: "renders/r1/0.webp").data == Data("image".utf8))
        #expect(store.removeLeftoverTemporaryFiles() == 0)
    }

    @Test("put then get returns the bytes, content type, SHA-256 ETag, size and write time")
    func putGetRoundTrip() async throws {
        let bytes = Data((0..<5000).map { UInt8($0 % 251) })
        try await store.put(bucket: "public", path: "renders/r1/0.webp", data: bytes, contentType: "image/webp")
        let object = try await store.get(bucket: "public", path: "renders/r1/0.webp")
        #expect(object.data == bytes)
        #expect(object.contentType == "image/webp")
        #expect(object.etag == sha256(bytes))
        #expect(object.size == 5000)
        #expect(object.lastModified == Self.clock)
        #expect(directory.files() == ["storage/public/renders/r1/0.webp", "storage/public/renders/r1/0.webp%meta"])
        let onDisk = try Data(contentsOf: directory.url.appendingPathComponent("storage/public/renders/r1/0.webp"))
        #expect(onDisk == bytes)
    }

    @Test("an empty object round-trips")
    func emptyObject() async throws {
        try await store.put(bucket: "public", path: "empty", data: Data(), contentType: "application/octet-stream")
        let object = try await store.get(bucket: "public", path: "empty")
        #expect(object.data.isEmpty)
        #expect(object.size == 0)
    }

    @Test("a second put replaces bytes and content type")
    func overwrite() async throws {
        try await store.put(bucket: "private", path: "u1/inputs/a.png", data: Data("first".utf8), contentType: "image/png")
        try await store.put(bucket: "private", path: "u1/inputs/a.png", data: Data("second!".utf8), contentType: "image/jpeg")
        let object = try await store.get(bucket: "private", path: "u1/inputs/a.png")
        #expect(object.data == Data("second!".utf8))
        #expect(object.contentType == "image/jpeg")
        #expect(object.etag == sha256(Data("second!".utf8)))
    }

    @Test("exists follows put and delete; delete of an absent object succeeds")
    func existsAndDelete() async throws {
        #expect(try await store.exists(bucket: "public", path: "a/b.webp") == false)
        try await store.put(bucket: "public", path: "a/b.webp", data: Data("x".utf8), contentType: "image/webp")
        #expect(try await store.exists(bucket: "public", path: "a/b.webp"))
        try await store.delete(bucket: "public", path: "a/b.webp")
        #expect(try await store.exists(bucket: "public", path: "a/b.webp") == false)
        await #expect(throws: StorageError.notFound) { try await store.get(bucket: "public", path: "a/b.webp") }
        try await store.delete(bucket: "public", path: "a/b.webp")
        try await store.delete(bucket: "never-made", path: "nothing/here")
        #expect(directory.files().isEmpty)
    }

    @Test("a missing object, bucket, or a path that is only a prefix of objects is not found")
    func notFound() async throws {
        await #expect(throws: StorageError.notFound) { try await store.get(bucket: "public", path: "nope.webp") }
        await #expect(throws: StorageError.notFound) { try await store.get(bucket: "no-bucket", path: "nope.webp") }
        try await store.put(bucket: "public", path: "dir/inner.webp", data: Data("x".utf8), contentType: "image/webp")
        await #expect(throws: StorageError.notFound) { try await store.get(bucket: "public", path: "dir") }
        await #expect(throws: StorageError.notFound) { try await store.get(bucket: "public", path: "dir/inner.webp/deeper") }
        #expect(try await store.exists(bucket: "public", path: "dir") == false)
        try await store.delete(bucket: "public", path: "dir")
        #expect(try await store.exists(bucket: "public", path: "dir/inner.webp"))
    }

    @Test("an object and a prefix of other objects cannot share a path")
    func objectPrefixConflict() async throws {
        try await store.put(bucket: "public", path: "a", data: Data("x".utf8), contentType: "text/plain")
        await #expect(throws: StorageError.backend(status: 409, message: "a prefix of this path is itself an object")) {
            try await store.put(bucket: "public", path: "a/b", data: Data("y".utf8), contentType: "text/plain")
        }
        try await store.put(bucket: "public", path: "x/y", data: Data("y".utf8), contentType: "text/plain")
        await #expect(throws: StorageError.backend(status: 409, message: "the path is a prefix of other objects")) {
            try await store.put(bucket: "public", path: "x", data: Data("x".utf8), contentType: "text/plain")
        }
        #expect(directory.files() == ["storage/public/a", "storage/public/a%meta", "storage/public/x/y", "storage/public/x/y%meta"])
    }

    // MARK: Sidecars and atomicity

    @Test("the metadata sidecar cannot be addressed as an object")
    func sidecarIsUnaddressable() async throws {
        try await store.put(bucket: "public", path: "photo.jpg", data: Data("jpeg".utf8), contentType: "image/jpeg")
        #expect(directory.files() == ["storage/public/photo.jpg", "storage/public/photo.jpg%meta"])
        for path in ["photo.jpg%meta", ".%tmp-x"] {
            await #expect(throws: StorageError.self) { try await store.get(bucket: "public", path: path) }
            await #expect(throws: StorageError.self) {
                try await store.put(bucket: "public", path: path, data: Data(), contentType: "text/plain")
            }
        }
        #expect(try await store.get(bucket: "public", path: "photo.jpg").contentType == "image/jpeg")
    }

    @Test("concurrent writers of one path leave one complete object, and readers never see a torn one")
    func concurrentWriters() async throws {
        let writers = 24
        let payloads = (0..<writers).map { index in Data(repeating: UInt8(index), count: 256 * 1024 + index) }
        let path = "renders/race/0.webp"
        try await store.put(bucket: "public", path: path, data: payloads[0], contentType: "writer/0")

        let store = store
        let observations = try await withThrowingTaskGroup(of: [StoredObject].self) { group in
            for index in 0..<writers {
                group.addTask {
                    try await store.put(bucket: "public", path: path, data: payloads[index], contentType: "writer/\(index)")
                    return []
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var seen: [StoredObject] = []
                    for _ in 0..<30 { seen.append(try await store.get(bucket: "public", path: path)) }
                    return seen
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        func isConsistent(_ object: StoredObject) -> Bool {
            guard let first = object.data.first, Int(first) < writers else { return false }
            return object.data == payloads[Int(first)] && object.contentType == "writer/\(first)"
                && object.etag == sha256(object.data) && object.size == object.data.count
        }
        #expect(observations.count == 120)
        let torn = observations.filter { !isConsistent($0) }
        #expect(torn.isEmpty, "\(torn.count) inconsistent reads, e.g. \(torn.first.map { "\($0.size) bytes of \($0.data.first ?? 0) labelled \($0.contentType)" } ?? "")")
        let final = try await store.get(bucket: "public", path: path)
        #expect(isConsistent(final))
        #expect(directory.files() == ["storage/public/renders/race/0.webp", "storage/public/renders/race/0.webp%meta"])
    }

    @Test("many sequential writes leave no temporary files")
    func noTemporaryFilesLeft() async throws {
        for index in 0..<20 {
            try await store.put(bucket: "private", path: "u\(index % 3)/inputs/\(index).png",
                                data: Data(count: index * 100), contentType: "image/png")
        }
        let files = directory.files()
        #expect(files.count == 40)
        #expect(!files.contains { $0.contains("%tmp") })
    }

    @Test("bytes changed behind the store's back are served with their own ETag")
    func sidecarOutOfStep() async throws {
        try await store.put(bucket: "public", path: "x.webp", data: Data("old".utf8), contentType: "image/webp")
        try Data("new bytes".utf8).write(to: directory.url.appendingPathComponent("storage/public/x.webp"))
        let object = try await store.get(bucket: "public", path: "x.webp")
        #expect(object.data == Data("new bytes".utf8))
        #expect(object.etag == sha256(Data("new bytes".utf8)))
        #expect(object.contentType == "image/webp")
    }

    // MARK: Validation

    @Test("hostile paths are refused by every operation and nothing is written",
          arguments: ObjectPathTests.hostilePaths.map(\.path))
    func hostilePathsRefused(path: String) async throws {
        let store = store
        #expect(await storageError { try await store.put(bucket: "public", path: path, data: Data("x".utf8), contentType: "text/plain") }?.isInvalidPath == true)
        #expect(await storageError { _ = try await store.get(bucket: "public", path: path) }?.isInvalidPath == true)
        #expect(await storageError { _ = try await store.exists(bucket: "public", path: path) }?.isInvalidPath == true)
        #expect(await storageError { try await store.delete(bucket: "public", path: path) }?.isInvalidPath == true)
        #expect(await storageError { _ = try await store.signedURL(bucket: "public", path: path, expiresIn: 60) }?.isInvalidPath == true)
        #expect(storageErrorSync { _ = try store.publicURL(bucket: "public", path: path) }?.isInvalidPath == true)
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("storage").path) == false)
        #expect(directory.files().isEmpty)
    }

    @Test("hostile bucket names are refused before the filesystem is touched", arguments: ["..", ".", "A", "a/b", "", "x"])
    func hostileBucketsRefused(bucket: String) async throws {
        await #expect(throws: StorageError.self) {
            try await store.put(bucket: bucket, path: "p", data: Data("x".utf8), contentType: "text/plain")
        }
        await #expect(throws: StorageError.self) { try await store.get(bucket: bucket, path: "p") }
        #expect(directory.files().isEmpty)
    }

    @Test("content types a header could not carry are refused", arguments: ["", "text/plain\r\nX-Injected: 1", "image/\u{0}png",
                                                                           "typ\u{E9}", String(repeating: "a", count: 256)])
    func badContentTypes(contentType: String) async {
        let store = store
        #expect(await storageError { try await store.put(bucket: "public", path: "a.png", data: Data("x".utf8), contentType: contentType) }
            == .invalidArgument("contentType must be 1 to 255 printable ASCII characters"))
        #expect(directory.files().isEmpty)
    }

    // MARK: URLs

    @Test("signed URLs use the Supabase sign route, encode the path and carry a verifiable token")
    func signedURLs() async throws {
        let url = try await store.signedURL(bucket: "private", path: "u1/inputs/a b+ü.jpg", expiresIn: 600)
        let text = url.absoluteString
        let prefix = "http://127.0.0.1:8080/storage/v1/object/sign/private/u1/inputs/a%20b%2B%C3%BC.jpg?token=v1.1768470000."
        #expect(text.hasPrefix(prefix))
        let token = String(text.dropFirst(prefix.count - "v1.1768470000.".count))
        try store.verifySignedAccess(bucket: "private", path: "u1/inputs/a b+ü.jpg", token: token)
        #expect(throws: StorageError.signedURL(.tampered)) {
            try store.verifySignedAccess(bucket: "private", path: "u1/inputs/other.jpg", token: token)
        }
        #expect(throws: StorageError.invalidPath("must not contain '.' or '..' segments")) {
            try store.verifySignedAccess(bucket: "private", path: "../x", token: token)
        }
    }

    @Test("signed URLs expire by the store's clock")
    func signedURLExpiresByClock() async throws {
        let box = ClockBox(Self.clock)
        let store = LocalBlobStore(root: directory.url, urlSigner: LocalURLSigner(secret: "s"),
                                   publicBaseURL: URL(string: "https://api.example.com.au/")!, now: { box.now })
        let url = try await store.signedURL(bucket: "private", path: "a.jpg", expiresIn: 60)
        let token = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "token" }?.value)
        #expect(url.absoluteString.hasPrefix("https://api.example.com.au/storage/v1/object/sign/private/a.jpg?token="))
        box.now = Self.clock.addingTimeInterval(59)
        try store.verifySignedAccess(bucket: "private", path: "a.jpg", token: token)
        box.now = Self.clock.addingTimeInterval(60)
        #expect(throws: StorageError.signedURL(.expired)) {
            try store.verifySignedAccess(bucket: "private", path: "a.jpg", token: token)
        }
    }

    @Test("signed URL lifetimes outside 1 s … 7 days are refused", arguments: [0, -1, 0.5, 604_801, .infinity, .nan])
    func signedURLLifetime(expiresIn: TimeInterval) async {
        await #expect(throws: StorageError.invalidArgument("expiresIn must be between 1 second and 7 days")) {
            try await store.signedURL(bucket: "private", path: "a.jpg", expiresIn: expiresIn)
        }
    }

    @Test("public URLs use the Supabase public route, or PUBLIC_ASSET_BASE_URL when set")
    func publicURLs() throws {
        #expect(try store.publicURL(bucket: "public", path: "renders/r1/0 a.webp").absoluteString
            == "http://127.0.0.1:8080/storage/v1/object/public/public/renders/r1/0%20a.webp")
        let cdn = LocalBlobStore(root: directory.url, urlSigner: LocalURLSigner(secret: "s"),
                                 publicBaseURL: URL(string: "http://127.0.0.1:8080")!,
                                 publicAssetBaseURL: URL(string: "https://cdn.example.com/assets/")!)
        #expect(try cdn.publicURL(bucket: "public", path: "renders/r1/0.webp").absoluteString
            == "https://cdn.example.com/assets/public/renders/r1/0.webp")
        let prefixed = LocalBlobStore(root: directory.url, urlSigner: LocalURLSigner(secret: "s"),
                                      publicBaseURL: URL(string: "https://example.com/interior/")!)
        #expect(try prefixed.publicURL(bucket: "public", path: "x.webp").absoluteString
            == "https://example.com/interior/storage/v1/object/public/public/x.webp")
    }

    // MARK: Health and configuration

    @Test("health creates the bucket directories and reports the backend")
    func health() async throws {
        try await store.checkHealth(buckets: ["public", "private"])
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("storage/private").path, isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
        #expect(store.kind == "local")
    }

    @Test("health fails when the root cannot be a directory")
    func healthFailsOnBadRoot() async throws {
        let file = directory.url.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let broken = LocalBlobStore(root: file.appendingPathComponent("storage"), urlSigner: .random(),
                                    publicBaseURL: URL(string: "http://127.0.0.1:8080")!)
        #expect(await storageError { try await broken.checkHealth(buckets: ["public"]) }?.isUnavailable == true)
        await #expect(throws: StorageError.self) {
            try await broken.put(bucket: "public", path: "a", data: Data(), contentType: "text/plain")
        }
    }

    @Test("file:// storage URLs name a directory, relative to the working directory unless absolute")
    func storageURLRoots() throws {
        let cwd = URL(fileURLWithPath: "/srv/interior", isDirectory: true)
        #expect(try LocalBlobStore.root(fromStorageURL: "file://data/storage", workingDirectory: cwd).path == "/srv/interior/data/storage")
        #expect(try LocalBlobStore.root(fromStorageURL: "file:///var/lib/interior/", workingDirectory: cwd).path == "/var/lib/interior")
        for bad in ["data/storage", "s3://?endpoint=x", "file://", "file:///", "file://data?x=1"] {
            #expect(throws: ConfigProblem.self) { try LocalBlobStore.root(fromStorageURL: bad, workingDirectory: cwd) }
        }
        #expect(throws: ConfigProblem("STORAGE_URL", "a local storage URL starts with file://")) {
            try LocalBlobStore.root(fromStorageURL: "data/storage", workingDirectory: cwd)
        }
    }
}

/// A clock a test moves by hand.
final class ClockBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ value: Date) { self.value = value }
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
