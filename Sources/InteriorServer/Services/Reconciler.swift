import FluentKit
import Foundation
import InteriorCore
import Logging
import Replicate

/// The sweeper of SPEC §8.4. Replicate deletes outputs an hour after a prediction ends, so
/// nothing may depend on the webhook alone: in-flight jobs that have not changed for a while
/// are polled and what Replicate says goes through the inbox; jobs in flight past the stuck
/// cutoff are failed with `TIMEOUT` and refunded (a conditional update, so several instances
/// sweeping at once end each job once), and their predictions canceled on a best-effort basis.
/// Instances share the sweep (each job is claimed by one), work on several jobs at once, and
/// talk to Replicate with the short status-poll timeout, so N stuck jobs behind a slow Replicate
/// cost a few poll timeouts, not N create deadlines.
struct Reconciler: Sendable {
    struct Report: Equatable, Sendable {
        var polled = 0
        var timedOut = 0
    }

    let database: @Sendable () -> any Database
    let replicate: ReplicateGateway
    let inbox: InboxProcessor
    let applier: PredictionApplier
    let timeouts: Timeouts
    let metrics: InteriorMetrics
    let now: @Sendable () -> Date
    let makeID: @Sendable () -> UUID
    let logger: Logger
    var traces: Traces = .disabled

    static let timeoutMessage = "This generation took too long and was stopped. You have not been charged — please try again."

    /// How many jobs one sweep works on at once: a slow Replicate costs one poll timeout per
    /// batch of this many, not per job.
    static let concurrency = 8

    @discardableResult
    func sweep(batch: Int = 100) async throws -> Report {
        let db = database()
        let start = now()
        let claimed = try await JobRepository(db: db).claimForSweep(
            updatedBefore: start.addingTimeInterval(-timeouts.reconcileAfter), now: start,
            gap: timeouts.sweeperInterval / 2, limit: batch)
        var report = await Self.bounded(claimed) { job in
            await traces.span("reconciler.sweep", parent: traces.context(traceParent: job.traceParent),
                              attributes: ["interior.job_id": .string(job.id.apiString)]) { _ in await sweep(job) }
        }
        // Successes whose images could not be stored before the cutoff (a long storage
        // outage) are still Replicate's for an hour: ask again, which takes the news up now.
        let pending = try await PredictionRepository(db: db).awaitingStorage(since: start.addingTimeInterval(-3600), limit: batch)
            .filter { row in !claimed.contains { $0.id == row.jobId } }
        let more = await Self.bounded(pending) { row -> Report in
            await reconcile(row, job: row.jobId)
            return Report(polled: 1)
        }
        report.polled += more.polled
        return report
    }

    /// One claimed job: its running predictions polled, and stopped when it is past the cutoff.
    private func sweep(_ job: JobRow) async -> Report {
        var report = Report()
        do {
            try await applier.abandonStaleCreates(job: job.id, staleAfter: timeouts.inboxLease)
            let rows = try await PredictionRepository(db: database()).rows(job: job.id)
            for row in rows where (row.isRunning || row.awaitsStorage) && row.predictionId != nil {
                report.polled += 1
                await reconcile(row, job: job.id)
            }
            let stuckBefore = now().addingTimeInterval(-timeouts.stuckCutoff)
            if job.createdAt < stuckBefore, try await stop(job, stuckBefore: stuckBefore) { report.timedOut += 1 }
        } catch {
            logger.warning("reconciler could not sweep a job", metadata: ["jobId": "\(job.id.apiString)", "error": "\(LoggedError.text(error))"])
        }
        return report
    }

    /// Runs `work` on every item, at most `concurrency` at once, and adds up the reports.
    private static func bounded<Item: Sendable>(_ items: [Item], _ work: @escaping @Sendable (Item) async -> Report) async -> Report {
        await withTaskGroup(of: Report.self) { group in
            var total = Report()
            var next = items.makeIterator()
            for _ in 0..<concurrency {
                guard let item = next.next() else { break }
                group.addTask { await work(item) }
            }
            for await report in group {
                total.polled += report.polled
                total.timedOut += report.timedOut
                if let item = next.next() { group.addTask { await work(item) } }
            }
            return total
        }
    }

    /// Gives up on a job past the stuck cutoff (polled once more above). When some of its
    /// predictions stored images and none is still being stored, the running ones are stopped
    /// and the job succeeds with what came. Otherwise the job fails with `TIMEOUT` and is
    /// refunded first — so whoever settles it meanwhile finds it decided — and then its running
    /// predictions are stopped, here and (best effort) at Replicate; a success still being
    /// stored can turn it into a success later.
    /// - Returns: whether this call timed the job out.
    private func stop(_ job: JobRow, stuckBefore: Date) async throws -> Bool {
        let predictions = PredictionRepository(db: database())
        let rows = try await predictions.rows(job: job.id)
        let stored = rows.contains { !$0.storedOutputs.isEmpty }
        if stored, !rows.contains(where: \.awaitsStorage) {
            try await stopRunning(rows, job: job)
            try await applier.settle(job: job.id)
            return false
        }
        let ended = try await JobRepository(db: database()).finishUnsuccessfully(
            job: job.id, status: .failed, errorCode: "TIMEOUT", message: Self.timeoutMessage,
            now: now(), refundId: makeID(), createdBefore: stuckBefore)
        if ended {
            metrics.sweeperTimeout()
            metrics.jobFailed(mode: job.mode, code: "TIMEOUT")
            TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: job.status, to: .failed, since: job.updatedAt, now: now())
        }
        try await stopRunning(rows, job: job)
        return ended
    }

    private func stopRunning(_ rows: [PredictionRow], job: JobRow) async throws {
        let predictions = PredictionRepository(db: database())
        for row in rows where row.isRunning {
            guard try await predictions.markEnded(row.id, status: .failed, code: "TIMEOUT", message: Self.timeoutMessage, now: now()),
                  let predictionId = row.predictionId else { continue }
            do {
                _ = try await replicate.pollClient.cancelPrediction(id: predictionId)
            } catch {
                logger.notice("cancel of a timed-out prediction failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(LoggedError.text(error))"])
            }
        }
    }

    /// Polls Replicate for one prediction; news goes through the inbox.
    private func reconcile(_ row: PredictionRow, job: UUID) async {
        guard let predictionId = row.predictionId else { return }
        do {
            let prediction = try await replicate.pollClient.getPrediction(id: predictionId)
            try await inbox.report(prediction, row: row, job: job, source: .reconciler, downloadsInline: true)
        } catch {
            logger.notice("reconciler poll failed", metadata: ["jobId": "\(job.apiString)", "predictionId": "\(predictionId)", "error": "\(LoggedError.text(error))"])
            await inbox.pollFailed(error, row: row, job: job)
        }
    }

    /// Sweeps every `interval` until cancelled.
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            await sweepLogged()
            try? await Task.sleep(for: interval)
        }
    }

    /// One sweep whose failure is logged, not thrown (the next interval tries again): what
    /// `run(every:)` does each time.
    func sweepLogged() async {
        do {
            let report = try await sweep()
            if report.polled > 0 || report.timedOut > 0 {
                logger.info("reconciler swept", metadata: ["polled": "\(report.polled)", "timedOut": "\(report.timedOut)"])
            }
        } catch {
            if !Task.isCancelled { logger.warning("reconciler sweep failed", metadata: ["error": "\(LoggedError.text(error))"]) }
        }
    }
}
