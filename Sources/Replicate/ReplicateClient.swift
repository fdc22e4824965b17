import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Tracing

/// Replicate's HTTP API over AsyncHTTPClient, with the retry rules of the spec: backoff with
/// full jitter on 429, 5xx (not 501) and connection failures, `Retry-After` honoured up to a
/// cap, creates retried only where they cannot make a second prediction, a per-request
/// timeout and a total deadline. Sleep, clock and randomness are injected.
public struct ReplicateClient: Sendable, CustomStringConvertible {
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// `https://api.replicate.com/v1`, or an emulator's `http://127.0.0.1:<port>/v1`.
        public var baseURL: URL
        public var token: String
        public var requestTimeout: Duration
        /// The whole call, retries and waits included, must end by then.
        public var totalDeadline: Duration
        public var retry: RetryPolicy
        public var userAgent: String
        /// Largest response body read (predictions are small; a huge body is an error).
        public var maxResponseBytes: Int

        public static let defaultBaseURL = URL(string: "https://api.replicate.com/v1")!

        public init(
            baseURL: URL = Configuration.defaultBaseURL, token: String,
            requestTimeout: Duration = .seconds(20), totalDeadline: Duration = .seconds(60),
            retry: RetryPolicy = RetryPolicy(), userAgent: String = "interior-replicate/1",
            maxResponseBytes: Int = 4 * 1024 * 1024
        ) {
            self.baseURL = baseURL
            self.token = token
            self.requestTimeout = requestTimeout
            self.totalDeadline = totalDeadline
            self.retry = retry
            self.userAgent = userAgent
            self.maxResponseBytes = maxResponseBytes
        }

        public var description: String {
            "ReplicateClient.Configuration(baseURL: \(baseURL.absoluteString), token: <redacted>, "
                + "requestTimeout: \(requestTimeout), totalDeadline: \(totalDeadline))"
        }

        public var debugDescription: String { description }

        public var customMirror: Mirror {
            Mirror(self, children: [
                "baseURL": baseURL.absoluteString, "token": "<redacted>",
                "requestTimeout": requestTimeout, "totalDeadline": totalDeadline, "retry": retry,
            ])
        }
    }

    /// One HTTP attempt, reported to the observer (metrics, tests).
    public struct RequestEvent: Sendable {
        public enum Outcome: Sendable, Equatable {
            case status(Int)
            case failure(ReplicateError)
        }

        public var method: String
        /// The route template, e.g. `/predictions/{id}` (no ids: safe as a metric label).
        public var route: String
        /// 1 for the first attempt of a call.
        public var attempt: Int
        public var outcome: Outcome
        /// How long the client waits before the next attempt; `nil` when none follows.
        public var retryDelay: Duration?
        public var elapsed: Duration
    }

    public let configuration: Configuration
    private let httpClient: HTTPClient
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private let observe: @Sendable (RequestEvent) -> Void
    /// Each call (with its retries) is a client span of the current trace; nil: no spans.
    private let tracer: (any Tracer)?

    public init(
        configuration: Configuration,
        httpClient: HTTPClient,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        observe: @escaping @Sendable (RequestEvent) -> Void = { _ in },
        tracer: (any Tracer)? = nil
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.sleep = sleep
        self.now = now
        self.random = random
        self.observe = observe
        self.tracer = tracer
    }

    public var description: String { "ReplicateClient(\(configuration))" }

    // MARK: - API

    /// `POST /models/{owner}/{name}/predictions` — runs an official model's latest version.
    /// `wait` (1...60 s) sends `Prefer: wait=N`, holding the answer until the prediction ends.
    public func createPrediction(
        model: String, input: some Encodable & Sendable, webhook: URL? = nil,
        webhookEventsFilter: [WebhookEvent]? = nil, wait: Int? = nil
    ) async throws(ReplicateError) -> Prediction {
        let parts = model.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && !$0.contains(":") }) else {
            throw .invalidRequest("model must be written owner/name")
        }
        let body = try encodeCreate(
            CreateBody(version: nil, input: input, webhook: webhook, webhookEventsFilter: webhookEventsFilter))
        let data = try await perform(
            method: .POST, route: "/models/{owner}/{name}/predictions",
            path: "/models/\(Self.segment(parts[0]))/\(Self.segment(parts[1]))/predictions",
            body: body, idempotent: false, wait: try Self.validated(wait: wait))
        return try decodePrediction(data)
    }

    /// `POST /predictions` with a model version id.
    public func createPrediction(
        version: String, input: some Encodable & Sendable, webhook: URL? = nil,
        webhookEventsFilter: [WebhookEvent]? = nil, wait: Int? = nil
    ) async throws(ReplicateError) -> Prediction {
        guard !version.isEmpty else { throw .invalidRequest("version is empty") }
        let body = try encodeCreate(
            CreateBody(version: version, input: input, webhook: webhook, webhookEventsFilter: webhookEventsFilter))
        let data = try await perform(
            method: .POST, route: "/predictions", path: "/predictions",
            body: body, idempotent: false, wait: try Self.validated(wait: wait))
        return try decodePrediction(data)
    }

    /// `GET /predictions/{id}`.
    public func getPrediction(id: String) async throws(ReplicateError) -> Prediction {
        guard !id.isEmpty else { throw .invalidRequest("prediction id is empty") }
        let data = try await perform(
            method: .GET, route: "/predictions/{id}", path: "/predictions/\(Self.segment(id))",
            body: nil, idempotent: true, wait: nil)
        return try decodePrediction(data)
    }

    /// `POST /predictions/{id}/cancel`. Cancelling twice does no harm, so unlike a create it
    /// is retried like a read.
    public func cancelPrediction(id: String) async throws(ReplicateError) -> Prediction {
        guard !id.isEmpty else { throw .invalidRequest("prediction id is empty") }
        let data = try await perform(
            method: .POST, route: "/predictions/{id}/cancel", path: "/predictions/\(Self.segment(id))/cancel",
            body: nil, idempotent: true, wait: nil)
        return try decodePrediction(data)
    }

    /// `GET /webhooks/default/secret` — the `whsec_...` key Replicate signs webhooks with.
    public func webhookSecret() async throws(ReplicateError) -> String {
        let data = try await perform(
            method: .GET, route: "/webhooks/default/secret", path: "/webhooks/default/secret",
            body: nil, idempotent: true, wait: nil)
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: data),
              let key = json["key"]?.stringValue, !key.isEmpty
        else { throw .invalidResponse("the webhook secret response has no key") }
        return key
    }

    // MARK: - The retry loop

    private enum AttemptFailure {
        /// The request never reached the server (refused, connect timeout): safe to repeat.
        case notSent(String)
        /// The request may have been sent and then timed out.
        case timedOut
        /// The request may have been sent and then the connection failed.
        case failed(String)
        case cancelled
    }

    private enum AttemptResult {
        case response(status: Int, headers: HTTPHeaders, body: Data)
        case failure(AttemptFailure)
    }

    private func perform(
        method: HTTPMethod, route: String, path: String, body: Data?, idempotent: Bool, wait: Int?
    ) async throws(ReplicateError) -> Data {
        guard let tracer else {
            return try await performAttempts(method: method, route: route, path: path, body: body, idempotent: idempotent, wait: wait)
        }
        // Named by the route pattern: prediction ids stay out of span names.
        let span = tracer.startSpan("replicate \(method.rawValue) \(route)", context: .current ?? .topLevel, ofKind: .client)
        span.attributes["http.request.method"] = method.rawValue
        span.attributes["url.template"] = route
        defer { span.end() }
        do {
            return try await performAttempts(method: method, route: route, path: path, body: body, idempotent: idempotent, wait: wait)
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    private func performAttempts(
        method: HTTPMethod, route: String, path: String, body: Data?, idempotent: Bool, wait: Int?
    ) async throws(ReplicateError) -> Data {
        let url = Self.join(configuration.baseURL, path)
        let deadline = now().addingTimeInterval(configuration.totalDeadline.seconds)
        let policy = configuration.retry
        var retries = 0

        while true {
            let remaining = deadline.timeIntervalSince(now())
            guard remaining > 0 else { throw .deadlineExceeded }
            let wanted = configuration.requestTimeout.seconds + Double(wait ?? 0)
            let timeout = min(wanted, remaining)
            let clock = ContinuousClock()
            let started = clock.now
            let result = await attempt(method: method, url: url, body: body, wait: wait, timeout: timeout)
            let elapsed = clock.now - started
            let attemptNumber = retries + 1

            let error: ReplicateError
            var retryAfter: Duration?
            let mayRetry: Bool
            switch result {
            case .response(let status, let headers, let data):
                if (200..<300).contains(status) {
                    report(method, route, attemptNumber, .status(status), nil, elapsed)
                    logger.debug("replicate request", metadata: [
                        "method": "\(method.rawValue)", "route": "\(route)", "status": "\(status)",
                        "attempt": "\(attemptNumber)",
                    ])
                    return data
                }
                error = .http(status: status, detail: Self.errorDetail(from: data, token: configuration.token))
                retryAfter = headers.first(name: "Retry-After").flatMap { Self.parseRetryAfter($0, now: now()) }
                mayRetry = idempotent
                    ? status == 429 || (status >= 500 && status <= 599 && status != 501)
                    : status == 429 || status == 503
            case .failure(.cancelled):
                report(method, route, attemptNumber, .failure(.cancelled), nil, elapsed)
                throw .cancelled
            case .failure(.notSent(let reason)):
                error = .transport(redact(reason))
                mayRetry = true
            case .failure(.timedOut):
                // A timeout cut short by the total deadline is the deadline's failure.
                error = timeout < wanted ? .deadlineExceeded : .timeout
                mayRetry = idempotent && timeout >= wanted
            case .failure(.failed(let reason)):
                error = .transport(redact(reason))
                mayRetry = idempotent
            }

            guard mayRetry, retries < policy.maxRetries else {
                report(method, route, attemptNumber, outcome(of: result, error), nil, elapsed)
                logger.warning("replicate request failed", metadata: [
                    "method": "\(method.rawValue)", "route": "\(route)", "attempt": "\(attemptNumber)",
                    "error": "\(error)",
                ])
                throw error
            }
            let delay = policy.delay(forRetry: retries, retryAfter: retryAfter, random: random)
            guard now().addingTimeInterval(delay.seconds) < deadline else {
                report(method, route, attemptNumber, outcome(of: result, error), nil, elapsed)
                logger.warning("replicate request gave up at the deadline", metadata: [
                    "method": "\(method.rawValue)", "route": "\(route)", "attempt": "\(attemptNumber)",
                    "error": "\(error)",
                ])
                throw .deadlineExceeded
            }
            report(method, route, attemptNumber, outcome(of: result, error), delay, elapsed)
            logger.notice("replicate request will be retried", metadata: [
                "method": "\(method.rawValue)", "route": "\(route)", "attempt": "\(attemptNumber)",
                "error": "\(error)", "delay_ms": "\(Int(delay.seconds * 1000))",
            ])
            do {
                try await sleep(delay)
            } catch {
                throw .cancelled
            }
            retries += 1
        }
    }

    private func outcome(of result: AttemptResult, _ error: ReplicateError) -> RequestEvent.Outcome {
        if case .response(let status, _, _) = result { return .status(status) }
        return .failure(error)
    }

    private func report(
        _ method: HTTPMethod, _ route: String, _ attempt: Int, _ outcome: RequestEvent.Outcome,
        _ retryDelay: Duration?, _ elapsed: Duration
    ) {
        observe(RequestEvent(
            method: method.rawValue, route: route, attempt: attempt, outcome: outcome,
            retryDelay: retryDelay, elapsed: elapsed))
    }

    private func attempt(
        method: HTTPMethod, url: String, body: Data?, wait: Int?, timeout: Double
    ) async -> AttemptResult {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let wait { request.headers.add(name: "Prefer", value: "wait=\(wait)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await httpClient.execute(
                request, timeout: .nanoseconds(Int64(max(timeout, 0.001) * 1e9)), logger: logger)
            let buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
            return .response(
                status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        } catch {
            return .failure(Self.classify(error))
        }
    }

    private static func classify(_ error: any Error) -> AttemptFailure {
        if error is CancellationError { return .cancelled }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return Task.isCancelled ? .cancelled : .failed("request cancelled")
            case .connectTimeout, .getConnectionFromPoolTimeout: return .notSent("connect timeout")
            case .tlsHandshakeTimeout: return .notSent("TLS handshake timeout")
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timedOut
            case .remoteConnectionClosed: return .failed("connection closed by the server")
            case .bodyLengthMismatch: return .failed("response body length mismatch")
            default: return .failed(String(describing: error))
            }
        }
        if let error = error as? NIOConnectionError {
            let refused = error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            return .notSent(refused ? "connection refused" : "could not connect")
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return .notSent("connection refused")
            case ENETUNREACH, EHOSTUNREACH: return .notSent("host unreachable")
            case ECONNRESET: return .failed("connection reset")
            default: return .failed("I/O error \(error.errnoCode)")
            }
        }
        if case .connectTimeout? = error as? ChannelError { return .notSent("connect timeout") }
        if error is NIOTooManyBytesError { return .failed("response body too large") }
        return .failed(String(describing: error))
    }

    // MARK: - Bodies

    private struct CreateBody<Input: Encodable>: Encodable {
        var version: String?
        var input: Input
        var webhook: URL?
        var webhookEventsFilter: [WebhookEvent]?

        enum CodingKeys: String, CodingKey {
            case version, input, webhook
            case webhookEventsFilter = "webhook_events_filter"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(version, forKey: .version)
            try container.encode(input, forKey: .input)
            try container.encodeIfPresent(webhook?.absoluteString, forKey: .webhook)
            try container.encodeIfPresent(webhookEventsFilter, forKey: .webhookEventsFilter)
        }
    }

    private func encodeCreate<Input: Encodable>(_ body: CreateBody<Input>) throws(ReplicateError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return try encoder.encode(body)
        } catch {
            throw .invalidRequest("the input could not be encoded as JSON")
        }
    }

    private func decodePrediction(_ data: Data) throws(ReplicateError) -> Prediction {
        do {
            return try JSONDecoder().decode(Prediction.self, from: data)
        } catch let error as DecodingError {
            throw .invalidResponse("not a prediction (\(Self.describe(error)))")
        } catch {
            throw .invalidResponse("not a prediction")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "malformed JSON" : "bad value at \(path(context))"
        @unknown default: return "malformed JSON"
        }
    }

    // MARK: - Helpers

    static let maxDetailLength = 500

    /// The message of an error body: `detail`, else `title`, else the raw text — truncated,
    /// with the token removed should the server have echoed it.
    static func errorDetail(from body: Data, token: String) -> String {
        var text: String
        if let json = try? JSONDecoder().decode(JSONValue.self, from: body), case .object(let object) = json,
           let message = Self.message(object["detail"]) ?? Self.message(object["title"])
        {
            text = message
        } else {
            text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { text = "(empty body)" }
        }
        if !token.isEmpty { text = text.replacingOccurrences(of: token, with: "<redacted>") }
        if text.count > maxDetailLength { text = String(text.prefix(maxDetailLength)) + "…" }
        return text
    }

    private static func message(_ value: JSONValue?) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        case let other?:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(other)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    private func redact(_ text: String) -> String {
        let token = configuration.token
        var text = token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<redacted>")
        if text.count > Self.maxDetailLength { text = String(text.prefix(Self.maxDetailLength)) + "…" }
        return text
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .seconds(max(0, date.timeIntervalSince(now)))
    }

    private static func validated(wait: Int?) throws(ReplicateError) -> Int? {
        guard let wait else { return nil }
        guard (1...60).contains(wait) else { throw .invalidRequest("wait must be 1...60 seconds") }
        return wait
    }

    private static let segmentAllowed = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func segment(_ text: some StringProtocol) -> String {
        String(text).addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? String(text)
    }

    static func join(_ base: URL, _ path: String) -> String {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text + path
    }
}
