import AsyncHTTPClient
import Foundation
import InteriorCore
import Logging
import Replicate

/// Where the server reaches Replicate: the real API, or an emulator the executable started.
public struct ReplicateConnection: Sendable {
    public var baseURL: URL
    public var token: Secret
    public var webhookSecret: Secret
    /// True for the local emulator: labelled as such in health, logs and the web page, and its
    /// host is an allowed output host.
    public var isEmulator: Bool

    public init(baseURL: URL, token: Secret, webhookSecret: Secret, isEmulator: Bool) {
        self.baseURL = baseURL
        self.token = token
        self.webhookSecret = webhookSecret
        self.isEmulator = isEmulator
    }
}

/// Everything the service says to Replicate, in one place: the clients
/// (one for creates and cancels, one with the short status-poll timeout), and the verifier
/// for the webhooks it sends back.
struct ReplicateGateway: Sendable {
    let connection: ReplicateConnection
    let client: ReplicateClient
    let pollClient: ReplicateClient
    let verifier: WebhookVerifier

    init(connection: ReplicateConnection, settings: Settings, httpClient: HTTPClient,
         metrics: InteriorMetrics, now: @escaping @Sendable () -> Date, logger: Logger, traces: Traces = .disabled) throws {
        self.connection = connection
        let observe: @Sendable (ReplicateClient.RequestEvent) -> Void = { event in
            switch event.outcome {
            case let .status(status): metrics.replicateRequest(status: status)
            case .failure(let error): metrics.replicateRequest(status: error.status)
            }
            if event.retryDelay != nil { metrics.replicateRetry() }
        }
        let timeouts = settings.runtime.timeouts
        client = ReplicateClient(
            configuration: .init(baseURL: connection.baseURL, token: connection.token.value,
                                 requestTimeout: .seconds(timeouts.replicateRequest),
                                 totalDeadline: .seconds(timeouts.replicateRequest * 3)),
            httpClient: httpClient, logger: logger, now: now, observe: observe, tracer: traces.isEnabled ? traces.tracer : nil)
        // The status endpoint polls inline: one short try, no retries.
        pollClient = ReplicateClient(
            configuration: .init(baseURL: connection.baseURL, token: connection.token.value,
                                 requestTimeout: .seconds(timeouts.statusPoll),
                                 totalDeadline: .seconds(timeouts.statusPoll),
                                 retry: RetryPolicy(maxRetries: 0)),
            httpClient: httpClient, logger: logger, now: now, observe: observe, tracer: traces.isEnabled ? traces.tracer : nil)
        verifier = WebhookVerifier(secret: try WebhookSecret(connection.webhookSecret.value))
    }

    /// Creates a prediction of the profile's model: its pinned version when it has one, else
    /// the official model's latest.
    func create(_ input: ModelInput, of profile: ModelProfile, webhook: URL) async throws(ReplicateError) -> Prediction {
        if let version = profile.version {
            return try await client.createPrediction(version: "\(profile.id):\(version)", input: input, webhook: webhook,
                                                     webhookEventsFilter: [.start, .completed])
        }
        return try await client.createPrediction(model: profile.id, input: input, webhook: webhook,
                                                 webhookEventsFilter: [.start, .completed])
    }
}
