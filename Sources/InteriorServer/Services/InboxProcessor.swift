import FluentKit
import Foundation
import InteriorCore
import Logging
import NIOConcurrencyHelpers
import Replicate
import SQLKit

/// The worker side of the durable inbox (SPEC §8.3): a few workers in every instance claim
/// pending events, find their job and run `apply`. Woken at once when an event is recorded
/// here, and otherwise scanning every `idleScan`, so events recorded by another instance, or
/// due for a retry, are picked up too.
final class InboxProcessor: Sendable {
    /// How one event ended.
    enum Outcome: String, Sendable {
        case done, retry, dead
    }

    let database: @Sendable () -> any Database
    let applier: PredictionApplier
    /// Cancels a prediction at Replicate that no job owns (best effort).
    let cancelUnowned: @Sendable (String) async -> Void
    let metrics: InteriorMetrics
    let now: @Sendable () -> Date
    let logger: Logger
    let workers: Int
    let lease: TimeInterval
    let maxAttempts: Int
    let idleScan: Duration
    let traces: Traces

    /// How long after a known moment an event is tried again (and the shortest such wait).
    private static let retryMargin: TimeInterval = 0.25
    private let doorbell = Doorbell()
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    init(database: @escaping @Sendable () -> any Database, applier: PredictionApplier,
         cancelUnowned: @escaping @Sendable (String) async -> Void, metrics: InteriorMetrics,
         now: @escaping @Sendable () -> Date, logger: Logger, workers: Int = 3, lease: TimeInterval = 15,
         maxAttempts: Int = 8, idleScan: Duration = .seconds(1), traces: Traces = .disabled) {
        self.database = database
        self.applier = applier
        self.cancelUnowned = cancelUnowned
        self.metrics = metrics
        self.now = now
        self.logger = logger
        self.workers = workers
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.idleScan = idleScan
        self.traces = traces
    }

    private var inbox: InboxRepository { InboxRepository(sql: database() as! any SQLDatabase) }

    // MARK: Recording

    /// Records a signed delivery; false for a redelivery of one already recorded.
    @discardableResult
    func recordWebhook(id: String, job: UUID?, prediction: Prediction?, payload: Data) async throws -> Bool {
        let time = now()
        let recorded = try await inbox.record(InboxEvent(
            webhookId: id, jobId: job, predictionId: prediction?.id, status: prediction?.status.rawValue,
            payload: String(decoding: payload, as: UTF8.self), source: .webhook, state: .pending, attempts: 0,
            nextAttemptAt: time, lockedUntil: nil, lastError: nil, receivedAt: time, processedAt: nil, createdAt: time))
        wake()
        return recorded
    }

    /// Records what a poll learnt, as an event like a webhook's, and applies it at once on
    /// the caller's task (claimed by the caller as it is recorded, so no worker races it).
    /// The id derives from the prediction and status, so polls that learn the same thing
    /// collapse into one event; news already recorded is left to a worker that holds it, and
    /// otherwise taken up now — a retry waiting out its backoff runs at once, and one whose
    /// retries ran out is re-armed — so an outage longer than the retries, or the stuck cutoff,
    /// does not lose a finished prediction.
    /// - Returns: how processing ended, or nil when the same news is already being handled.
    @discardableResult
    func recordAndApply(_ prediction: Prediction, job: UUID, source: EventSource) async throws -> Outcome? {
        guard let event = try await recordSynthetic(prediction, job: job, source: source, claimed: true) else { return nil }
        return await handle(event)
    }

    /// Records what a poll learnt for the workers to apply (news that needs downloads).
    @discardableResult
    func recordForWorkers(_ prediction: Prediction, job: UUID, source: EventSource) async throws -> Bool {
        let recorded = try await recordSynthetic(prediction, job: job, source: source, claimed: false) != nil
        wake()
        return recorded
    }

    /// What a poll of Replicate learnt about one prediction of a job (the status endpoint,
    /// the reconciler): news goes through the inbox and is applied at once — except a success
    /// polled on a request's path (`downloadsInline` false), which goes to the workers, since
    /// storing it takes downloads. The same status again is no news, except a success still
    /// waiting for its images, whose dead event is re-armed.
    func report(_ prediction: Prediction, row: PredictionRow, job: UUID, source: EventSource, downloadsInline: Bool) async throws {
        if row.notFoundPolls > 0 { try await PredictionRepository(db: database()).resetNotFound(row.id) }
        switch prediction.status {
        case .starting:
            return
        case .processing:
            guard row.status == .starting else { return }
            try await recordAndApply(prediction, job: job, source: source)
        case .succeeded:
            guard row.isRunning || row.awaitsStorage || row.timedOut else { return }
            if downloadsInline {
                try await recordAndApply(prediction, job: job, source: source)
            } else {
                try await recordForWorkers(prediction, job: job, source: source)
            }
        case .failed, .aborted, .canceled:
            guard row.isRunning || row.awaitsStorage else { return }
            try await recordAndApply(prediction, job: job, source: source)
        }
    }

    private func recordSynthetic(_ prediction: Prediction, job: UUID, source: EventSource, claimed: Bool) async throws -> InboxEvent? {
        let time = now()
        let payload = try JSONEncoder().encode(prediction)
        let event = InboxEvent(
            webhookId: "synthetic:\(prediction.id):\(prediction.status.rawValue)", jobId: job, predictionId: prediction.id,
            status: prediction.status.rawValue, payload: String(decoding: payload, as: UTF8.self), source: source,
            state: .pending, attempts: claimed ? 1 : 0, nextAttemptAt: time,
            lockedUntil: claimed ? time.addingTimeInterval(lease) : nil, lastError: nil,
            receivedAt: time, processedAt: nil, createdAt: time)
        if try await inbox.record(event) { return event }
        return try await inbox.rearm(event.webhookId, now: time, lockedUntil: event.lockedUntil)
    }

    // MARK: Workers

    func start() {
        let started = (0..<workers).map { index in
            Task { [self] in await self.run(worker: index) }
        }
        tasks.withLockedValue { $0 = started }
    }

    func stop() async {
        let running = tasks.withLockedValue { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        await doorbell.ringAll()
        for task in running { await task.value }
    }

    func wake() {
        Task { await doorbell.ring() }
    }

    private func run(worker: Int) async {
        while !Task.isCancelled {
            let processed = await drainOnce()
            if processed > 0 { continue }
            // Sleep until woken or until the next scan, whichever comes first.
            await doorbell.wait(timeout: idleScan)
        }
    }

    /// Claims and processes due events, one at a time: a worker claims only what it starts, so
    /// no claim waits in a batch while its lease runs out. Returns how many it processed.
    @discardableResult
    func drainOnce(limit: Int = 1) async -> Int {
        let claimed: [InboxEvent]
        do {
            claimed = try await inbox.claim(now: now(), lease: lease, limit: limit)
        } catch {
            if !Task.isCancelled { logger.warning("could not claim inbox events", metadata: ["error": "\(LoggedError.text(error))"]) }
            return 0
        }
        for event in claimed { await handle(event) }
        return claimed.count
    }

    @discardableResult
    private func handle(_ event: InboxEvent) async -> Outcome {
        let started = ContinuousClock.now
        // The claim is kept alive while the work lasts (downloads can outlive a short lease);
        // a crashed instance stops renewing, and its work is taken up a lease later.
        // Structured, so a renewal never outlives the work (or the application's database).
        let outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { [self] in
                await keepClaimed(event)
                return nil
            }
            let outcome: Outcome
            do {
                outcome = try await apply(event)
            } catch {
                outcome = await failed(event, error: error)
            }
            group.cancelAll()
            return outcome
        }
        metrics.inboxOutcome(outcome.rawValue)
        metrics.webhookProcessing(ContinuousClock.now - started)
        return outcome
    }

    private func keepClaimed(_ event: InboxEvent) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(Lease.renewalInterval(lease))) } catch { return }
            do {
                guard try await inbox.renew(event.webhookId, attempt: event.attempts, until: now().addingTimeInterval(lease)) else {
                    logger.notice("inbox claim lost while working; the newer claim decides", metadata: ["event": "\(event.webhookId)"])
                    return
                }
            } catch {
                if !Task.isCancelled { logger.warning("could not renew an inbox claim", metadata: ["event": "\(event.webhookId)", "error": "\(LoggedError.text(error))"]) }
            }
        }
    }

    private func apply(_ event: InboxEvent) async throws -> Outcome {
        guard let prediction = try? JSONDecoder().decode(Prediction.self, from: Data(event.payload.utf8)) else {
            try await inbox.markFailed(event.webhookId, attempt: event.attempts, error: "the payload is not a prediction",
                                       nextAttemptAt: now(), dead: true, now: now())
            return .dead
        }
        let db = database()
        let found = try await PredictionRepository(db: db).find(predictionId: prediction.id)
        guard let jobId = found?.jobId ?? event.jobId, let job = try await JobRepository(db: db).find(id: jobId) else {
            await stopUnowned(prediction, event: event)
            try await done(event, note: "no job for this prediction")
            return .done
        }
        // Not found: the job's rows, read once, decide. The create may have attached it since
        // the first read; deciding "unowned" from a second read that no longer shows the row
        // waiting would cancel a prediction the job owns.
        let rows = found == nil ? try await PredictionRepository(db: db).rows(job: job.id) : []
        guard let row = found ?? rows.first(where: { $0.predictionId == prediction.id }) else {
            // The query string of a webhook is not signed, so an event acts only on a
            // prediction recorded as the job's; the submit records it moments after the create.
            // Unless the instance creating them died: then they are abandoned, and this one is unowned.
            if let touched = rows.filter({ $0.predictionId == nil && $0.isRunning }).map(\.updatedAt).min(),
               try await !applier.abandonStaleCreates(job: job.id, staleAfter: lease) {
                // A create that missed its touch (`Lease.renewalInterval`) has most likely
                // stopped with its instance: try again when it can be abandoned, not at the
                // backoff, whose fifth wait (16 s) outlasts the lease. A live create keeps the
                // backoff, so the event's attempts outlast the create.
                let overdue = now().timeIntervalSince(touched) > Lease.renewalInterval(lease)
                throw PredictionApplier.NotYet(description: "the job's predictions are still being created",
                                               retryAt: overdue ? touched.addingTimeInterval(lease) : nil)
            }
            await stopUnowned(prediction, event: event)
            try await done(event, note: "the prediction is not this job's")
            return .done
        }
        if let named = event.jobId, named != row.jobId {
            try await done(event, note: "the prediction is not this job's")
            return .done
        }
        // In the job's trace, whichever instance or worker applies it.
        try await traces.span("inbox.apply", parent: traces.context(traceParent: job.traceParent), attributes: [
            "interior.event.source": .string(event.source.rawValue), "interior.prediction.status": .string(prediction.status.rawValue),
            "interior.job_id": .string(job.id.apiString),
        ]) { _ in
            try await applier.apply(prediction, to: job, row: row)
        }
        try await done(event, note: nil)
        return .done
    }

    /// A signed webhook of a running prediction no job owns — one whose create timed out after
    /// the request was sent, so the submit never learnt its id — is stopped at Replicate, so it
    /// does not run (and bill) unowned.
    private func stopUnowned(_ prediction: Prediction, event: InboxEvent) async {
        guard event.source == .webhook, !prediction.status.isTerminal else { return }
        logger.notice("canceling a prediction no job owns", metadata: ["predictionId": "\(prediction.id)", "event": "\(event.webhookId)"])
        await cancelUnowned(prediction.id)
    }

    private func done(_ event: InboxEvent, note: String?) async throws {
        if let note {
            logger.notice("inbox event ignored", metadata: ["event": "\(event.webhookId)", "reason": "\(note)"])
        }
        try await inbox.markDone(event.webhookId, now: now())
    }

    private func failed(_ event: InboxEvent, error: any Error) async -> Outcome {
        // `attempts` was counted when the event was claimed.
        let dead = event.attempts >= maxAttempts
        var delay = min(300, pow(2, Double(max(0, event.attempts - 1))))
        if let retryAt = (error as? PredictionApplier.NotYet)?.retryAt {
            // Just past that moment (the staleness test is strict), and never a busy loop.
            delay = min(delay, max(Self.retryMargin, retryAt.timeIntervalSince(now()) + Self.retryMargin))
        }
        logger.warning("inbox event failed", metadata: [
            "event": "\(event.webhookId)", "attempt": "\(event.attempts)", "dead": "\(dead)", "error": "\(LoggedError.text(error))",
        ])
        do {
            let recorded = try await inbox.markFailed(event.webhookId, attempt: event.attempts, error: LoggedError.text(error),
                                                      nextAttemptAt: now().addingTimeInterval(delay), dead: dead, now: now())
            if !recorded {
                logger.notice("inbox event was claimed again while this attempt ran; its outcome is the newer claim's",
                              metadata: ["event": "\(event.webhookId)", "attempt": "\(event.attempts)"])
            }
        } catch {
            // The lease expires and the event is claimed again.
            logger.error("could not record an inbox failure", metadata: ["event": "\(event.webhookId)", "error": "\(LoggedError.text(error))"])
        }
        return dead ? .dead : .retry
    }
}

