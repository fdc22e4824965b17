import Foundation
import InteriorCore
import Logging

/// One structured line per job transition (SPEC §11): `{jobId, predictionId, from, to, ms}`,
/// where `ms` is the time since the job's previous change.
enum TransitionLog {
    static func log(_ logger: Logger, job: UUID, prediction: String?, from: JobStatus?, to: JobStatus, since: Date, now: Date) {
        logger.info("job transition", metadata: [
            "jobId": .string(job.apiString),
            "predictionId": .string(prediction ?? "-"),
            "from": .string(from?.rawValue ?? "-"),
            "to": .string(to.rawValue),
            "ms": .stringConvertible(max(0, Int(now.timeIntervalSince(since) * 1000))),
        ])
    }
}
