import Foundation
import InteriorCore

/// The rows of jobs that have ended (succeeded, failed, canceled), as the status read last
/// found them, so that a page reopening a finished job is answered by a one-row check instead
/// of the three-table read and its rows (on SQLite, compiling that statement alone is about
/// 110 µs of CPU).
///
/// A remembered answer is used only when the database says it still stands, on every request:
/// the check reads the job's status and `updated_at`, which every change of the job moves on,
/// its render's deletion included (`JobRepository.deleteRender`), so a late success of a
/// timed-out job, or its render deleted on any instance, shows at once. A job in flight is
/// never remembered: the page polling it must see each change.
final class SettledJobs: Sendable {
    /// What the check reads: a job whose version is unchanged has the rows remembered with it.
    struct Version: Equatable, Sendable {
        let status: JobStatus
        let updatedAt: Date
    }

    struct Entry: Sendable {
        let job: JobRow
        let render: RenderWithVariants?

        var version: Version { Version(status: job.status, updatedAt: job.updatedAt) }
    }

    private let entries: BoundedMemory<UUID, Entry>

    /// At about 2 KB an entry (a job, its render and three variants), 4,096 hold 8 MB at most.
    init(capacity: Int = 4_096) {
        entries = BoundedMemory(capacity: capacity)
    }

    /// The remembered rows of the owner's job, still to be checked against the database.
    func entry(job: UUID, owner: UUID) -> Entry? {
        // Another owner's probe finds nothing and does not evict the owner's entry.
        entries.value(for: job).flatMap { $0.job.ownerId == owner ? $0 : nil }
    }

    /// Remembers the rows of an ended job as just read; a job in flight is not remembered.
    func remember(_ job: JobRow, render: RenderWithVariants?) {
        guard job.status.isTerminal else { return }
        entries.insert(Entry(job: job, render: render), for: job.id)
    }

    func forget(job: UUID) {
        entries.remove(job)
    }
}
