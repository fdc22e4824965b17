import FluentKit
import Foundation
import InteriorCore
import Logging
import Replicate
import SQLKit

/// `apply(prediction, to: job)` — the one function that moves a job because of what
/// Replicate says (SPEC §8.3), whoever learnt it: the webhook, the status poll or the
/// reconciler. Every write is a conditional update, so applying the same news twice, or two
/// pieces of news in the wrong order, leaves the job where it should be.
struct PredictionApplier: Sendable {
    let db: any Database
    let assets: AssetService
    let metrics: InteriorMetrics
    let now: @Sendable () -> Date
    let makeID: @Sendable () -> UUID
    let logger: Logger

    /// Thrown for news that cannot be applied yet; the inbox tries the event again later.
    struct NotYet: Error, CustomStringConvertible {
        let description: String
    }

    private var jobs: JobRepository { JobRepository(db: db) }

    func apply(_ prediction: Prediction, to job: JobRow) async throws {
        switch prediction.status {
        case .starting:
            // Nothing to change: the job starts in `starting`.
            return
        case .processing:
            if try await jobs.markProcessing(job: job.id, predictionId: prediction.id, now: now()) {
                TransitionLog.log(logger, job: job.id, prediction: prediction.id, from: .starting, to: .processing, since: job.updatedAt, now: now())
            }
        case .succeeded:
            try await applySuccess(prediction, to: job)
        case .failed, .aborted:
            try await end(job, prediction: prediction, status: .failed, code: "GENERATION_FAILED",
                          message: FailureMessage.normalise(prediction.error))
        case .canceled:
            try await end(job, prediction: prediction, status: .canceled, code: "CANCELED",
                          message: "This generation was canceled. You have not been charged.")
        }
    }

    private func applySuccess(_ prediction: Prediction, to job: JobRow) async throws {
        // Stored already (a duplicate delivery, or a poll after the webhook): nothing to do.
        if try await RenderRepository(sql: db as! any SQLDatabase).exists(job: job.id) { return }
        // A job the user canceled stays canceled; only in-flight jobs and jobs failed
        // (for instance by the stuck timeout) can still become a success.
        guard job.status.isInFlight || job.status == .failed else { return }

        let wanted = Array(prediction.output.prefix(job.variants))
        guard !wanted.isEmpty else {
            try await end(job, prediction: prediction, status: .failed, code: "NO_OUTPUT",
                          message: "The model returned no images. You have not been charged — please try again.")
            return
        }
        if wanted.count < job.variants {
            logger.warning("fewer outputs than requested", metadata: [
                "jobId": "\(job.id.apiString)", "requested": "\(job.variants)", "received": "\(wanted.count)",
            ])
        }

        let renderId = StoragePaths.renderId(job: job.id)
        let variants: [VariantRow]
        do {
            variants = try await assets.store(outputs: wanted, job: job, renderId: renderId, now: now(), makeID: makeID)
        } catch let .unusable(reason) {
            logger.warning("outputs unusable", metadata: ["jobId": "\(job.id.apiString)", "reason": "\(reason)"])
            try await end(job, prediction: prediction, status: .failed, code: "NO_OUTPUT",
                          message: "The generated images could not be retrieved. You have not been charged — please try again.")
            return
        } catch let .temporary(reason) {
            throw NotYet(description: reason)
        }

        let render = RenderRow(id: renderId, jobId: job.id, ownerId: job.ownerId, mode: job.mode, roomType: job.roomType,
                               style: job.style, coverVariant: 0, createdAt: now(), deletedAt: nil)
        if try await jobs.markSucceeded(job: job.id, render: render, variants: variants, now: now(), redebitId: makeID()) {
            metrics.jobSucceeded(mode: job.mode)
            TransitionLog.log(logger, job: job.id, prediction: prediction.id, from: job.status, to: .succeeded, since: job.updatedAt, now: now())
        }
    }

    private func end(_ job: JobRow, prediction: Prediction, status: JobStatus, code: String, message: String) async throws {
        let ended = try await jobs.finishUnsuccessfully(job: job.id, status: status, errorCode: code, message: message,
                                                        now: now(), refundId: makeID())
        if ended {
            metrics.jobFailed(mode: job.mode, code: code)
            TransitionLog.log(logger, job: job.id, prediction: prediction.id, from: job.status, to: status, since: job.updatedAt, now: now())
        }
    }
}
