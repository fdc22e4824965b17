import Foundation
import InteriorCore
@testable import InteriorServer
import ReplicateEmulator
import Testing

/// A cancel at every stage of a job: while the prediction is created, while it starts, while it
/// runs, while its images are stored, twice at once, and once it has ended.
extension ChaosSuite {
    @Suite("Chaos: cancel at every stage")
    struct CancelStages {
        static let cells: [PipelineCell] = [
            PipelineCell(name: "cancel while the prediction is created") { p, _ in
                await p.emulator.enqueueFault(FaultPlan(create: .init(delay: 1.5), outcome: .hang))
                async let submitted = p.submit(["mode": "imagine", "prompt": "A study canceled in flight", "variants": "1"])
                var id: String?
                try await p.eventually("the job is inserted") {
                    id = try await p.t.sql.select().column("id").from("generation_jobs").first(decoding: IDOnly.self)?.id.apiString
                    return id != nil
                }
                #expect(try await p.cancel(try #require(id)).data["status"] as? String == "canceled")
                #expect(try await submitted.data["status"] as? String == "canceled")
                let predictionId = try #require(await p.emulator.predictionIDs().first)
                try await p.atReplicate(predictionId, is: "canceled")
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "cancel while starting") { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(startDelay: 3), prompt: "A slow-to-start den")
                #expect(try await p.cancel(id).data["status"] as? String == "canceled")
                try await p.atReplicate(predictionId, is: "canceled")
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "cancel while processing", short: true) { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(outcome: .hang), prompt: "A never-ending sunroom")
                try await p.eventually("the job is processing") { try await p.jobStatus(id) == .processing }
                #expect(try await p.cancel(id).data["status"] as? String == "canceled")
                try await p.atReplicate(predictionId, is: "canceled")
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "cancel while the images are stored", short: true) { p, store in
                store.holding = true
                let (id, _) = try await p.chaosJob(nil, prompt: "A coastal bedroom canceled late", variants: 2)
                try await p.eventually("the images are being written") { store.heldWrites >= 1 }
                #expect(try await p.cancel(id).data["status"] as? String == "canceled")
                store.holding = false
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "two cancels at once while processing") { p, _ in
                let (id, predictionId) = try await p.chaosJob(FaultPlan(outcome: .hang), prompt: "A doubly canceled loft")
                try await p.eventually("the job is processing") { try await p.jobStatus(id) == .processing }
                async let first = p.cancel(id)
                async let second = p.cancel(id)
                let answers = try await [first, second]
                #expect(answers.contains { $0.status == .ok }, "\(answers.map(\.text))")
                #expect(answers.allSatisfy { $0.status == .ok || $0.status == .conflict }, "\(answers.map(\.text))")
                try await p.atReplicate(predictionId, is: "canceled")
                return ChaosExpectation(statuses: [.canceled])
            },
            PipelineCell(name: "cancel once succeeded") { p, _ in
                let (id, _) = try await p.chaosJob(nil, prompt: "A finished kitchen")
                try await p.waitUntilFinished(id)
                let answer = try await p.cancel(id)
                #expect(answer.status == .conflict, "\(answer.text)")
                return ChaosExpectation(statuses: [.succeeded], variants: [1])
            },
            PipelineCell(name: "cancel once timed out") { p, _ in
                let (id, _) = try await p.chaosJob(FaultPlan(outcome: .hang), prompt: "A stuck attic")
                try await p.eventually("the job is processing") { try await p.jobStatus(id) == .processing }
                // Stuck since the cutoff (10 min); the next sweep comes within its interval.
                p.t.clock.advance(by: 10 * 60 + 30)
                #expect(try await p.sweep().timedOut == 1)
                #expect(try await p.cancel(id).status == .conflict)
                return ChaosExpectation(statuses: [.failed])
            },
        ]

        private struct IDOnly: Decodable { let id: UUID }

        @Test("a cancel at each stage on this run's database: every invariant holds", arguments: ChaosRun.selected(cells))
        func cell(_ cell: PipelineCell) async throws {
            try await cell.check()
        }
    }
}
