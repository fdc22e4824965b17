import Foundation
import InteriorCore
@testable import InteriorServer
import ReplicateEmulator
import Testing

/// News and images going astray: webhooks dropped, repeated, reordered or late; outputs slow,
/// cut short, not images, or removed; storage down while a success is being stored.
extension ChaosSuite {
    @Suite("Chaos: webhooks, outputs and storage")
    struct DeliveryFaults {
        static let cells: [PipelineCell] = [
            PipelineCell(name: "webhooks dropped", short: true) { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(webhooks: .drop), prompt: "A Japandi bedroom, unannounced")
                try await p.atReplicate(predictionId, is: "succeeded")
                try await p.pass(3 * 60)
                #expect(try await p.jobStatus(id) == .succeeded)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "webhooks duplicated") { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(webhooks: .duplicate), prompt: "A twice-told study", variants: 2)
                try await p.waitUntilFinished(id)
                await p.emulator.waitForWebhooks(predictionID: predictionId)
                return ChaosExpectation(statuses: [.succeeded], variants: [2])
            },
            PipelineCell(name: "webhooks reordered (completed before start)") { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(webhooks: .reorder), prompt: "A back-to-front laundry")
                try await p.waitUntilFinished(id)
                await p.emulator.waitForWebhooks(predictionID: predictionId)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "webhooks delayed past the cutoff (the cancel refused)") { p, _ in
                // Replicate is slow to tell: the job times out and is refunded first, and the
                // cancel the timeout sends does not get through; the late success then lands.
                let (id, predictionId) = try await p.chaosJob(
                    FaultPlan(cancel: .init(status: 503, times: 10), processingDelay: 2, webhookDelay: 3), prompt: "A slow verandah")
                try await p.eventually("the model has its inputs") {
                    (try await p.prediction(predictionId)["logs"] as? String)?.contains("Generating") == true
                }
                // Stuck since the cutoff (10 min); the next sweep comes within its interval.
                p.t.clock.advance(by: 10 * 60 + 30)
                #expect(try await p.sweep().timedOut == 1)
                await p.emulator.waitForWebhooks(predictionID: predictionId)
                try await p.eventually("the late success is stored") { try await p.jobStatus(id) == .succeeded }
                #expect(try await p.ledger(job: id) == ["debit", "redebit", "refund"])
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "outputs slow to download") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(files: .slow, filesDelay: 3), prompt: "A trickling butler's pantry")
                try await p.waitUntilFinished(id, timeout: .seconds(40))
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "outputs truncated", short: true) { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(files: .truncated), prompt: "A half-sent hallway")
                try await p.waitUntilFinished(id, timeout: .seconds(40))
                return ChaosExpectation(statuses: [.failed])
            },
            PipelineCell(name: "outputs that are not images") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(files: .notImage), prompt: "An HTML sunroom")
                try await p.waitUntilFinished(id, timeout: .seconds(40))
                return ChaosExpectation(statuses: [.failed])
            },
            PipelineCell(name: "data_removed after the hour (storage down until then)") { p, store in
                let (id, predictionId) = try await p.chaosJob(nil, prompt: "A laundry whose images expired")
                store.failing = true
                try await p.completedDelivered(predictionId)
                // Storage stays down past the cutoff and past Replicate's hour: the images are gone.
                try await p.pass(61 * 60, step: 130)
                #expect(try await p.prediction(predictionId)["data_removed"] as? Bool == true)
                store.failing = false
                try await p.pass(3 * 60)
                #expect(try await p.jobStatus(id) == .failed)
                return ChaosExpectation(statuses: [.failed])
            },
            PipelineCell(name: "storage down for 1 minute while the images are stored") { p, store in
                let (id, predictionId) = try await p.chaosJob(nil, prompt: "An outage-proof bathroom")
                store.failing = true
                try await p.completedDelivered(predictionId)
                try await p.eventually("a failed attempt is recorded") { store.failedWrites > 0 }
                try await p.pass(60, step: 20)
                store.failing = false
                try await p.pass(5 * 60, step: 30)
                #expect(try await p.jobStatus(id) == .succeeded)
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "storage down for 15 minutes while the images are stored", short: true) { p, store in
                let (id, predictionId) = try await p.chaosJob(nil, prompt: "A Hamptons laundry after an outage")
                store.failing = true
                try await p.completedDelivered(predictionId)
                try await p.pass(15 * 60, step: 130)
                #expect(try await p.jobStatus(id) == .failed, "timed out meanwhile")
                store.failing = false
                try await p.pass(3 * 60)
                #expect(try await p.jobStatus(id) == .succeeded)
                #expect(try await p.ledger(job: id) == ["debit", "redebit", "refund"])
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "storage down at submit (a photo to upload)") { p, store in
                store.failing = true
                let response = try await p.submit(["mode": "redesign", "roomType": "living_room", "style": "coastal_au"],
                                                  files: ["input1": try await TestImages.photo()])
                // SPEC §8.1: storing the inputs failed ⇒ the job failed and refunded, and 500
                // INTERNAL_ERROR (our own storage, not the client, is at fault).
                #expect(response.status == .internalServerError, "\(response.status) \(response.text)")
                #expect(response.errorCode == "INTERNAL_ERROR")
                store.failing = false
                return ChaosExpectation(statuses: [.failed], allowed5xx: [500])
            },
        ]

        @Test("each delivery or storage fault on this run's database: every invariant holds", arguments: ChaosRun.selected(cells))
        func cell(_ cell: PipelineCell) async throws {
            try await cell.check()
        }
    }
}
