import FluentKit
import Foundation
import InteriorCore
import Replicate

extension InboxProcessor {
    /// 404s in a row, across polls, after which a prediction counts as lost.
    static let lostAfterNotFound = 3
    static let lostMessage = "The image service lost this generation before it finished. You have not been charged — please try again."

    /// Replicate answered 404 for a prediction we hold as running (or as a success still to be
    /// stored). Replicate does not forget its predictions, but an emulator that lost its store
    /// does, and so would a prediction of another account; waiting out the stuck cutoff keeps
    /// the user charged and blocked for ten minutes. So once Replicate has not known it for
    /// `lostAfterNotFound` polls in a row (counted on the row, whoever polled), the prediction
    /// ends `failed` with `PREDICTION_LOST` and `settle` decides the job: refunded when no
    /// other prediction of it produced images.
    func reportNotFound(row: PredictionRow, job: UUID) async throws {
        let predictions = PredictionRepository(db: database())
        guard let count = try await predictions.countNotFound(row.id) else { return }
        logger.warning("Replicate does not know this prediction", metadata: [
            "jobId": "\(job.apiString)", "predictionId": "\(row.predictionId ?? "")", "notFound": "\(count)",
        ])
        guard count >= Self.lostAfterNotFound else { return }
        try await predictions.markEnded(row.id, status: .failed, code: "PREDICTION_LOST", message: Self.lostMessage, now: now())
        try await applier.settle(job: job)
    }

    /// What a poller does with a poll that failed: a 404 counts towards the prediction being
    /// lost; anything else is transient, and left to the next poll.
    func pollFailed(_ error: any Error, row: PredictionRow, job: UUID) async {
        guard (error as? ReplicateError)?.status == 404 else { return }
        do {
            try await reportNotFound(row: row, job: job)
        } catch {
            logger.warning("could not record a 404 from Replicate", metadata: ["jobId": "\(job.apiString)", "error": "\(LoggedError.text(error))"])
        }
    }
}
