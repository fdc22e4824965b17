import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import InteriorCore
@testable import InteriorServer
import NIOConcurrencyHelpers
import SQLKit
import Testing
import TestSupport

/// `kill -9` of a real `interior serve` (with its embedded emulator, on this run's database)
/// mid-submit, mid-download and mid-transaction, then a restart on the same data directory.
extension ChaosSuite {
    @Suite("Chaos: kill -9 and restart")
    struct KillAndRestart {
        struct KillCell: ChaosCell {
            let name: String
            var short = false
            /// Kills the server at its moment; returns the job to wait for.
            let kill: @Sendable (EmulatedServe, ServeSecrets) async throws -> String
        }

        static let cells: [KillCell] = [
            KillCell(name: "kill -9 mid-submit (the create made, not yet answered)") { serve, secrets in
                try await serve.queue(#"{"create": {"delay": 3}}"#, secrets)
                let submit = Task { _ = try? await serve.submit(prompt: "A Federation hallway, interrupted", variants: 1) }
                try await serve.eventually("the emulator has the prediction") {
                    let listed = try await serve.emulator(.GET, "/predictions").json["results"] as? [[String: Any]]
                    return listed?.isEmpty == false
                }
                serve.kill()
                _ = await submit.value
                return try await serve.onlyJob()
            },
            KillCell(name: "kill -9 mid-download (a slow output)", short: true) { serve, secrets in
                try await serve.queue(#"{"files": "slow", "files_delay": 4}"#, secrets)
                let job = try await serve.submit(prompt: "A slow-to-fetch sunroom", variants: 1)
                let predictionId = try #require(job["predictionId"] as? String)
                try await serve.completedDelivered(predictionId)
                try await Task.sleep(for: .seconds(1))
                serve.kill()
                return try #require(job["id"] as? String)
            },
        ] + (ChaosRun.full ? [0, 150, 300, 500, 800] : [300]).map { delay in
            KillCell(name: "kill -9 mid-transaction (\(delay) ms after the completed webhook)", short: true) { serve, secrets in
                try await serve.queue(#"{}"#, secrets)
                let job = try await serve.submit(prompt: "A kitchen stored at \(delay) ms", variants: 2)
                let predictionId = try #require(job["predictionId"] as? String)
                try await serve.completedDelivered(predictionId)
                try await Task.sleep(for: .milliseconds(delay))
                serve.kill()
                return try #require(job["id"] as? String)
            }
        }

        @Test("each kill -9 on this run's database: restarted, settled in under 30 s, every invariant holds",
              arguments: ChaosRun.selected(cells))
        func cell(_ cell: KillCell) async throws {
            let started = ContinuousClock.now
            try await EmulatedServe.with { serve in
                let secrets = ServeSecrets()
                let id = try await cell.kill(serve, secrets)
                let restarted = ContinuousClock.now
                try await serve.restart()
                secrets.note(serve)
                let done = try await serve.waitUntilFinished(id, timeout: .seconds(60))
                let settled = ContinuousClock.now - restarted
                #expect(["succeeded", "failed", "canceled"].contains(done["status"] as? String ?? ""), "\(done)")
                #expect(settled < .seconds(30), "settled \(settled) after the restart began")
                // Replicate's news of the job may still be on its way; give it its few seconds.
                try await serve.eventually("the emulator has no prediction running") {
                    let listed = try await serve.emulator(.GET, "/predictions").json["results"] as? [[String: Any]] ?? []
                    return listed.allSatisfy { !["starting", "processing"].contains($0["status"] as? String ?? "") }
                }
                try await Task.sleep(for: .milliseconds(500))
                let verdict = try await serve.withSQL { sql in
                    try await ChaosInvariants.check(try await serve.chaosWorld(sql, secrets: secrets),
                                                    expect: ChaosExpectation(), cell: cell.name)
                }
                ChaosRun.report(cell.name, verdict, real: ContinuousClock.now - started,
                                note: "\(done["status"] as? String ?? "?") \(String(format: "%.1f", Double(settled.components.seconds) + Double(settled.components.attoseconds) / 1e18)) s after the restart began")
            }
        }
    }
}

/// The secrets a serve process holds: the emulator's token is new at every start.
final class ServeSecrets: Sendable {
    private let values = NIOLockedValueBox<[String]>([
        TokenFixtures.shared.hs256Secret, "serve-process-signing-secret-0123456789abcdef",
    ])

    var all: [String] { values.withLockedValue { $0 } }

    func note(_ serve: EmulatedServe) {
        values.withLockedValue { $0.append(serve.token) }
        if let control = try? serve.emulatorControl() { values.withLockedValue { $0.append(control.token) } }
    }
}

extension EmulatedServe {
    /// Queues a fault plan at the embedded emulator (noting its token first).
    func queue(_ plan: String, _ secrets: ServeSecrets) async throws {
        secrets.note(self)
        let queued = try await emulator(.POST, "/_emulator/faults", json: plan)
        guard queued.status == .created else { throw ToolFailure("the emulator refused \(plan): \(queued.text)") }
    }

    func completedDelivered(_ predictionId: String) async throws {
        try await eventually("the completed webhook is delivered") {
            let deliveries = try await emulator(.GET, "/_emulator/deliveries").json["deliveries"] as? [[String: Any]] ?? []
            return deliveries.contains {
                $0["prediction_id"] as? String == predictionId && $0["event"] as? String == "completed" && $0["status"] as? Int == 200
            }
        }
    }

    /// The id of the one job in the database.
    func onlyJob() async throws -> String {
        struct Row: Decodable { let id: UUID }
        let rows = try await withSQL { sql in try await sql.select().column("id").from("generation_jobs").all(decoding: Row.self) }
        guard rows.count == 1 else { throw ToolFailure("expected one job, found \(rows.count)\n\(log())") }
        return rows[0].id.apiString
    }

    /// Runs `body` on a connection of the test's own to the server's database.
    func withSQL<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        if databaseURL.hasPrefix("postgres") {
            let connection = try await TestDatabase.connect(databaseURL)
            do {
                let result = try await body(connection.sql())
                try await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        }
        let path = String(databaseURL.dropFirst("sqlite://".count))
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            let result = try await body(connection.sql())
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func chaosWorld(_ sql: any SQLDatabase, secrets: ServeSecrets) async throws -> ChaosWorld {
        var replicate: [String: String] = [:]
        for prediction in try await emulator(.GET, "/predictions").json["results"] as? [[String: Any]] ?? [] {
            if let id = prediction["id"] as? String { replicate[id] = prediction["status"] as? String ?? "" }
        }
        return ChaosWorld(sql: sql, storage: directory.appendingPathComponent("storage"),
                          logs: log().split(separator: "\n").map(String.init), secrets: secrets.all,
                          replicate: replicate, timeouts: Timeouts(), now: Date())
    }
}
