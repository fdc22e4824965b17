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
    let timeouts: Timeouts
    let metrics: InteriorMetrics
    let now: @Sendable () -> Date
    let makeID: @Sendable () -> UUID
    let logger: Logger

    static let timeoutMessage = "This generation took too long and was stopped. You have not been charged — please try again."

    @discardableResult
    func sweep(batch: Int = 100) async throws -> Report {
        var report = Report()
        let jobs = JobRepository(db: database())
        let start = now()
        let stale = try await jobs.inFlight(updatedBefore: start.addingTimeInterval(-timeouts.reconcileAfter), limit: batch)
        for job in stale {
            if let predictionId = job.predictionId {
                report.polled += 1
                await reconcile(job, predictionId: predictionId)
            }
            let stuckBefore = now().addingTimeInterval(-timeouts.stuckCutoff)
            guard job.createdAt < stuckBefore else { continue }
            // Polled once more above; whatever it could not finish is stopped now.
            let ended = try await jobs.finishUnsuccessfully(
                job: job.id, status: .failed, errorCode: "TIMEOUT", message: Self.timeoutMessage,
                now: now(), refundId: makeID(), createdBefore: stuckBefore)
            guard ended else { continue }
            report.timedOut += 1
            metrics.sweeperTimeout()
            metrics.jobFailed(mode: job.mode, code: "TIMEOUT")
            TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: job.status, to: .failed, since: job.updatedAt, now: now())
            if let predictionId = job.predictionId {
                do {
                    _ = try await replicate.client.cancelPrediction(id: predictionId)
                } catch {
                    logger.notice("cancel of a timed-out prediction failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(error)"])
                }
            }
        }
        return report
    }

    /// Polls Replicate for the job; news goes through the inbox and is applied right away.
    private func reconcile(_ job: JobRow, predictionId: String) async {
        do {
            let prediction = try await replicate.client.getPrediction(id: predictionId)
            let news = prediction.status.isTerminal || (prediction.status == .processing && job.status == .starting)
            guard news else { return }
            try await inbox.recordAndApply(prediction, job: job.id, source: .reconciler)
        } catch {
            logger.notice("reconciler poll failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(error)"])
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
