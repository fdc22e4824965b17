import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Replicate

/// Delivers one prediction's webhooks in order, signed per Standard Webhooks, retrying
/// deliveries that get no 2xx answer, and applying the prediction's webhook faults.
actor WebhookOutbox {
    private struct Message: Sendable {
        let id: String
        let event: WebhookEvent
        let body: Data
    }

    private let predictionID: String
    private let url: URL
    private let mode: FaultPlan.WebhookMode
    private let delay: Double
    private let environment: WebhookEnvironment
    private var tail: Task<Void, Never>?
    private var heldStart: Message?

    init(predictionID: String, url: URL, plan: FaultPlan, environment: WebhookEnvironment) {
        self.predictionID = predictionID
        self.url = url
        self.mode = plan.webhooks ?? .normal
        self.delay = plan.webhookDelay ?? 0
        self.environment = environment
    }

    /// Queues `event` with the prediction as it is now.
    func send(_ event: WebhookEvent, body: Data) async {
        let message = Message(id: Self.messageID(), event: event, body: body)
        switch (mode, event) {
        case (.drop, _), (.dropStart, .start), (.dropCompleted, .completed):
            let dropped = WebhookDelivery(
                predictionID: predictionID, event: event.rawValue, webhookID: message.id, attempt: 0,
                status: nil, dropped: true)
            await environment.store.record(dropped)
        case (.reorder, .start):
            heldStart = message
        case (.reorder, .completed):
            await enqueue(message)
            if let held = heldStart {
                heldStart = nil
                await enqueue(held)
            }
        case (.duplicate, _):
            await enqueue(message)
            await enqueue(message)
        default:
            await enqueue(message)
        }
    }

    /// Waits until every queued delivery has finished (tests, shutdown).
    func drain() async {
        await tail?.value
    }

    func cancelAll() {
        tail?.cancel()
    }

    /// Queues a delivery after the ones before it. The prediction owes the message from now
    /// until it is delivered or given up, so a restart in between sends it again.
    private func enqueue(_ message: Message) async {
        await environment.store.webhookQueued(predictionID, message.event)
        let previous = tail
        let predictionID = predictionID
        let url = url
        let delay = delay
        let environment = environment
        tail = Task {
            await previous?.value
            guard !Task.isCancelled else { return }
            let finished = await environment.deliver(
                predictionID: predictionID, url: url, id: message.id, event: message.event,
                body: message.body, delay: delay)
            if finished { await environment.store.webhookSettled(predictionID, message.event) }
        }
    }

    /// `msg_` and 27 random characters, like Standard Webhooks' own ids.
    static func messageID() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return "msg_" + String((0..<27).map { _ in alphabet.randomElement()! })
    }
}

/// What every outbox shares: the HTTP client, the signer, the retry rules and the logs.
struct WebhookEnvironment: Sendable {
    let httpClient: HTTPClient
    let signer: WebhookSigner
    let store: EmulatorStore
    let retry: EmulatorConfiguration.WebhookRetry
    let timeout: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    /// Delivers one message, retrying; false when stopped (the emulator shutting down) before
    /// it was delivered or given up.
    func deliver(predictionID: String, url: URL, id: String, event: WebhookEvent, body: Data, delay: Double) async -> Bool {
        if delay > 0 {
            do { try await Task.sleep(for: .seconds(delay)) } catch { return false }
        }
        for attempt in 1...max(1, retry.maxAttempts) {
            guard !Task.isCancelled else { return false }
            let timestamp = Int(now().timeIntervalSince1970)
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "replicate-emulator-webhook/1")
            for header in signer.headers(id: id, timestamp: timestamp, body: body) {
                request.headers.add(name: header.name, value: header.value)
            }
            request.body = .bytes(ByteBuffer(bytes: body))

            var status: Int?
            do {
                let response = try await httpClient.execute(
                    request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)), logger: logger)
                status = Int(response.status.code)
                _ = try? await response.body.collect(upTo: 1024 * 1024)
            } catch {
                logger.info("emulator webhook delivery failed", metadata: [
                    "prediction_id": "\(predictionID)", "event": "\(event.rawValue)", "attempt": "\(attempt)",
                    "error": "\(error)",
                ])
            }
            await store.record(WebhookDelivery(
                predictionID: predictionID, event: event.rawValue, webhookID: id, attempt: attempt,
                status: status, dropped: false))
            if let status, (200..<300).contains(status) {
                logger.debug("emulator webhook delivered", metadata: [
                    "prediction_id": "\(predictionID)", "event": "\(event.rawValue)", "status": "\(status)",
                ])
                return true
            }
            guard attempt < retry.maxAttempts else {
                logger.warning("emulator webhook given up", metadata: [
                    "prediction_id": "\(predictionID)", "event": "\(event.rawValue)", "attempts": "\(attempt)",
                ])
                return true
            }
            do { try await Task.sleep(for: retry.delay(afterAttempt: attempt)) } catch { return false }
        }
        return true
    }
}
