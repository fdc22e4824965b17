import Foundation
import InteriorCore
import Replicate

/// How the emulator listens, authenticates, paces predictions and delivers webhooks.
public struct EmulatorConfiguration: Sendable {
    /// How webhook deliveries that got no 2xx answer are retried.
    public struct WebhookRetry: Sendable, Equatable {
        /// Attempts per message, the first included.
        public var maxAttempts: Int
        public var initialDelay: Duration
        public var multiplier: Double

        public init(maxAttempts: Int = 4, initialDelay: Duration = .seconds(1), multiplier: Double = 2) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.multiplier = multiplier
        }

        /// The wait after failed attempt `attempt` (1-based).
        public func delay(afterAttempt attempt: Int) -> Duration {
            .seconds(initialDelay.seconds * pow(multiplier, Double(attempt - 1)))
        }
    }

    public var host: String
    /// 0 picks a free port; `RunningEmulator.port` tells which.
    public var port: Int
    /// The API token clients must send as `Authorization: Bearer <token>`.
    public var token: String
    /// `whsec_...`: what webhooks are signed with and what `GET /v1/webhooks/default/secret` returns.
    public var webhookSecret: String
    /// Time in `starting` before a prediction begins processing.
    public var startDelay: Duration
    /// Time spent "generating" once processing.
    public var processingDelay: Duration
    /// How long output files live after a prediction ends (Replicate: one hour).
    public var outputTTL: Duration
    public var webhookRetry: WebhookRetry
    /// One webhook delivery attempt; a slower receiver counts as a failed attempt.
    public var webhookTimeout: Duration
    /// One input download.
    public var inputTimeout: Duration
    public var maxInputBytes: Int
    /// The scheme, host and port output URLs start with; defaults to the listening address
    /// (`127.0.0.1` when listening on every interface).
    public var publicBaseURL: URL?
    /// Replicate refuses a prediction without the secret inputs a model requires
    /// (`openai_api_key` for `openai/gpt-image-1`); the emulator only when asked, so a laptop
    /// without an OpenAI key still runs the whole pipeline.
    public var requireSecrets: Bool
    /// The models served: one per profile (the built-in ones, plus any the runtime config adds).
    public var profiles: [ModelProfile]
    /// Where predictions and their output files are kept, so a restarted emulator carries on
    /// with them (`interior serve` passes `data/emulator`); nil keeps them in memory only.
    public var dataDirectory: URL?
    /// The emulator's clock: timestamps, webhook signatures and output expiry.
    public var now: @Sendable () -> Date

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        token: String = EmulatorConfiguration.randomToken(),
        webhookSecret: String = WebhookSecret.generate(),
        startDelay: Duration = .milliseconds(300),
        processingDelay: Duration = .seconds(2),
        outputTTL: Duration = .seconds(3600),
        webhookRetry: WebhookRetry = WebhookRetry(),
        webhookTimeout: Duration = .seconds(5),
        inputTimeout: Duration = .seconds(15),
        maxInputBytes: Int = 25 * 1024 * 1024,
        publicBaseURL: URL? = nil,
        requireSecrets: Bool = false,
        profiles: [ModelProfile] = ModelProfile.builtIn,
        dataDirectory: URL? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.webhookSecret = webhookSecret
        self.startDelay = startDelay
        self.processingDelay = processingDelay
        self.outputTTL = outputTTL
        self.webhookRetry = webhookRetry
        self.webhookTimeout = webhookTimeout
        self.inputTimeout = inputTimeout
        self.maxInputBytes = maxInputBytes
        self.publicBaseURL = publicBaseURL
        self.requireSecrets = requireSecrets
        self.profiles = profiles
        self.dataDirectory = dataDirectory
        self.now = now
    }

    /// A token in Replicate's shape (`r8_` and 37 characters), clearly not a real one.
    public static func randomToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "r8_emulator" + String((0..<29).map { _ in alphabet.randomElement()! })
    }
}
