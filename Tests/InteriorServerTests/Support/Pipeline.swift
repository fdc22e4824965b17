import Foundation
import Imaging
import InteriorCore
@testable import InteriorServer
import Logging
import NIOConcurrencyHelpers
import ReplicateEmulator
import SQLKit
import Storage
import Testing
import TestSupport

/// A running application wired to a running Replicate emulator, over real HTTP both ways.
struct Pipeline {
    let t: TestContext
    let emulator: RunningEmulator
    /// The emulator's own log lines (it logs through a handler of its own).
    let emulatorLogs: LogCapture

    var client: TestClient { t.client }
    var token: String { t.token("hs256_valid") }
    var owner: UUID { TokenFixtures.shared.subject }
    /// The model the server calls (`REPLICATE_MODEL`, the default otherwise).
    var profile: ModelProfile { t.app.interior.runtime.current.profile }

    /// How many predictions a job of `variants` makes on this model.
    func predictionCount(variants: Int) -> Int { profile.outputsPerPrediction(variants: variants).count }

    /// A landscape ratio the model offers in `mode`: 3:2 where it can, else 4:3 or 16:9.
    func landscape(for mode: GenerationMode) -> AspectRatio {
        let offered = profile.aspectRatios(for: mode.inputImageCount == 0 && !profile.supports(.imagine) ? .redesign : mode)
        return [AspectRatio.landscape, .landscape4x3, .wide].first(where: offered.contains) ?? .square
    }

    /// A job's predictions as one line (status, code, error), for failure messages.
    func describePredictions(job: String) async -> String {
        let rows = (try? await predictionRows(job: job)) ?? []
        return rows.map { "#\($0.idx) \($0.status.rawValue) \($0.errorCode ?? "") \($0.error ?? "")" }.joined(separator: " | ")
    }

    /// A job's prediction rows, in order.
    func predictionRows(job: String) async throws -> [PredictionRow] {
        try await PredictionRepository(db: t.app.db).rows(job: UUID(uuidString: job)!)
    }
}

/// Starts an emulator (fast pacing), then the application pointed at it, and runs `body`.
func withPipeline(
    environment: [String: String] = [:],
    clock: TestClock = .following(),
    startDelay: Duration = .milliseconds(20),
    processingDelay: Duration = .milliseconds(50),
    wrapStore: @escaping @Sendable (any BlobStore) -> any BlobStore = { $0 },
    _ body: (Pipeline) async throws -> Void
) async throws {
    let emulatorLogs = LogCapture(echo: false)
    let emulator = try await ReplicateEmulator.start(EmulatorConfiguration(
        startDelay: startDelay, processingDelay: processingDelay,
        webhookRetry: .init(maxAttempts: 3, initialDelay: .milliseconds(50), multiplier: 2),
        now: { clock.now }), logger: emulatorLogs.logger(level: .info))
    let connection = ReplicateConnection(
        baseURL: emulator.baseURL, token: Secret(emulator.token), webhookSecret: Secret(emulator.webhookSecret), isEmulator: true)
    do {
        try await withTestApp(environment: environment, clock: clock, replicate: connection, wrapStore: wrapStore) { t in
            defer { Task { await emulator.shutdown() } }
            try await body(Pipeline(t: t, emulator: emulator, emulatorLogs: emulatorLogs))
            // The emulator stops first, while the app can still answer its last webhooks.
            await emulator.shutdown()
        }
    } catch {
        await emulator.shutdown()
        throw error
    }
}

/// `withPipeline` on storage whose writes fail while `store.failing` is set.
func withFlakyStoragePipeline(environment: [String: String] = [:], _ body: (Pipeline, FlakyStore) async throws -> Void) async throws {
    let flaky = NIOLockedValueBox<FlakyStore?>(nil)
    try await withPipeline(environment: environment, wrapStore: { base in
        let store = FlakyStore(base)
        flaky.withLockedValue { $0 = store }
        return store
    }) { p in
        let store = try #require(flaky.withLockedValue { $0 })
        try await body(p, store)
    }
}

/// Room photos drawn by libvips, so tests need no binary fixtures.
enum TestImages {
    static let processor = ImageProcessor()

    static func photo(width: Int = 800, height: Int = 600, format: ImageFormat = .png) async throws -> Data {
        let drawn = try await processor.drawComposition(
            width: width, height: height,
            palette: [RGB(r: 200, g: 180, b: 150), RGB(r: 90, g: 120, b: 160), RGB(r: 240, g: 240, b: 230)],
            caption: "")
        guard format != .png else { return drawn.data }
        return try convert(drawn.data, to: format == .jpeg ? "JPEG" : "WEBP")
    }

    /// Re-encodes with Pillow (the test virtualenv's), an encoder independent of ours.
    static func convert(_ data: Data, to pillowFormat: String) throws -> Data {
        let script = "import sys, io\nfrom PIL import Image\nimage = Image.open(io.BytesIO(sys.stdin.buffer.read())).convert('RGB')\n"
            + "out = io.BytesIO()\nimage.save(out, '\(pillowFormat)', quality=90)\nsys.stdout.buffer.write(out.getvalue())\n"
        let converted = try TestPython.run(script: script, input: data)
        guard !converted.isEmpty else { throw ToolFailure("Pillow wrote no \(pillowFormat) image") }
        return converted
    }
}

/// A multipart/form-data body.
struct MultipartBody {
    let boundary = "interior-test-\(UUID().uuidString)"
    private(set) var data = Data()

    mutating func field(_ name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ name: String, filename: String = "room.png", contentType: String = "image/png", _ bytes: Data) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
    }

    func finished() -> Data {
        data + Data("--\(boundary)--\r\n".utf8)
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }
}

extension Pipeline {
    /// Submits a multipart form. On a model that cannot imagine (an image-edit model), a text
    /// job runs as a redesign of a drawn photo with the same prompt, so the suites that only need
    /// some job run on every model (`asSent` sends the form as it is).
    func submit(_ fields: [String: String], files: [String: Data] = [:], token: String? = nil,
                headers: [(String, String)] = [], asSent: Bool = false) async throws -> TestResponse {
        var fields = fields
        var files = files
        if !asSent, fields["mode"] == "imagine", !profile.supports(.imagine), files.isEmpty {
            fields["mode"] = "redesign"
            files["input1"] = try await TestImages.photo()
        }
        var body = MultipartBody()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) { body.field(name, value) }
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) { body.file(name, bytes) }
        return try await client.send(.POST, "/api/v1/generations", token: token ?? self.token, headers: headers,
                                     body: body.finished(), contentType: body.contentType)
    }

    func submitJSON(_ object: [String: Any], token: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        try await client.postJSON("/api/v1/generations", object, token: token ?? self.token, headers: headers)
    }

    func status(_ id: String, token: String? = nil) async throws -> TestResponse {
        try await client.get("/api/v1/generations/\(id)", token: token ?? self.token)
    }

    /// Polls the status endpoint (as a client would) until the job is terminal.
    @discardableResult
    func waitUntilFinished(_ id: String, timeout: Duration = .seconds(30), token: String? = nil) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let data = try await status(id, token: token).data
            if let status = data["status"] as? String, ["succeeded", "failed", "canceled"].contains(status) { return data }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(id) did not finish within \(timeout)")
        return try await status(id, token: token).data
    }

    /// Waits until `condition` holds, checking every 50 ms.
    func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for: \(what)")
    }

    func ledger(job: String) async throws -> [String] {
        try await t.sql.select().column("entry").from("usage_ledger")
            .where("job_id", .equal, SQLBind(UUID(uuidString: job)!))
            .orderBy("created_at")
            .all(decoding: Entry.self).map(\.entry).sorted()
    }

    private struct Entry: Decodable { let entry: String }

    /// The ids of every recorded webhook event (deliveries and synthetic ones).
    func webhookEventIDs() async throws -> Set<String> {
        Set(try await t.sql.select().column("webhook_id").from("webhook_events").all(decoding: EventID.self).map(\.webhook_id))
    }

    private struct EventID: Decodable { let webhook_id: String }

    func count(_ table: String) async throws -> Int {
        try await DatabaseTests.count(table, t.sql)
    }

    /// The prediction as the emulator has it (the input the adapter sent, its status).
    func prediction(_ id: String) async throws -> [String: Any] {
        let response = try await TestClient(baseURL: emulator.baseURL).send(
            .GET, "/predictions/\(id)", headers: [("Authorization", "Bearer \(emulator.token)")])
        return response.json
    }

    /// A file of the local storage backend.
    func storedFile(bucket: String, path: String) -> Data? {
        FileManager.default.contents(atPath: t.directory.appendingPathComponent("storage/\(bucket)/\(path)").path)
    }

    /// Runs the reconciler once, as `interior sweep` does.
    @discardableResult
    func sweep() async throws -> Reconciler.Report {
        try await t.app.interior.reconciler.sweep()
    }
}

/// A store whose writes fail while `failing` is set (storage outages in tests), and whose
/// writes to the public bucket wait while `holding` is set (to act between storing and recording).
final class FlakyStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    private let lock = NSLock()
    private var _failing = false
    private var _holding = false
    private var _held = 0
    private(set) var failedWrites = 0
    /// Every write asked for, failed or not.
    private(set) var writes = 0

    init(_ base: any BlobStore) { self.base = base }

    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    var holding: Bool {
        get { lock.withLock { _holding } }
        set { lock.withLock { _holding = newValue } }
    }

    /// Public writes that waited (or are waiting) while `holding`.
    var heldWrites: Int { lock.withLock { _held } }

    var kind: String { base.kind }

    func put(bucket: String, path: String, data: Data, contentType: String) async throws(StorageError) {
        if bucket == "public", holding {
            lock.withLock { _held += 1 }
            while holding { try? await Task.sleep(for: .milliseconds(20)) }
        }
        if lock.withLock({ () -> Bool in
            writes += 1
            if _failing { failedWrites += 1 }
            return _failing
        }) {
            throw .unavailable("injected outage")
        }
        try await base.put(bucket: bucket, path: path, data: data, contentType: contentType)
    }

    func get(bucket: String, path: String) async throws(StorageError) -> StoredObject { try await base.get(bucket: bucket, path: path) }
    func exists(bucket: String, path: String) async throws(StorageError) -> Bool { try await base.exists(bucket: bucket, path: path) }
    func delete(bucket: String, path: String) async throws(StorageError) { try await base.delete(bucket: bucket, path: path) }
    func signedURL(bucket: String, path: String, expiresIn: TimeInterval) async throws(StorageError) -> URL {
        try await base.signedURL(bucket: bucket, path: path, expiresIn: expiresIn)
    }
    func publicURL(bucket: String, path: String) throws(StorageError) -> URL { try base.publicURL(bucket: bucket, path: path) }
    func checkHealth(buckets: [String]) async throws(StorageError) { try await base.checkHealth(buckets: buckets) }
}
