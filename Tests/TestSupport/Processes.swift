import AsyncHTTPClient
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Python the tests drive: `INTERIOR_TEST_PYTHON` (the project's virtualenv, which
/// `scripts/ensure-deps.sh test` creates), else `python3`.
public enum TestPython {
    public static var executable: String {
        if let path = ProcessInfo.processInfo.environment["INTERIOR_TEST_PYTHON"], !path.isEmpty { return path }
        return "python3"
    }

    /// Runs `python -c script arguments…`; a non-zero exit is a `ToolFailure` that says how to
    /// get the tools (a missing tool fails the test, never skips it).
    public static func run(script: String, _ arguments: [String] = [], input: Data = Data(),
                           environment: [String: String] = [:]) throws -> Data {
        try ProcessRunner.checked(executable, ["-c", script] + arguments, input: input, environment: environment)
    }

    /// Runs a Python file with arguments, like `run(script:)`.
    public static func run(file: String, _ arguments: [String] = [], input: Data = Data(),
                           environment: [String: String] = [:], unset: Set<String> = []) throws -> Data {
        try ProcessRunner.checked(executable, [file] + arguments, input: input, environment: environment, unset: unset)
    }

    public static func run(file: String, _ arguments: [String] = [], input: Data = Data(),
                           environment: [String: String] = [:], unset: Set<String> = []) async throws -> Data {
        try await ProcessRunner.checked(executable, [file] + arguments, input: input, environment: environment, unset: unset)
    }
}

public struct ToolFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum ProcessRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
    }

    /// Runs a program (looked up on PATH) to completion. Input and output go through files,
    /// so a chatty child can never block on a full pipe. `unset` removes inherited variables.
    public static func run(_ executable: String, _ arguments: [String], input: Data = Data(),
                           environment: [String: String] = [:], unset: Set<String> = []) throws -> Result {
        let launch = try Launch(executable, arguments, input: input, environment: environment, unset: unset)
        try launch.process.run()
        launch.process.waitUntilExit()
        return try launch.result()
    }

    /// The same, waiting without holding a thread: for tests whose child talks to a server
    /// running in the test process.
    public static func run(_ executable: String, _ arguments: [String], input: Data = Data(),
                           environment: [String: String] = [:], unset: Set<String> = [],
                           currentDirectory: URL? = nil) async throws -> Result {
        let launch = try Launch(executable, arguments, input: input, environment: environment, unset: unset)
        launch.process.currentDirectoryURL = currentDirectory
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            launch.process.terminationHandler = { _ in continuation.resume() }
            do {
                try launch.process.run()
            } catch {
                launch.process.terminationHandler = nil
                continuation.resume(throwing: ToolFailure("could not start \(executable): \(error)"))
            }
        }
        return try launch.result()
    }

    /// A configured child process and its scratch files.
    private final class Launch: @unchecked Sendable {
        let process = Process()
        private let scratch: TemporaryDirectory
        private let handles: [FileHandle]
        private let outputFile: URL
        private let errorFile: URL

        init(_ executable: String, _ arguments: [String], input: Data, environment: [String: String], unset: Set<String>) throws {
            scratch = try TemporaryDirectory()
            let inputFile = scratch.url.appendingPathComponent("stdin")
            outputFile = scratch.url.appendingPathComponent("stdout")
            errorFile = scratch.url.appendingPathComponent("stderr")
            try input.write(to: inputFile)
            _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !unset.contains($0.key) }
            let stdin = try FileHandle(forReadingFrom: inputFile)
            let stdout = try FileHandle(forWritingTo: outputFile)
            let stderr = try FileHandle(forWritingTo: errorFile)
            handles = [stdin, stdout, stderr]
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
        }

        deinit { for handle in handles { try? handle.close() } }

        func result() throws -> Result {
            Result(status: process.terminationStatus, stdout: try Data(contentsOf: outputFile), stderr: try Data(contentsOf: errorFile))
        }
    }

    /// `run`, with a non-zero exit thrown as a `ToolFailure` carrying the program's errors.
    public static func checked(_ executable: String, _ arguments: [String], input: Data = Data(),
                               environment: [String: String] = [:], unset: Set<String> = []) throws -> Data {
        try check(run(executable, arguments, input: input, environment: environment, unset: unset), executable, arguments)
    }

    public static func checked(_ executable: String, _ arguments: [String], input: Data = Data(),
                               environment: [String: String] = [:], unset: Set<String> = []) async throws -> Data {
        try check(await run(executable, arguments, input: input, environment: environment, unset: unset), executable, arguments)
    }

    private static func check(_ result: Result, _ executable: String, _ arguments: [String]) throws -> Data {
        guard result.status == 0 else {
            var message = String(decoding: result.stderr, as: UTF8.self)
            if message.contains("No module named") || result.status == 127 {
                message += "\n(\(executable) lacks the test tools: run scripts/ensure-deps.sh test and set "
                    + "INTERIOR_TEST_PYTHON=.build-venv/bin/python)"
            }
            let program = ([executable] + arguments.prefix(1)).joined(separator: " ")
            throw ToolFailure("\(program) exited \(result.status):\n\(message)")
        }
        return result.stdout
    }
}

/// A fresh directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("interior-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Every file below the directory, as paths relative to it, sorted.
    public func files() -> [String] {
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

public enum FreePort {
    /// A loopback TCP port nothing listens on right now (the kernel's pick). Another server
    /// may take it later; a test that needs it to stay refused holds a `RefusingPort`.
    public static func next() throws -> Int {
        let (fd, port) = try LoopbackSocket.bound()
        close(fd)
        return port
    }
}

/// Runs `body` with a loopback port held bound but never listening until it returns:
/// connections to it are refused at once, and no server started meanwhile can take it.
public func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let (fd, port) = try LoopbackSocket.bound()
    defer { close(fd) }
    return try await body(port)
}

private enum LoopbackSocket {
    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
    static func bound() throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ToolFailure("socket() failed") }
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
        guard bound else {
            close(fd)
            throw ToolFailure("could not bind a loopback port")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// A program the tests run in the background, with its output in a log file.
public final class BackgroundProcess: @unchecked Sendable {
    public let name: String
    private let process: Process
    private let log: URL
    /// The write end of the child's stdin, when it has a lifeline: held open and never
    /// written, so the child reads end of file once this process lets go of it or ends.
    private let lifeline: FileHandle?

    /// - Parameters:
    ///   - environment: variables set over the inherited ones, or, with `inheritEnvironment`
    ///     false, the child's whole environment.
    ///   - lifeline: give the child a stdin that reaches end of file when `stop()` is called
    ///     or this process ends in any way (a supervisor watches it to clean up).
    public init(name: String, _ arguments: [String], environment: [String: String] = [:], inheritEnvironment: Bool = true,
                lifeline: Bool = false, currentDirectory: URL? = nil) throws {
        self.name = name
        log = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = currentDirectory
        if !inheritEnvironment {
            process.environment = environment
        } else if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // One handle for both, so the two streams interleave instead of overwriting each other.
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        if lifeline {
            let pipe = Pipe()
            process.standardInput = pipe
            self.lifeline = pipe.fileHandleForWriting
        } else {
            self.lifeline = nil
        }
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }

    /// Waits until `url` answers HTTP at all. This waits for a real process to come up;
    /// nothing here stands in for time under test.
    public func waitUntilServing(_ url: String) async throws {
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

    /// Waits until the program prints a line starting with `prefix`, and returns it.
    public func waitForLine(startingWith prefix: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let line = output().split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line)
            }
            guard process.isRunning else {
                throw ToolFailure("\(name) exited at start-up (is it installed for \(TestPython.executable)?):\n\(output())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw ToolFailure("\(name) printed no \"\(prefix)\" line within 30 s:\n\(output())")
    }

    /// How the program ended, once it has ended by itself; nil while it is still running
    /// after `timeout`.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Termination(status: process.terminationStatus, bySignal: process.terminationReason == .uncaughtSignal)
    }

    public struct Termination: Sendable, Equatable, CustomStringConvertible {
        /// The exit status, or the signal's number when `bySignal`.
        public let status: Int32
        public let bySignal: Bool

        public static func exited(_ status: Int32) -> Termination { Termination(status: status, bySignal: false) }

        public var description: String { bySignal ? "killed by signal \(status)" : "exit \(status)" }
    }

    public func stop() {
        if let lifeline {
            // The supervisor ends its child and cleans up on end of file; give it a moment.
            try? lifeline.close()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if !process.isRunning { try? FileManager.default.removeItem(at: log) }
        }
        guard process.isRunning else { return }
        // SIGKILL, not terminate(): a child spawned from a dispatch thread inherits that
        // thread's blocked signal mask, so SIGTERM would never arrive.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    public func output() -> String {
        (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }
}
