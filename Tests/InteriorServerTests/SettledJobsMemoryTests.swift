import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

/// `SettledJobs` on its own, without a server: what it remembers and how much of it.
@Suite("Services: settled jobs' memory")
struct SettledJobsMemoryTests {
    @Test("never more ended jobs than its capacity; the one just remembered is always there")
    func bounded() {
        let owner = UUID()
        let memory = SettledJobs(capacity: 8)
        var jobs: [JobRow] = []
        for _ in 0..<100 {
            let job = DatabaseTests.job(owner: owner, status: .succeeded)
            jobs.append(job)
            memory.remember(job, render: nil)
            #expect(memory.entry(job: job.id, owner: owner)?.job == job)
            #expect(jobs.filter { memory.entry(job: $0.id, owner: owner) != nil }.count <= 8)
        }
    }

    @Test("jobs in flight are not remembered; ended ones are, for their owner only, until forgotten")
    func whatIsRemembered() throws {
        let owner = UUID()
        let memory = SettledJobs(capacity: 8)
        for status in JobStatus.inFlight {
            let job = DatabaseTests.job(owner: owner, status: status)
            memory.remember(job, render: nil)
            #expect(memory.entry(job: job.id, owner: owner) == nil, "\(status) is in flight")
        }
        for status in [JobStatus.succeeded, .failed, .canceled] {
            let job = DatabaseTests.job(owner: owner, status: status)
            memory.remember(job, render: nil)
            #expect(memory.entry(job: job.id, owner: UUID()) == nil, "another owner finds nothing")
            let entry = try #require(memory.entry(job: job.id, owner: owner))
            #expect(entry.version == .init(status: status, updatedAt: job.updatedAt))
            memory.forget(job: job.id)
            #expect(memory.entry(job: job.id, owner: owner) == nil, "forgotten")
        }
    }
}
