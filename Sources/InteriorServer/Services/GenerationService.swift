import Crypto
import FluentKit
import Foundation
import Imaging
import InteriorCore
import Logging
import Replicate
import SQLKit
import Storage

/// The rules of submitting, reading, cancelling and retrying generations (SPEC §8.1, §8.2,
/// §8.5). Routes parse and authenticate; this decides.
struct GenerationService: Sendable {
    let context: InteriorContext
    let db: any Database
    let logger: Logger

    private var sql: any SQLDatabase { db as! any SQLDatabase }
    private var jobs: JobRepository { JobRepository(db: db) }
    private var settings: Settings { context.settings }
    private var now: Date { context.dependencies.now() }

    enum SubmitOutcome {
        case created(JobRow)
        /// The same idempotency key and the same request: the original job, nothing charged.
        case replayed(JobRow)
    }

    // MARK: - Submit (SPEC §8.1)

    /// - Parameter runtime: the runtime config the whole submit uses, read once (a reload
    ///   meanwhile does not change the job's profile, presets or plan halfway).
    func submit(user: AuthenticatedUser, form: SubmitForm, idempotencyKeyHeader: String?, runtime: RuntimeState) async throws -> SubmitOutcome {
        let started = ContinuousClock.now
        let profile = runtime.profile
        // 1. Validate and moderate the fields (no lock is taken for bad input).
        let request = try validate(form, idempotencyKeyHeader: idempotencyKeyHeader, validator: runtime.validator)

        // 2. Idempotency: the same key returns the original job, never a second charge.
        if let replayed = try await replayOfKnownKey(request, form: form, user: user, runtime: runtime) { return replayed }

        // 3. No generations left or a job in flight: refused before any image is decoded.
        //    One job can be in flight per owner, so the quota check cannot be raced by the same
        //    owner: a concurrent submit fails at the insert below.
        let usage = try await UsageService(sql: sql, runtime: runtime.config, owner: user.id, now: context.dependencies.now).summary()
        guard usage.canSubmit else {
            let plan = runtime.config.plan(id: usage.planId)
            throw APIError(.limitExceeded,
                           "You have used all \(usage.monthlyAllowance) generations of the \(plan.label) plan this month.",
                           details: ["planId": plan.id, "periodEnd": ISO8601DateFormatter().string(from: usage.period.end)])
        }

        // The in-flight answer here is only early; the insert below decides. The job in flight
        // may be this key's, committed by a concurrent request since step 2 looked.
        if try await jobs.hasJobInFlight(owner: user.id) {
            if let replayed = try await replayOfKnownKey(request, form: form, user: user, runtime: runtime) { return replayed }
            throw APIError(.tooManyInflight, "Please wait until this generation is complete.")
        }

        // 4. Read and check the images.
        let inputs = try await context.inputs.resolve(form, owner: user.id, limits: runtime.config.limits)
        let fingerprint = Self.fingerprint(request, inputs: inputs)

        // 5. The job, its planned predictions and its debit, in one transaction; the insert is
        //    the in-flight lock.
        let jobId = context.dependencies.makeID()
        var uploads: [(path: String, image: EncodedImage)] = []
        var inputPaths: [String] = []
        for input in inputs {
            switch input.source {
            case let .upload(image):
                let path = StoragePaths.upload(owner: user.id, id: context.dependencies.makeID(), format: image.format)
                uploads.append((path, image))
                inputPaths.append(path)
            case let .stored(path):
                inputPaths.append(path)
            }
        }
        let createdAt = now
        var job = JobRow(
            id: jobId, ownerId: user.id, mode: request.mode, roomType: request.roomType.id, style: request.style.id,
            aspectRatio: request.aspectRatio, quality: request.quality, variants: request.variants,
            prompt: request.prompt, finalPrompt: request.finalPrompt,
            input1Path: inputPaths.first, input2Path: inputPaths.dropFirst().first,
            model: profile.id, predictionId: nil, status: .starting, errorCode: nil, error: nil,
            idempotencyKey: request.idempotencyKey, requestFingerprint: fingerprint,
            createdAt: createdAt, updatedAt: createdAt, lastPolledAt: nil, completedAt: nil,
            traceParent: context.traces.currentTraceParent())
        let planned = plannedPredictions(job: jobId, profile: profile, variants: request.variants, at: createdAt)
        switch try await jobs.insertWithDebit(job, predictions: planned, debitId: context.dependencies.makeID()) {
        case .inserted:
            break
        case .ownerHasJobInFlight, .idempotencyKeyTaken:
            // A concurrent request with the same key won the insert: it is this request's job
            // (PostgreSQL may report either unique index a losing insert violated, so the key is
            // looked up whichever it named). Without a key, another job is in flight.
            if let key = request.idempotencyKey, let existing = try await jobs.find(owner: user.id, idempotencyKey: key) {
                return try replay(existing, fingerprint: fingerprint)
            }
            throw APIError(.tooManyInflight, "Please wait until this generation is complete.")
        }
        TransitionLog.log(logger, job: job.id, prediction: nil, from: nil, to: .starting, since: createdAt, now: createdAt)

        // 6. Store the uploads privately and sign the URLs Replicate reads them through.
        let signedURLs: [String]
        do {
            for upload in uploads {
                try await context.store.put(bucket: settings.privateBucket, path: upload.path,
                                            data: upload.image.data, contentType: upload.image.format.mimeType)
            }
            signedURLs = try await inputPaths.asyncMap { path in
                try await context.store.signedURL(bucket: settings.privateBucket, path: path,
                                                  expiresIn: runtime.config.timeouts.inputSignedURLTTL).absoluteString
            }
        } catch {
            logger.error("storing the inputs failed", metadata: ["jobId": "\(job.id.apiString)", "error": "\(LoggedError.text(error))"])
            let message = "We could not store your images. You have not been charged — please try again."
            try await failSubmit(job, code: "INTERNAL_ERROR", message: message)
            // No prediction will be created for its rows: they end with the job, not left `starting`.
            for row in planned {
                try await PredictionRepository(db: db).markEnded(row.id, status: .failed, code: "INTERNAL_ERROR", message: message, now: now)
            }
            throw APIError.internalError
        }

        // 7. Create the predictions, side by side; 8. attach each as Replicate answers.
        let creates = PredictionCreator(context: context, db: db, logger: logger, now: context.dependencies.now, profile: profile)
        let inputSize = inputs.first?.size
        let created = await creates.createAll(planned, job: job) { row throws(ModelInputError) in
            try profile.input(for: request, prompt: request.finalPrompt, inputImageURLs: signedURLs, inputSize: inputSize,
                              outputs: row.outputs, secrets: runtime.modelSecrets)
        }
        guard created > 0 else {
            try await failSubmit(job, code: "UPSTREAM_ERROR",
                                 message: "The image service could not start this generation. You have not been charged — please try again.")
            throw APIError(.upstreamError, "The image service could not start this generation. You have not been charged — please try again.")
        }
        // Some creates failed: the job goes on with the others; `settle` decides as they end.
        if created < planned.count { try await context.applier.settle(job: job.id) }
        context.metrics.jobSubmitted(mode: job.mode)
        context.metrics.submitLatency(ContinuousClock.now - started)
        // 9. What the job is now (a cancel may have won meanwhile).
        job = try await jobs.find(id: job.id) ?? job
        return .created(job)
    }

    /// The rows of a job's predictions: as many as the model needs for `variants`, each
    /// filling its own variant slots.
    private func plannedPredictions(job: UUID, profile: ModelProfile, variants: Int, at time: Date) -> [PredictionRow] {
        var slot = 0
        return profile.outputsPerPrediction(variants: variants).enumerated().map { index, outputs in
            defer { slot += outputs }
            return PredictionRow(id: context.dependencies.makeID(), jobId: job, idx: index, predictionId: nil, status: .starting,
                                 firstSlot: slot, outputs: outputs, stored: nil, errorCode: nil, error: nil,
                                 createdAt: time, updatedAt: time, completedAt: nil)
        }
    }

    /// Ends a job whose submit failed after the lock: failed and refunded in one transaction,
    /// so the owner's slot is free again and the net charge is zero.
    private func failSubmit(_ job: JobRow, code: String, message: String) async throws {
        let ended = try await jobs.finishUnsuccessfully(job: job.id, status: .failed, errorCode: code, message: message,
                                                        now: now, refundId: context.dependencies.makeID())
        if ended {
            context.metrics.jobFailed(mode: job.mode, code: code)
            TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: .starting, to: .failed, since: job.createdAt, now: now)
        }
    }

    private func replay(_ existing: JobRow, fingerprint: String) throws -> SubmitOutcome {
        guard existing.requestFingerprint == fingerprint else {
            throw APIError(.idempotencyKeyReused, "This idempotency key was already used for a different request.",
                           details: ["field": "idempotencyKey"])
        }
        return .replayed(existing)
    }

    /// The owner's job of this request's idempotency key, replayed, when there is one.
    private func replayOfKnownKey(_ request: GenerationRequest, form: SubmitForm, user: AuthenticatedUser,
                                  runtime: RuntimeState) async throws -> SubmitOutcome? {
        guard let key = request.idempotencyKey, let existing = try await jobs.find(owner: user.id, idempotencyKey: key) else { return nil }
        let inputs = try await context.inputs.resolve(form, owner: user.id, limits: runtime.config.limits)
        return try replay(existing, fingerprint: Self.fingerprint(request, inputs: inputs))
    }

    private func validate(_ form: SubmitForm, idempotencyKeyHeader: String?, validator: GenerationRequestValidator) throws -> GenerationRequest {
        let bodyKey = form[.idempotencyKey]
        // A header that is sent names a key: blank is not "no key" (the document says a UUID).
        if let idempotencyKeyHeader, idempotencyKeyHeader.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError.validation(field: "idempotencyKey", "The Idempotency-Key header must be a UUID.")
        }
        if let bodyKey, let idempotencyKeyHeader, bodyKey.lowercased() != idempotencyKeyHeader.lowercased() {
            throw APIError.validation(field: "idempotencyKey", "The Idempotency-Key header and idempotencyKey differ.")
        }
        let submission = GenerationSubmission(
            mode: form[.mode], prompt: form[.prompt], roomType: form[.roomType],
            style: form[.style], aspectRatio: form[.aspectRatio], quality: form[.quality],
            variants: form[.variants].map { .text($0) }, idempotencyKey: bodyKey ?? idempotencyKeyHeader,
            hasInput1: form[file: .input1] != nil || form[.input1Url] != nil,
            hasInput2: form[file: .input2] != nil || form[.input2Url] != nil)
        do {
            return try validator.validate(submission)
        } catch {
            throw APIError.validation(field: error.field, error.message)
        }
    }

    /// What makes two submits "the same request" for idempotency: every setting, the
    /// prompt, and the inputs (by content for uploads, by path for stored images).
    static func fingerprint(_ request: GenerationRequest, inputs: [InputImage]) -> String {
        let parts = [
            request.mode.rawValue, request.roomType.id, request.style.id, request.aspectRatio.rawValue,
            request.quality.rawValue, String(request.variants), request.prompt ?? "",
        ] + inputs.map { "\($0.slot)=\($0.digest)" }
        let canonical = parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        return InputResolver.sha256(Data(canonical.utf8))
    }

    // MARK: - Status (SPEC §8.2)

    /// The owner's job, after polling Replicate for its running predictions when the job looks
    /// stale. Failures of the poll are logged, not returned: the job as stored is still the truth.
    func status(user: AuthenticatedUser, jobId: UUID) async throws -> (JobRow, RenderWithVariants?) {
        // An ended job read before is answered from memory once one row says it still stands.
        let settled = context.settledJobs
        if let entry = settled.entry(job: jobId, owner: user.id) {
            if try await jobs.settledVersion(id: jobId, owner: user.id) == entry.version { return (entry.job, entry.render) }
            settled.forget(job: jobId)
        }
        // One query answers a job that is not in flight (the hot path: a page polls it).
        guard let (job, render) = try await jobs.findWithRender(id: jobId, owner: user.id) else { throw APIError.notFound }
        settled.remember(job, render: render)
        // The row just read says whether a poll is due, so most reads of a job in flight (a page
        // polls every few seconds) write nothing; the conditional claim decides who polls.
        let staleAfter = settings.runtime.timeouts.stalePollThreshold
        guard job.status.isInFlight, job.pollDue(now: now, staleAfter: staleAfter),
              try await jobs.claimPoll(job: job.id, now: now, staleAfter: staleAfter) else {
            return (job, render)
        }
        var rows = try await PredictionRepository(db: db).rows(job: job.id).filter(\.isRunning)
        if rows.contains(where: { $0.predictionId == nil }) {
            try await context.applier.abandonStaleCreates(job: job.id, staleAfter: settings.runtime.timeouts.inboxLease)
        }
        rows.removeAll { $0.predictionId == nil }
        let id = job.id
        await withTaskGroup(of: Void.self) { group in
            for row in rows {
                group.addTask { await self.poll(row, job: id) }
            }
        }
        return try await jobs.findWithRender(id: jobId, owner: user.id) ?? (job, render)
    }

    private func poll(_ row: PredictionRow, job: UUID) async {
        guard let predictionId = row.predictionId else { return }
        do {
            let prediction = try await context.replicate.pollClient.getPrediction(id: predictionId)
            try await context.inbox.report(prediction, row: row, job: job, source: .poll, downloadsInline: false)
        } catch {
            logger.notice("status poll failed", metadata: ["jobId": "\(job.apiString)", "predictionId": "\(predictionId)", "error": "\(LoggedError.text(error))"])
            await context.inbox.pollFailed(error, row: row, job: job)
        }
    }

    func list(user: AuthenticatedUser, cursor: PageCursor?, limit: Int) async throws -> Page<JobRow> {
        try await jobs.list(owner: user.id, after: cursor, limit: limit)
    }

    // MARK: - Cancel and retry (SPEC §8.5)

    /// Cancels an in-flight job: here with its refund, then every running prediction at
    /// Replicate (best effort). Images a prediction stored meanwhile are removed by `settle`,
    /// which every later piece of news runs too, so a canceled job's outputs never stay reachable.
    func cancel(user: AuthenticatedUser, jobId: UUID) async throws -> JobRow {
        guard let job = try await jobs.find(id: jobId, owner: user.id) else { throw APIError.notFound }
        guard job.status.isInFlight else {
            throw APIError(.invalidState, "Only a generation in progress can be canceled.")
        }
        let ended = try await jobs.finishUnsuccessfully(
            job: job.id, status: .canceled, errorCode: "CANCELED",
            message: "This generation was canceled. You have not been charged.", now: now, refundId: context.dependencies.makeID())
        if ended {
            context.metrics.jobFailed(mode: job.mode, code: "CANCELED")
            TransitionLog.log(logger, job: job.id, prediction: job.predictionId, from: job.status, to: .canceled, since: job.updatedAt, now: now)
            let running = try await PredictionRepository(db: db).rows(job: job.id).filter(\.isRunning).compactMap(\.predictionId)
            await withTaskGroup(of: Void.self) { group in
                for predictionId in running {
                    group.addTask {
                        do {
                            let prediction = try await context.replicate.client.cancelPrediction(id: predictionId)
                            try await context.inbox.recordAndApply(prediction, job: job.id, source: .poll)
                        } catch {
                            logger.warning("cancel at Replicate failed", metadata: [
                                "jobId": "\(job.id.apiString)", "predictionId": "\(predictionId)", "error": "\(LoggedError.text(error))",
                            ])
                        }
                    }
                }
            }
            try await context.applier.settle(job: job.id)
        }
        return try await jobs.find(id: jobId, owner: user.id) ?? job
    }

    /// Submits a failed or canceled job again: same inputs, same settings, a new job under
    /// every rule of submit.
    func retry(user: AuthenticatedUser, jobId: UUID, idempotencyKeyHeader: String?) async throws -> SubmitOutcome {
        let runtime = context.runtime.current
        guard let job = try await jobs.find(id: jobId, owner: user.id) else { throw APIError.notFound }
        guard job.status == .failed || job.status == .canceled else {
            throw APIError(.invalidState, "Only a failed or canceled generation can be retried.")
        }
        var form = SubmitForm()
        form[.mode] = job.mode.rawValue
        form[.roomType] = job.roomType
        form[.style] = job.style
        form[.aspectRatio] = job.aspectRatio.rawValue
        form[.quality] = job.quality.rawValue
        form[.variants] = String(job.variants)
        form[.prompt] = job.prompt
        for (image, path) in zip(SubmitForm.Image.allCases, [job.input1Path, job.input2Path]) {
            guard let path else { continue }
            guard try await context.inputs.stored(path: path, slot: image.rawValue, limits: runtime.config.limits) != nil else {
                throw APIError.validation(field: image.rawValue, "The images of this generation are no longer available; submit them again.")
            }
            form[image.urlField] = path
        }
        return try await submit(user: user, form: form, idempotencyKeyHeader: idempotencyKeyHeader, runtime: runtime)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
