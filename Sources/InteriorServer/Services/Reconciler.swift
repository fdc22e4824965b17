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

    static let timeoutMessage = "This generation took too long and was stopped. You have not been charged — please try again."

    @discardableResult
    func sweep(batch: Int = 100) async throws -> Report {
        var report = Report()
        let db = database()
        let jobs = JobRepository(db: db)
        let predictions = PredictionRepository(db: db)
        let start = now()
        let stale = try await jobs.inFlight(updatedBefore: start.addingTimeInterval(-timeouts.reconcileAfter), limit: batch)
        for job in stale {
            let rows = try await predictions.rows(job: job.id)
            for row in rows where row.isRunning || row.awaitsStorage {
                guard row.predictionId != nil else { continue }
                report.polled += 1
                await reconcile(row, job: job.id)
            }
            let stuckBefore = now().addingTimeInterval(-timeouts.stuckCutoff)
            guard job.createdAt < stuckBefore else { continue }
            if try await stop(job, stuckBefore: stuckBefore) { report.timedOut += 1 }
        }
        // Successes whose images could not be stored before the cutoff (a long storage
        // outage) are still Replicate's for an hour: ask again, which re-arms a dead event.
        let pending = try await predictions.awaitingStorage(since: start.addingTimeInterval(-3600), limit: batch)
        for row in pending where !stale.contains(where: { $0.id == row.jobId }) {
            report.polled += 1
            await reconcile(row, job: row.jobId)
        }
        return report
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
                _ = try await replicate.client.cancelPrediction(id: predictionId)
            } catch {
                logger.notice("cancel of a timed-out prediction failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(error)"])
            }
        }
    }

    /// Polls Replicate for one prediction; news goes through the inbox.
    private func reconcile(_ row: PredictionRow, job: UUID) async {
        guard let predictionId = row.predictionId else { return }
        do {
            let prediction = try await replicate.client.getPrediction(id: predictionId)
            try await inbox.report(prediction, row: row, job: job, source: .reconciler, downloadsInline: true)
        } catch {
            logger.notice("reconciler poll failed", metadata: ["jobId": "\(job.apiString)", "predictionId": "\(predictionId)", "error": "\(error)"])
            await inbox.pollFailed(error, row: row, job: job)
        }
    }

    /// Sweeps every `interval` until cancelled.
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                let report = try await sweep()
                if report.polled > 0 || report.timedOut > 0 {
                    logger.info("reconciler swept", metadata: ["polled": "\(report.polled)", "timedOut": "\(report.timedOut)"])
                }
            } catch {
                if !Task.isCancelled { logger.warning("reconciler sweep failed", metadata: ["error": "\(error)"]) }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
