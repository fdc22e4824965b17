import FluentKit
import Foundation
import InteriorCore
import Logging
import Replicate
import SQLKit

/// `apply(prediction, to: job)` — the one function that moves a job because of what
/// Replicate says (SPEC §8.3), whoever learnt it: the webhook, the status poll or the
/// reconciler. It records the news on the job's prediction row, stores a success's images,
/// and then `settle` decides the job from all its predictions: succeeded when every one ended
/// and at least one produced images, failed (refunded) when none did. Every write is a
/// conditional update, so the same news twice, or news in the wrong order, leaves the job
/// where it should be.
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
        /// When the answer may have changed, if that is known to come before the backoff.
        var retryAt: Date? = nil
    }

    private var jobs: JobRepository { JobRepository(db: db) }
    private var predictions: PredictionRepository { PredictionRepository(db: db) }
    private var sql: any SQLDatabase { db as! any SQLDatabase }

    func apply(_ prediction: Prediction, to job: JobRow, row: PredictionRow) async throws {
        switch prediction.status {
        case .starting:
            return
        case .processing:
            try await predictions.markProcessing(row.id, now: now())
            try await settle(job: job.id)
        case .succeeded:
            try await applySuccess(prediction, to: job, row: row)
        case .failed, .aborted:
            try await predictions.markEnded(row.id, status: .failed, code: "GENERATION_FAILED",
                                            message: FailureMessage.normalise(prediction.error), now: now())
            try await settle(job: job.id)
        case .canceled:
            // Our own give-up at the cutoff (canceled at Replicate on the way) stays a timeout.
            if !row.timedOut {
                try await predictions.markEnded(row.id, status: .canceled, code: "CANCELED",
                                                message: "This generation was canceled. You have not been charged.", now: now())
            }
            try await settle(job: job.id)
        }
    }

    private func applySuccess(_ prediction: Prediction, to job: JobRow, row: PredictionRow) async throws {
        guard row.stored == nil else { return try await settle(job: job.id) }
        // A canceled job stays canceled and a stored success is final: their images are not fetched.
        let canStillSucceed = job.status.isInFlight || (job.status == .failed && job.errorCode == "TIMEOUT")
        guard canStillSucceed else { return }
        try await predictions.markSucceeded(row.id, now: now())

        let wanted = Array(prediction.output.prefix(row.outputs))
        guard !wanted.isEmpty else {
            try await predictions.markEnded(row.id, status: .failed, code: "NO_OUTPUT",
                                            message: "The model returned no images. You have not been charged — please try again.", now: now())
            return try await settle(job: job.id)
        }
        if wanted.count < row.outputs {
            logger.warning("fewer outputs than requested", metadata: [
                "jobId": "\(job.id.apiString)", "predictionId": "\(prediction.id)",
                "requested": "\(row.outputs)", "received": "\(wanted.count)",
            ])
        }
        let outputs: [StoredOutput]
        do {
            outputs = try await assets.store(outputs: wanted, job: job, renderId: StoragePaths.renderId(job: job.id),
                                             firstSlot: row.firstSlot)
        } catch let .unusable(reason) {
            logger.warning("outputs unusable", metadata: ["jobId": "\(job.id.apiString)", "reason": "\(reason)"])
            // Outputs of this prediction that did store are nobody's now: none stays reachable.
            try await assets.delete(render: StoragePaths.renderId(job: job.id), slots: row.firstSlot..<(row.firstSlot + row.outputs))
            try await predictions.markEnded(row.id, status: .failed, code: "NO_OUTPUT",
                                            message: "The generated images could not be retrieved. You have not been charged — please try again.",
                                            now: now())
            return try await settle(job: job.id)
        } catch let .temporary(reason) {
            throw NotYet(description: reason)
        }
        try await predictions.recordStored(row.id, outputs: outputs, now: now())
        try await settle(job: job.id)
    }

    // MARK: Deciding the job

    /// Fails the job's planned predictions whose create no live instance is awaiting — its
    /// instance died between the job's insert and Replicate's answer, so nothing will attach
    /// them — and settles the job (failed and refunded when nothing else of it runs). Without
    /// this the job, and its owner's one slot, stayed in flight until the stuck cutoff.
    /// - Returns: whether any prediction was abandoned.
    @discardableResult
    func abandonStaleCreates(job id: UUID, staleAfter: TimeInterval) async throws -> Bool {
        let abandoned = try await predictions.abandonCreates(
            job: id, staleBefore: now().addingTimeInterval(-staleAfter), code: "UPSTREAM_ERROR",
            message: "The image service could not start this generation. You have not been charged — please try again.", now: now())
        guard abandoned > 0 else { return false }
        logger.warning("abandoned predictions whose create stopped with its instance", metadata: [
            "jobId": "\(id.apiString)", "predictions": "\(abandoned)",
        ])
        try await settle(job: id)
        return true
    }

    /// Decides the job from its predictions, once the news of one is recorded. Called after
    /// that record commits, so of two predictions ending at once the later sees both. Stored
    /// images that no render will take (the job was canceled, or succeeded without them)
    /// are removed, so none stays reachable at its predictable URL.
    func settle(job id: UUID) async throws {
        for _ in 0..<2 {
            guard let job = try await jobs.find(id: id) else { return }
            let rows = try await predictions.rows(job: id)
            let recoverable = job.status == .failed && job.errorCode == "TIMEOUT"
            guard job.status.isInFlight || recoverable else {
                return try await discardUnclaimed(rows, job: job)
            }
            guard rows.allSatisfy(\.hasEnded) else {
                if job.status == .starting, rows.contains(where: { $0.status != .starting }) {
                    if try await jobs.markProcessing(job: id, predictionId: nil, now: now()) {
                        TransitionLog.log(logger, job: id, prediction: job.predictionId, from: .starting, to: .processing,
                                          since: job.updatedAt, now: now())
                    }
                }
                return
            }
            let outputs = rows.flatMap(\.storedOutputs).sorted { $0.slot < $1.slot }
            guard !outputs.isEmpty else {
                if job.status.isInFlight { try await fail(job, rows: rows) }
                return
            }
            let empty = rows.filter { $0.storedOutputs.isEmpty }
            if !empty.isEmpty, job.status.isInFlight {
                logger.warning("some predictions of the job produced no images; storing what came", metadata: [
                    "jobId": "\(id.apiString)", "failed": "\(empty.count)", "of": "\(rows.count)",
                    "reason": "\(empty.first?.errorCode ?? "")",
                ])
            }
            if try await succeed(job, outputs: outputs) { return }
            // Another worker decided first: loop once to clean up after its decision.
        }
    }

    private func succeed(_ job: JobRow, outputs: [StoredOutput]) async throws -> Bool {
        let renderId = StoragePaths.renderId(job: job.id)
        let time = now()
        let variants = outputs.enumerated().map { index, output in
            VariantRow(id: makeID(), renderId: renderId, ownerId: job.ownerId, idx: index, imagePath: output.imagePath,
                       thumbPath: output.thumbPath, width: output.width, height: output.height, bytes: output.bytes, createdAt: time)
        }
        let render = RenderRow(id: renderId, jobId: job.id, ownerId: job.ownerId, mode: job.mode, roomType: job.roomType,
                               style: job.style, coverVariant: 0, createdAt: time, deletedAt: nil)
        guard try await jobs.markSucceeded(job: job.id, render: render, variants: variants, now: time, redebitId: makeID()) else {
            return false
        }
        metrics.jobSucceeded(mode: job.mode)
        TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: job.status, to: .succeeded, since: job.updatedAt, now: time)
        return true
    }

    /// None of the predictions produced images: the job ends with the first failure's reason
    /// (canceled when Replicate canceled them all), and is refunded.
    private func fail(_ job: JobRow, rows: [PredictionRow]) async throws {
        let allCanceled = !rows.isEmpty && rows.allSatisfy { $0.status == .canceled }
        let first = rows.first { $0.status == .failed } ?? rows.first
        let status: JobStatus = allCanceled ? .canceled : .failed
        let code = first?.errorCode ?? "GENERATION_FAILED"
        let message = first?.error ?? FailureMessage.fallback
        let ended = try await jobs.finishUnsuccessfully(job: job.id, status: status, errorCode: code, message: message,
                                                        now: now(), refundId: makeID())
        if ended {
            metrics.jobFailed(mode: job.mode, code: code)
            TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: job.status, to: status, since: job.updatedAt, now: now())
        }
    }

    /// Removes stored images the job's render does not use (all of them when it has none).
    private func discardUnclaimed(_ rows: [PredictionRow], job: JobRow) async throws {
        let claimed = Set(try await RenderRepository(sql: sql).find(job: job.id)?.variants.map(\.imagePath) ?? [])
        for row in rows {
            let unclaimed = row.storedOutputs.filter { !claimed.contains($0.imagePath) }
            guard !unclaimed.isEmpty else { continue }
            try await assets.delete(unclaimed)
            try await predictions.markDiscarded(row.id, now: now())
            logger.notice("removed images no render takes", metadata: [
                "jobId": "\(job.id.apiString)", "status": "\(job.status.rawValue)", "images": "\(unclaimed.count)",
            ])
        }
    }
}
