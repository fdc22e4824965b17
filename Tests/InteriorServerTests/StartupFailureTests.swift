import Foundation
@testable import InteriorServer
import TestSupport
import Testing

/// An instance that cannot start says why in one line an operator can act on, never shows a
/// secret, and exits with status 1 instead of crashing on the way out.
@Suite("Start-up failures: one line, no secret, no crash")
struct StartupFailureTests {
    /// Runs `interior serve` until it gives up; returns how it ended and its `could not start`
    /// lines, after checking that no secret of `secrets` appears anywhere in its output.
    static func failedStart(databaseURL: String, secrets: [String]) async throws -> (BackgroundProcess.Termination, [String], String) {
        try await withTemporaryDirectory { directory in
            let server = try ServeProcess(name: "interior-failing",
                                          environment: ServeProcess.environment(databaseURL: databaseURL, directory: directory),
                                          directory: directory)
            defer { server.stop() }
            guard let ended = try await server.process.waitForExit(timeout: .seconds(60)) else {
                throw ToolFailure("the server did not give up within 60 s:\n\(server.process.output())")
            }
            let output = server.process.output()
            for secret in secrets {
                #expect(!output.contains(secret), "a secret reached the output:\n\(output)")
            }
            // libvips released while its capability probe still ran, or a crash on the way out.
            #expect(!output.contains("GLib-CRITICAL") && !output.contains("crashed"), "\(output)")
            return (ended, output.split(separator: "\n").filter { $0.contains("could not start:") }.map(String.init), output)
        }
    }

    @Test("a PostgreSQL server that refuses connections: one line saying so, no password, exit 1",
          .enabled(if: !TestDatabase.isPostgres))
    func refused() async throws {
        let password = "Refused-Secret-4711"
        try await withRefusingPort { port in
            let (ended, lines, output) = try await Self.failedStart(
                databaseURL: "postgres://interior:\(password)@127.0.0.1:\(port)/interior?tlsmode=disable", secrets: [password])
            #expect(ended == .exited(1))
            #expect(lines.count == 1, "\(output)")
            let line = try #require(lines.first)
            #expect(line.contains("could not start: migrations: cannot connect to PostgreSQL"), "\(line)")
            #expect(line.contains("onnection refused"), "\(line)")
        }
    }

    @Test("a wrong PostgreSQL password: the server's own message, not the password, exit 1",
          .enabled(if: TestDatabase.isPostgres))
    func wrongPassword() async throws {
        let password = "Wrong-Secret-4711"
        let admin = try #require(TestDatabase.postgresAdminURL)
        var url = try #require(URLComponents(string: admin))
        url.password = password
        let (ended, lines, output) = try await Self.failedStart(databaseURL: try #require(url.string), secrets: [password])
        #expect(ended == .exited(1))
        #expect(lines.count == 1, "\(output)")
        let line = try #require(lines.first)
        #expect(line.contains("PostgreSQL: password authentication failed for user \"\(url.user ?? "")\""), "\(line)")
        #expect(line.contains("[SQLSTATE 28P01]"), "\(line)")
    }

    @Test("an SQLite file that cannot be opened: SQLite's own message, exit 1", .enabled(if: !TestDatabase.isPostgres))
    func unopenableSQLite() async throws {
        try await withTemporaryDirectory { directory in
            // A directory where the database file belongs.
            let blocked = directory.appendingPathComponent("blocked.sqlite", isDirectory: true)
            try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
            let (ended, lines, output) = try await Self.failedStart(databaseURL: "sqlite://\(blocked.path)", secrets: [])
            #expect(ended == .exited(1))
            #expect(lines.count == 1, "\(output)")
            #expect(lines.first?.contains("could not start: SQLite: Failed to open to SQLite database at") == true, "\(lines)")
        }
    }

    @Test("the line names what failed and masks every configured secret")
    func maskedLine() async throws {
        let settings = try Settings.load(environment: [
            "DATABASE_URL": "postgres://app:p%40ss-Word-99@db.example:5432/app",
            "AUTH_JWT_SECRET": String(repeating: "j", count: 40),
        ], workingDirectory: FileManager.default.temporaryDirectory)
        struct Leaky: Error, CustomStringConvertible {
            var description: String { "postgres://app:p%40ss-Word-99@db.example:5432/app p@ss-Word-99 \(String(repeating: "j", count: 40))" }
        }
        let line = StartupFailure.line(for: MigrationsFailed(underlying: Leaky()), settings: settings)
        #expect(line == "migrations: <redacted> <redacted> <redacted>")
        let url = URLError(.badURL, userInfo: [NSURLErrorFailingURLErrorKey: URL(string: "postgres://app:p%40ss-Word-99@db.example:5432/app")!])
        #expect(StartupFailure.text(url) == "a URL could not be used (URLError \(URLError.badURL.rawValue))")
    }
}
