import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Replicate

/// Runs predictions through `starting → processing → succeeded | failed | canceled`,
/// fetching inputs, drawing outputs and emitting webhooks on the way.
actor PredictionRunner {
    private let store: EmulatorStore
    private let configuration: EmulatorConfiguration
    private let httpClient: HTTPClient
    private let webhooks: WebhookEnvironment
    private let images: OutputImages
    private let logger: Logger
    private let addresses: Addresses
    private var tasks: [String: Task<Void, Never>] = [:]
    private var outboxes: [String: WebhookOutbox] = [:]

    init(
        store: EmulatorStore, configuration: EmulatorConfiguration, httpClient: HTTPClient,
        webhooks: WebhookEnvironment, images: OutputImages, addresses: Addresses, logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.httpClient = httpClient
        self.webhooks = webhooks
        self.images = images
        self.addresses = addresses
        self.logger = logger
    }

    func start(_ record: PredictionRecord) async {
        await store.insert(record)
        run(record)
    }

    /// Carries on with predictions a previous run of the emulator kept: one that had not
    /// ended runs again from its current status (its inputs fetched and its outputs drawn
    /// anew), and one that ended with its `completed` webhook still owed sends it again.
    /// - Returns: how many were resumed.
    func restore(_ records: [PredictionRecord]) async -> Int {
        var resumed = 0
        for record in records {
            if !record.status.isTerminal {
                _ = await store.update(record.id) { $0.logs += "Replicate emulator: restarted, resuming\n" }
                run(record)
                resumed += 1
            } else if record.pendingWebhooks.contains(.completed), let url = record.webhook {
                _ = await store.update(record.id) { $0.pendingWebhooks = [] }
                outboxes[record.id] = WebhookOutbox(predictionID: record.id, url: url, plan: record.plan, environment: webhooks)
                await emit(.completed, record.id)
            }
        }
        return resumed
    }

    private func run(_ record: PredictionRecord) {
        if let url = record.webhook {
            outboxes[record.id] = WebhookOutbox(
                predictionID: record.id, url: url, plan: record.plan, environment: webhooks)
        }
        let id = record.id
        tasks[id] = Task { [weak self] in
            await self?.lifecycle(id)
        }
    }

    /// Cancels a running prediction: `canceled` at once, the `completed` webhook sent.
    func cancel(_ id: String) async -> PredictionRecord? {
        guard let record = await store.prediction(id) else { return nil }
        guard !record.status.isTerminal else { return record }
        tasks[id]?.cancel()
        return await finish(id, status: .canceled, error: nil, log: "Prediction canceled")
    }

    /// Waits until the prediction's queued webhooks have been delivered (or given up).
    func drainWebhooks(_ id: String) async {
        await outboxes[id]?.drain()
    }

    func shutdown() async {
        for task in tasks.values { task.cancel() }
        for outbox in outboxes.values { await outbox.cancelAll() }
        for task in tasks.values { await task.value }
        for outbox in outboxes.values { await outbox.drain() }
    }

    // MARK: - The lifecycle

    private func lifecycle(_ id: String) async {
        guard let record = await store.prediction(id) else { return }
        let plan = record.plan
        let now = configuration.now

        // A prediction resumed after a restart may have started already.
        if record.status == .starting {
            guard await pause(plan.startDelay ?? configuration.startDelay.seconds) else { return }
            guard let started = await store.update(id, { record in
                guard record.status == .starting else { return }
                record.status = .processing
                record.startedAt = now()
                record.logs += "Replicate emulator: starting \(record.model.identifier)\n"
            }), started.status == .processing else { return }
            logger.info("emulator prediction processing", metadata: ["prediction_id": "\(id)"])
            await emit(.start, id)
        }

        var inputs: [Data] = []
        for (index, url) in record.job.inputImages.enumerated() {
            do {
                inputs.append(try await fetch(url))
            } catch {
                _ = await finish(
                    id, status: .failed,
                    error: "Failed to download input image \(index + 1): \(error.message)",
                    log: "Input image \(index + 1) could not be downloaded")
                return
            }
        }
        let wanted = record.job.count
        let count = max(0, min(wanted, plan.outputs ?? wanted))
        _ = await store.update(id) { record in
            record.logs += "Generating \(count) image\(count == 1 ? "" : "s")...\n"
        }
        await emit(.logs, id)

        if plan.outcome == .hang {
            // Stays processing until someone cancels it or the emulator stops.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        guard await pause(plan.processingDelay ?? configuration.processingDelay.seconds) else { return }

        switch plan.outcome ?? .succeed {
        case .cancel:
            _ = await finish(id, status: .canceled, error: nil, log: "Prediction canceled")
        case .fail:
            _ = await finish(
                id, status: .failed, error: plan.error ?? "Prediction failed (emulated fault)",
                log: "Prediction failed")
        case .succeed, .hang:
            do {
                let outputs = try await images.render(record.job, inputs: inputs, count: count)
                var names: [String] = []
                for (index, output) in outputs.enumerated() {
                    let name = "\(id)/out-\(index).\(output.format.fileExtension)"
                    await store.storeFile(name, output.data)
                    names.append(name)
                }
                let stored = names
                _ = await store.update(id) { record in
                    record.outputs = stored
                    record.logs += "Generated \(stored.count) image\(stored.count == 1 ? "" : "s")\n"
                }
                if !names.isEmpty { await emit(.output, id) }
                _ = await finish(id, status: .succeeded, error: nil, log: nil)
            } catch {
                _ = await finish(id, status: .failed, error: "Image generation failed: \(error)", log: nil)
            }
        }
    }

    /// Sleeps `seconds`; false when the prediction was cancelled meanwhile.
    private func pause(_ seconds: Double) async -> Bool {
        if seconds > 0 {
            do { try await Task.sleep(for: .seconds(seconds)) } catch { return false }
        }
        return !Task.isCancelled
    }

    /// Moves a prediction to a terminal status once, and sends `completed`.
    private func finish(_ id: String, status: PredictionStatus, error: String?, log: String?) async -> PredictionRecord? {
        guard let result = await store.finish(id, status: status, error: error, log: log, at: configuration.now())
        else { return nil }
        if result.changed {
            logger.info("emulator prediction ended", metadata: [
                "prediction_id": "\(id)", "status": "\(status.rawValue)",
            ])
            await emit(.completed, id)
        }
        return result.record
    }

    private func emit(_ event: WebhookEvent, _ id: String) async {
        guard let outbox = outboxes[id], let record = await store.prediction(id), record.wants(event) else { return }
        let body = PredictionJSON.data(PredictionJSON.object(record, addresses: addresses))
        await outbox.send(event, body: body)
    }

    // MARK: - Inputs

    private struct FetchError: Error {
        let message: String
    }

    private func fetch(_ text: String) async throws(FetchError) -> Data {
        if text.hasPrefix("data:") {
            guard let comma = text.firstIndex(of: ",") else { throw FetchError(message: "malformed data URI") }
            let header = text[..<comma]
            let payload = String(text[text.index(after: comma)...])
            let data = header.hasSuffix(";base64")
                ? Data(base64Encoded: payload)
                : payload.removingPercentEncoding.map { Data($0.utf8) }
            guard let data else { throw FetchError(message: "malformed data URI") }
            return data
        }
        var request = HTTPClientRequest(url: text)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "replicate-emulator/1")
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(
                request, timeout: .nanoseconds(Int64(configuration.inputTimeout.seconds * 1e9)), logger: logger)
        } catch {
            throw FetchError(message: "could not connect (\(Self.describe(error)))")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            throw FetchError(message: "HTTP \(response.status.code)")
        }
        do {
            let buffer = try await response.body.collect(upTo: configuration.maxInputBytes)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw FetchError(message: "larger than \(configuration.maxInputBytes) bytes")
        } catch {
            throw FetchError(message: "download interrupted (\(Self.describe(error)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.shortDescription }
        return String(describing: type(of: error))
    }
}

/// Where the emulator is reachable, known once the server has bound its port.
struct Addresses: Sendable {
    /// `http://127.0.0.1:<port>/v1`
    let apiBase: String
    /// `http://127.0.0.1:<port>/files`
    let fileBase: String
}
