import AsyncHTTPClient
import Foundation
import Testing
@testable import Storage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Python the tests drive: `INTERIOR_TEST_PYTHON` (the project's virtualenv), else `python3`.
enum TestPython {
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["INTERIOR_TEST_PYTHON"], !path.isEmpty { return path }
        return "python3"
    }

    static let oracleScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Python/botocore_oracle.py").path

    /// Runs the botocore oracle; fails the test (never skips) when Python or botocore is missing.
    static func oracle(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws -> Data {
        let result = try ProcessRunner.run(executable, [oracleScript] + arguments, input: input, environment: environment)
        guard result.status == 0 else {
            throw ToolFailure("botocore oracle (\(executable)) exited \(result.status); set INTERIOR_TEST_PYTHON to the "
                + "virtualenv scripts/ensure-deps.sh test creates. stderr:\n\(String(decoding: result.stderr, as: UTF8.self))")
        }
        return result.stdout
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum ProcessRunner {
    struct Result {
        let status: Int32
        let stdout: Data
        let stderr: Data
    }

    /// Runs a program to completion. Output goes through files, so a chatty child can never
    /// block on a full pipe.
    static func run(_ executable: String, _ arguments: [String], input: Data, environment: [String: String]) throws -> Result {
        let scratch = try TemporaryDirectory()
        let inputFile = scratch.url.appendingPathComponent("stdin")
        let outputFile = scratch.url.appendingPathComponent("stdout")
        let errorFile = scratch.url.appendingPathComponent("stderr")
        try input.write(to: inputFile)
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try Data(contentsOf: outputFile),
                      stderr: try Data(contentsOf: errorFile))
    }
}

/// A fresh directory, removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("storage-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Every file below the directory, as paths relative to it, sorted.
    func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
        var found: [String] = []
        while let next = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(next).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(next)
            }
        }
        return found.sorted()
    }
}

enum FreePort {
    /// A loopback TCP port nothing listens on right now (the kernel's pick).
    static func next() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ToolFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ToolFailure("could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A program the tests run in the background, with its output in a log file.
final class BackgroundProcess: @unchecked Sendable {
    let name: String
    private let process: Process
    private let log: URL

    init(name: String, _ arguments: [String]) throws {
        self.name = name
        log = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    /// Waits until `url` answers HTTP at all. This waits for a real process to come up;
    /// nothing here stands in for time under test.
    func waitUntilServing(_ url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw ToolFailure("\(name) exited at start-up (is it installed for \(TestPython.executable)?):\n\(output())")
            }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw ToolFailure("\(name) did not answer within 30 s:\n\(output())")
    }

    func stop() {
        guard process.isRunning else { return }
        // SIGKILL, not terminate(): a child spawned from a dispatch thread inherits that
        // thread's blocked signal mask, so SIGTERM would never arrive.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    func output() -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }
}

/// `moto_server` (PyPI `moto[server]`) on a free loopback port, behind `sigv4_gateway.py`,
/// which refuses any request whose Signature V4 botocore does not reproduce — moto checks none.
final class MotoServer: Sendable {
    static let accessKeyId = "AKIDMOTOTEST00000000"
    static let secretAccessKey = "moto/secret+KEY/never-printed-0123456789"

    /// The gateway: what stores under test talk to.
    let endpoint: URL
    /// moto itself, for independent checks that should not depend on the gateway.
    let motoEndpoint: URL
    private let moto: BackgroundProcess
    private let gateway: BackgroundProcess

    @TaskLocal static var current: MotoServer?

    private init(endpoint: URL, motoEndpoint: URL, moto: BackgroundProcess, gateway: BackgroundProcess) {
        self.endpoint = endpoint
        self.motoEndpoint = motoEndpoint
        self.moto = moto
        self.gateway = gateway
    }

    static func start() async throws -> MotoServer {
        let motoPort = try FreePort.next()
        let moto = try BackgroundProcess(name: "moto_server",
                                         [TestPython.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(motoPort)])
        do {
            try await moto.waitUntilServing("http://127.0.0.1:\(motoPort)/moto-api/")
        } catch {
            moto.stop()
            throw error
        }
        let gatewayPort = try FreePort.next()
        let script = URL(fileURLWithPath: TestPython.oracleScript).deletingLastPathComponent().appendingPathComponent("sigv4_gateway.py").path
        let gateway = try BackgroundProcess(name: "sigv4_gateway", [
            TestPython.executable, script, "--port", String(gatewayPort), "--upstream-port", String(motoPort),
            "--access-key", accessKeyId, "--secret-key", secretAccessKey,
        ])
        do {
            try await gateway.waitUntilServing("http://127.0.0.1:\(gatewayPort)/")
        } catch {
            moto.stop()
            gateway.stop()
            throw error
        }
        return MotoServer(endpoint: URL(string: "http://127.0.0.1:\(gatewayPort)")!,
                          motoEndpoint: URL(string: "http://127.0.0.1:\(motoPort)")!, moto: moto, gateway: gateway)
    }

    func stop() {
        gateway.stop()
        moto.stop()
    }

    /// What the gateway logged: its refusals say why a signature was rejected.
    func gatewayLog() -> String { gateway.output() }
}

/// Runs a suite with one moto server, started before its first test and stopped after its last.
struct MotoServerTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try await MotoServer.start()
        defer { server.stop() }
        try await MotoServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == MotoServerTrait {
    static var motoServer: Self { MotoServerTrait() }
}

/// The `StorageError` an operation throws, or nil when it succeeds. Any other error is recorded
/// as a test issue.
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}

func storageErrorSync(_ body: () throws -> Void) -> StorageError? {
    do {
        try body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}

extension StorageError {
    var isInvalidPath: Bool { if case .invalidPath = self { true } else { false } }
    var isInvalidBucket: Bool { if case .invalidBucket = self { true } else { false } }
    var isUnavailable: Bool { if case .unavailable = self { true } else { false } }
    var invalidPathReason: String? { if case let .invalidPath(reason) = self { reason } else { nil } }
}
