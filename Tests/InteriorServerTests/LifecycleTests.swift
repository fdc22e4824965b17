import AsyncHTTPClient
import Foundation
@testable import InteriorServer
import Testing
import Vapor

@Suite("Application lifecycle")
struct LifecycleTests {
    @Test("a configure that fails after the context exists still stops what the context owns at shutdown")
    func failedConfigureReleasesTheContext() async throws {
        try await withTemporaryDirectory { directory in
            // A directory where the database file belongs: the first statement fails, after
            // the context (and its download client) has been built.
            let database = directory.appendingPathComponent("blocked.sqlite", isDirectory: true)
            try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
            let settings = try Settings.load(environment: [
                "ENV": "testing",
                "DATABASE_URL": "sqlite://\(database.path)",
                "STORAGE_URL": "file://\(directory.path)/storage",
                "AUTH_JWT_SECRET": TokenFixtures.shared.hs256Secret,
                "STORAGE_SIGNING_SECRET": "test-storage-signing-secret-0123456789abcdef",
            ], workingDirectory: directory)
            let app = try await Application.make(.testing)
            app.logger.logLevel = .critical
            await #expect(throws: (any Error).self) {
                try await configure(app, settings: settings,
                                    dependencies: Dependencies(replicate: TestReplicate.unreachable, backgroundWork: false))
            }
            let client = app.interior.downloadClient
            try await app.asyncShutdown()
            // Shut down with the application: a second shutdown is refused, not performed.
            await #expect(throws: HTTPClientError.alreadyShutdown) { try await client.shutdown() }
        }
    }
}
