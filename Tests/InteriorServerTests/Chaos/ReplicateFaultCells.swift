import Foundation
import InteriorCore
@testable import InteriorServer
import ReplicateEmulator
import Testing

/// Replicate's API misbehaving: rate limits, server errors, timeouts, and predictions that end
/// badly or with fewer images than asked for.
extension ChaosSuite {
    @Suite("Chaos: Replicate's API")
    struct ReplicateFaults {
        static let cells: [PipelineCell] = [
            PipelineCell(name: "create: 429 burst with Retry-After", short: true) { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(create: .init(status: 429, times: 3, retryAfter: "1")), prompt: "A rate-limited sunroom")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "create: 429 burst without Retry-After") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(create: .init(status: 429, times: 3)), prompt: "A rate-limited laundry")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "create: 429 beyond every retry") { p, _ in
                let response = try await p.chaosSubmit(FaultPlan(create: .init(status: 429, times: 20, retryAfter: "0")), prompt: "A never-made study")
                #expect(response.status.code >= 500, "\(response.status) \(response.text)")
                await p.emulator.clearFaults()
                return ChaosExpectation(statuses: [.failed], allowed5xx: [502, 503])
            },
            PipelineCell(name: "polls: 429 burst while the webhooks are dropped") { p, _ in
                let (id, predictionId) = try await p.chaosJob(
                    FaultPlan(get: .init(status: 429, times: 4, retryAfter: "1"), webhooks: .drop), prompt: "A polled kitchen")
                try await p.atReplicate(predictionId, is: "succeeded")
                try await p.pass(6 * 60)
                #expect(try await p.jobStatus(id) == .succeeded)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "create: 503 once, retried") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(create: .init(status: 503, times: 1)), prompt: "A retried hallway")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "create: 500 (not retried: it may have made one)", short: true) { p, _ in
                let response = try await p.chaosSubmit(FaultPlan(create: .init(status: 500, times: 1)), prompt: "A refused entry")
                #expect(response.status == .badGateway, "\(response.text)")
                #expect(response.errorCode == "UPSTREAM_ERROR")
                return ChaosExpectation(statuses: [.failed], allowed5xx: [502])
            },
            PipelineCell(name: "polls: 500 and 502 while the webhooks are dropped") { p, _ in
                let (id, predictionId) = try await p.chaosJob(
                    FaultPlan(get: .init(status: 500, times: 2), webhooks: .drop), prompt: "A polled bathroom")
                try await p.atReplicate(predictionId, is: "succeeded")
                try await p.pass(8 * 60)
                #expect(try await p.jobStatus(id) == .succeeded)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "create: times out after the request was sent", environment: ChaosConfig.shortRequests) { p, _ in
                let response = try await p.chaosSubmit(FaultPlan(create: .init(delay: 4), processingDelay: 5), prompt: "A timed-out lounge")
                #expect(response.status == .badGateway, "\(response.text)")
                let predictionId = try #require(await p.emulator.predictionIDs().first)
                try await p.eventually("the prediction no job owns is canceled", timeout: .seconds(30)) {
                    p.t.app.interior.inbox.wake()
                    return try await p.prediction(predictionId)["status"] as? String != "processing"
                }
                return ChaosExpectation(statuses: [.failed], allowed5xx: [502])
            },
            PipelineCell(name: "prediction failed") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(outcome: .fail, error: "CUDA error at https://x.example/?token=r8_secretsecret"), prompt: "A failing loft")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.failed])
            },
            PipelineCell(name: "prediction canceled at Replicate", short: true) { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(outcome: .cancel), prompt: "A canceled-elsewhere den")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "prediction aborted before it started") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(outcome: .abort), prompt: "An aborted nursery")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.failed])
            },
            PipelineCell(name: "fewer outputs than asked", short: true) { p, _ in
                // On a model of several images per prediction, one of three; on a one-image
                // model (three predictions), one prediction returns none.
                let several = p.profile.maxOutputsPerPrediction >= 3
                let (id, _) = try await p.chaosJob(FaultPlan(outputs: several ? 1 : 0), prompt: "A sparse kids room", variants: 3)
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.succeeded], variants: [several ? 1 : 2])
            },
            PipelineCell(name: "no outputs") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(outputs: 0), prompt: "An empty granny flat")
                try await p.waitUntilFinished(id)
                return ChaosExpectation(statuses: [.failed])
            },
        ]

        @Test("each Replicate fault on this run's database: every invariant holds", arguments: ChaosRun.selected(cells))
        func cell(_ cell: PipelineCell) async throws {
            try await cell.check()
        }

        @Test("Replicate unreachable (the connection fails before any request is sent): 502, refunded, nothing left")
        func unreachable() async throws {
            let started = ContinuousClock.now
            // With one request allowed 1 s, the create's retries give up within its 3 s deadline
            // (on the defaults, within 60 s, longer than a client waits here).
            try await withTestApp(environment: ChaosConfig.shortRequests, clock: .following(), replicate: TestReplicate.unreachable) { t in
                let response = try await t.client.postJSON("/api/v1/generations", ["mode": "imagine", "prompt": "An unreachable patio", "variants": 1],
                                                           token: t.token("hs256_valid"))
                #expect(response.status == .badGateway, "\(response.text)")
                #expect(response.errorCode == "UPSTREAM_ERROR")
                let world = ChaosWorld(sql: t.sql, storage: t.directory.appendingPathComponent("storage"), logs: t.logs.all,
                                       secrets: [TokenFixtures.shared.hs256Secret, "test-storage-signing-secret-0123456789abcdef", t.token("hs256_valid")],
                                       replicate: [:], timeouts: t.settings.runtime.timeouts, now: t.clock.now)
                let verdict = try await ChaosInvariants.check(world, expect: ChaosExpectation(statuses: [.failed], allowed5xx: [502]),
                                                             cell: "Replicate unreachable")
                ChaosRun.report("create: Replicate unreachable (before the request is sent)", verdict, real: ContinuousClock.now - started)
            }
        }
    }
}

/// Runtime configurations some cells need, written once per process.
enum ChaosConfig {
    /// One Replicate request may take 1 s (so a late answer times out quickly).
    static let shortRequests: [String: String] = ["INTERIOR_CONFIG": write(#"{"timeouts": {"replicateRequest": 1}}"#, name: "short-requests")]

    private static func write(_ json: String, name: String) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("interior-chaos-\(name)-\(ProcessInfo.processInfo.processIdentifier).json")
        try? Data(json.utf8).write(to: url)
        return url.path
    }
}
