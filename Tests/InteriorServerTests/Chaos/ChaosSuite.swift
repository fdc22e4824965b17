import Foundation
import InteriorCore
@testable import InteriorServer
import NIOConcurrencyHelpers
import ReplicateEmulator
import SQLKit
import Testing

/// The fault matrix of issue 11: each fault is a cell, run against the real pipeline (a server
/// and the Replicate emulator over real HTTP, or real `interior serve` processes), then checked
/// by `ChaosInvariants.check` from the database, the store and the logs. The database is the
/// run's (`DATABASE_URL`): `make chaos` runs every cell on SQLite and then on PostgreSQL.
///
/// `INTERIOR_CHAOS=full` runs every cell, `short` (what `make test` runs) a few; unset, the
/// suite is skipped, so an ordinary `swift test` does not pay for it.
@Suite("Chaos", .serialized, .enabled(if: ChaosRun.enabled, "INTERIOR_CHAOS is short or full (make chaos)"))
struct ChaosSuite {}

enum ChaosRun {
    static let mode = ProcessInfo.processInfo.environment["INTERIOR_CHAOS"] ?? ""
    static var enabled: Bool { mode == "short" || mode == "full" }
    static var full: Bool { mode == "full" }
    static var database: String { TestDatabase.isPostgres ? "PostgreSQL" : "SQLite" }

    /// The cells of this run: all of them, or those marked for the short run.
    static func selected<Cell: ChaosCell>(_ cells: [Cell]) -> [Cell] {
        full ? cells : cells.filter(\.short)
    }

    /// One line of the matrix, collected by `scripts/chaos.sh` into `.build/chaos-matrix-*.txt`.
    static func report(_ cell: String, _ verdict: ChaosVerdict, real: Duration, note: String = "") {
        let invariants = ChaosInvariant.allCases.map { verdict.failures[$0.rawValue] == nil ? "held" : "FAILED" }
        let seconds = Double(real.components.seconds) + Double(real.components.attoseconds) / 1e18
        print("chaos| \(database) | \(cell) | \(invariants.joined(separator: " ")) | settled \(Int(verdict.settled.rounded())) s injected"
              + " | \(String(format: "%.1f", seconds)) s real\(note.isEmpty ? "" : " | \(note)")")
    }
}

protocol ChaosCell: Sendable, CustomTestStringConvertible {
    var name: String { get }
    var short: Bool { get }
}

extension ChaosCell {
    var testDescription: String { name }
}

/// A cell run on one in-process pipeline (server + emulator, storage that can be made to fail).
struct PipelineCell: ChaosCell {
    let name: String
    var short = false
    var environment: [String: String] = [:]
    let run: @Sendable (Pipeline, FlakyStore) async throws -> ChaosExpectation

    /// Runs the fault, lets the inbox finish what is due, and checks every invariant.
    func check() async throws {
        let started = ContinuousClock.now
        try await withFlakyStoragePipeline(environment: environment) { p, store in
            let expect = try await run(p, store)
            store.failing = false
            store.holding = false
            try await p.eventually("no inbox event is due or claimed") {
                try await p.t.sql.raw("""
                    SELECT COUNT(*) AS n FROM webhook_events
                    WHERE (state = 'pending' AND next_attempt_at <= \(bind: p.t.clock.now)) OR locked_until IS NOT NULL
                    """).first()?.decode(column: "n", as: Int.self) == 0
            }
            let verdict = try await ChaosInvariants.check(try await p.chaosWorld(), expect: expect, cell: name)
            ChaosRun.report(name, verdict, real: ContinuousClock.now - started,
                            note: try await p.t.sql.select().column("status").from("generation_jobs").orderBy("created_at")
                                .all(decoding: StatusOnly.self).map(\.status).joined(separator: ","))
        }
    }

    private struct StatusOnly: Decodable { let status: String }
}

extension Pipeline {
    /// The world the invariant check reads: this pipeline's database, storage and logs.
    func chaosWorld() async throws -> ChaosWorld {
        let listed = try await TestClient(baseURL: emulator.baseURL).get(
            "/predictions", headers: [("Authorization", "Bearer \(emulator.token)")])
        var replicate: [String: String] = [:]
        for prediction in listed.json["results"] as? [[String: Any]] ?? [] {
            if let id = prediction["id"] as? String { replicate[id] = prediction["status"] as? String ?? "" }
        }
        return ChaosWorld(
            sql: t.sql, storage: t.directory.appendingPathComponent("storage"),
            logs: t.logs.all + emulatorLogs.all,
            secrets: [TokenFixtures.shared.hs256Secret, "test-storage-signing-secret-0123456789abcdef", "sk-test-interior-0123456789",
                      emulator.token, emulator.webhookSecret, token],
            replicate: replicate, timeouts: t.settings.runtime.timeouts, now: t.clock.now)
    }

    /// Submits a text-only job of `variants` after queueing `plan`; returns the response.
    func chaosSubmit(_ plan: FaultPlan?, prompt: String, variants: Int = 1) async throws -> TestResponse {
        if let plan { await emulator.enqueueFault(plan) }
        return try await submit(["mode": "imagine", "prompt": prompt, "variants": String(variants)])
    }

    /// Submits and returns the job and (first) prediction ids, requiring a 202.
    func chaosJob(_ plan: FaultPlan?, prompt: String, variants: Int = 1) async throws -> (job: String, prediction: String) {
        let response = try await chaosSubmit(plan, prompt: prompt, variants: variants)
        try #require(response.status == .accepted, "\(response.status) \(response.text)")
        return (try #require(response.data["id"] as? String), try #require(response.data["predictionId"] as? String))
    }

    /// Waits (real time) until the emulator says the prediction is `status`.
    func atReplicate(_ predictionId: String, is status: String, timeout: Duration = .seconds(30)) async throws {
        try await eventually("\(predictionId) is \(status) at Replicate", timeout: timeout) {
            try await prediction(predictionId)["status"] as? String == status
        }
    }

    /// Waits until the emulator has delivered the prediction's `completed` webhook (answered 200).
    func completedDelivered(_ predictionId: String) async throws {
        try await eventually("the completed webhook is delivered") {
            await emulator.deliveries().contains { $0.predictionID == predictionId && $0.event == "completed" && $0.status == 200 }
        }
    }

    /// Moves the injected clock on by `seconds` in steps of at most `step`, sweeping and waking
    /// the inbox after each, as the instance's own timers would over that time.
    func pass(_ seconds: TimeInterval, step: TimeInterval = 60) async throws {
        var left = seconds
        while left > 0 {
            let move = min(step, left)
            t.clock.advance(by: move)
            left -= move
            try await sweep()
            t.app.interior.inbox.wake()
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func jobStatus(_ id: String) async throws -> JobStatus? {
        try await JobRepository(db: t.app.db).find(id: UUID(uuidString: id)!)?.status
    }

    func cancel(_ id: String) async throws -> TestResponse {
        try await client.send(.POST, "/api/v1/generations/\(id)/cancel", token: token)
    }
}
