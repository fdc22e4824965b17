import FluentKit
import Foundation
import InteriorCore
import Logging
import Replicate

/// Creates a new job's planned predictions at Replicate, side by side (SPEC §8.1 steps 6–7),
/// and attaches each to its row as Replicate answers. A prediction whose job ended meanwhile
/// (a cancel won the race) is canceled at Replicate at once, so nothing runs unowned.
struct PredictionCreator: Sendable {
    let context: InteriorContext
    let db: any Database
    let logger: Logger
    let now: @Sendable () -> Date
    /// The model the job was submitted to.
    let profile: ModelProfile

    private var predictions: PredictionRepository { PredictionRepository(db: db) }

    /// Creates one prediction per row with the input `makeInput` builds for it.
    /// - Returns: how many were created (and so run or ran at Replicate).
    func createAll(_ rows: [PredictionRow], job: JobRow,
                   makeInput: @escaping @Sendable (PredictionRow) throws(ModelInputError) -> ModelInput) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            for row in rows {
                group.addTask { await create(row, job: job, makeInput: makeInput) }
            }
            var created = 0
            for await ok in group where ok { created += 1 }
            return created
        }
    }

    private func create(_ row: PredictionRow, job: JobRow,
                        makeInput: @Sendable (PredictionRow) throws(ModelInputError) -> ModelInput) async -> Bool {
        let prediction: Prediction
        do {
            let input = try makeInput(row)
            prediction = try await whileTouching(row) {
                try await context.replicate.create(input, of: profile, webhook: webhookURL(job: job.id))
            }
        } catch {
            logger.warning("creating a prediction failed", metadata: [
                "jobId": "\(job.id.apiString)", "index": "\(row.idx)", "error": "\(LoggedError.text(error))",
            ])
            await recordFailure(row, job: job)
            return false
        }
        do {
            let status: JobStatus = prediction.status == .processing ? .processing : .starting
            guard try await predictions.attach(row, predictionId: prediction.id, status: status, now: now()) else {
                // The job ended (canceled) while Replicate was creating this: stop it there too.
                logger.notice("the job ended while its prediction was created; canceling it", metadata: [
                    "jobId": "\(job.id.apiString)", "predictionId": "\(prediction.id)",
                ])
                _ = try? await context.replicate.client.cancelPrediction(id: prediction.id)
                return true
            }
            // A fast model may have finished already: that news goes through the inbox too.
            if prediction.status.isTerminal {
                try await context.inbox.recordForWorkers(prediction, job: job.id, source: .poll)
            }
        } catch {
            // The webhook and the reconciler still find it by the job's id.
            logger.error("attaching a prediction failed", metadata: [
                "jobId": "\(job.id.apiString)", "predictionId": "\(prediction.id)", "error": "\(LoggedError.text(error))",
            ])
        }
        return true
    }

    /// Runs the create while keeping the row's sign of life fresh (`Lease.renewalInterval`), so
    /// other instances can tell a slow Replicate from a dead creator.
    private func whileTouching(_ row: PredictionRow, _ create: () async throws -> Prediction) async throws -> Prediction {
        let interval = Lease.renewalInterval(context.settings.runtime.timeouts.inboxLease)
        let touching = Task { [predictions, logger, now] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(interval)) } catch { return }
                do {
                    try await predictions.touchCreating(row.id, now: now())
                } catch {
                    logger.warning("could not keep a create alive", metadata: ["jobId": "\(row.jobId.apiString)", "error": "\(LoggedError.text(error))"])
                }
            }
        }
        defer { touching.cancel() }
        return try await create()
    }

    private func recordFailure(_ row: PredictionRow, job: JobRow) async {
        do {
            try await predictions.markEnded(
                row.id, status: .failed, code: "UPSTREAM_ERROR",
                message: "The image service could not start this generation. You have not been charged — please try again.",
                now: now())
        } catch {
            logger.error("recording a failed create failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(LoggedError.text(error))"])
        }
    }

    private func webhookURL(job: UUID) -> URL {
        URL(string: context.settings.publicBaseURL.absoluteString + "/api/v1/webhooks/replicate?job=" + job.apiString)!
    }
}
