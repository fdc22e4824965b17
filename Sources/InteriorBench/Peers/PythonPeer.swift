import Foundation

/// The Python peers (pyvips and Pillow, from PyPI in the test virtualenv) as one long-lived
/// worker process: `Python/peer_pipeline.py` answers one JSON line per command, so its runs
/// alternate with ours in the same benchmark and the pipe adds microseconds to a run of
/// over a hundred milliseconds.
final class PythonPeer: @unchecked Sendable {
    enum Library: String, Sendable {
        case pyvips, pillow
    }

    /// What one run made: the sizes let the benchmark check the peer did the same work.
    struct Result: Decodable, Sendable {
        let width: Int
        let height: Int
        let thumbWidth: Int
        let thumbHeight: Int
        let bytes: Int
        let thumbBytes: Int
        let seconds: Double
    }

    private struct Loaded: Decodable {
        let bytes: Int
    }

    struct Versions: Decodable, Sendable {
        let pyvips: String
        let libvips: String
        let pillow: String
        let python: String
        let threads: Int
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Python/peer_pipeline.py")

    /// `INTERIOR_BENCH_PYTHON`, else the test virtualenv of this checkout.
    static var python: URL {
        if let given = ProcessInfo.processInfo.environment["INTERIOR_BENCH_PYTHON"], !given.isEmpty {
            return URL(fileURLWithPath: given)
        }
        return Checkout.root.appendingPathComponent(".build-venv/bin/python")
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var pending = Data()
    private let lock = NSLock()
    private let scratch: URL
    private var loaded: Set<String> = []

    init(scratch: URL) throws {
        self.scratch = scratch
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw BenchFailure("no Python at \(Self.python.path): run scripts/ensure-deps.sh bench (or set INTERIOR_BENCH_PYTHON)")
        }
        process.executableURL = Self.python
        process.arguments = [Self.script.path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    var versions: Versions {
        get throws { try call(["op": "versions"], as: Versions.self) }
    }

    /// The peer's pipeline on `data` (handed over once as a file, kept in the worker's memory).
    func run(_ library: Library, name: String, data: Data, longEdge: Int) throws -> Result {
        if !lock.withLock({ loaded.contains(name) }) {
            let file = scratch.appendingPathComponent("peer-\(name)")
            try data.write(to: file)
            let answer = try call(["op": "load", "name": name, "path": file.path], as: Loaded.self)
            guard answer.bytes == data.count else { throw BenchFailure("the Python peer read \(answer.bytes) of \(data.count) bytes") }
            lock.withLock { _ = loaded.insert(name) }
        }
        return try call(["op": "run", "lib": library.rawValue, "name": name, "edge": String(longEdge)], as: Result.self)
    }

    private func call<T: Decodable>(_ command: [String: String], as type: T.Type) throws -> T {
        try lock.withLock {
            var line = try JSONSerialization.data(withJSONObject: command)
            line.append(0x0A)
            try input.fileHandleForWriting.write(contentsOf: line)
            let reply = try readLine()
            let status = try JSONDecoder().decode(Status.self, from: reply)
            guard status.ok else { throw BenchFailure("the Python peer failed: \(status.error ?? "no reason given")") }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: reply)
        }
    }

    private struct Status: Decodable {
        let ok: Bool
        let error: String?
    }

    private func readLine() throws -> Data {
        while true {
            if let end = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<end]
                pending = Data(pending[(end + 1)...])
                return Data(line)
            }
            // `availableData` returns what the pipe holds (at least a byte); Foundation's
            // `read(upToCount:)` would wait for the whole count or the end of the stream.
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw BenchFailure("the Python peer exited (is pyvips installed? scripts/ensure-deps.sh bench)")
            }
            pending.append(chunk)
        }
    }
}

/// The checkout this benchmark was built from (for the virtualenv and the release binaries).
enum Checkout {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The directory of the running executable: `interior` is built next to `interior-bench`.
    static var binaries: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }
}
