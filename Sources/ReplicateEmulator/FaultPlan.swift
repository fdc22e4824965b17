import Foundation
import Replicate

/// Faults the emulator injects into one prediction (and the requests about it). A plan is
/// queued for the next create by the emulator's operator — `POST /v1/_emulator/faults` with
/// the emulator's token, or `RunningEmulator.enqueueFault` in tests — and by nothing else: a
/// prediction's input (its prompt) is the model's and never steers the emulator, so nobody
/// who only reaches a service built on it can inject a fault. Every field is optional; an
/// empty plan is a healthy prediction.
public struct FaultPlan: Codable, Sendable, Equatable {
    /// A fault on one endpoint: answer `status` (or hold the answer `delay` seconds, or both)
    /// for the first `times` requests.
    public struct EndpointFault: Codable, Sendable, Equatable {
        public var status: Int?
        public var times: Int
        /// The `Retry-After` header sent with the rejection, verbatim (e.g. `"2"`).
        public var retryAfter: String?
        /// Seconds to wait before answering. On a create without `status`, the prediction is
        /// made at once and only the answer is late (a client that times out has still created it).
        public var delay: Double?
        /// The problem's `detail` (default: a message naming the emulated fault).
        public var detail: String?
        /// A raw body sent instead of the problem JSON (to test error parsing).
        public var body: String?

        public init(
            status: Int? = nil, times: Int = 1, retryAfter: String? = nil, delay: Double? = nil,
            detail: String? = nil, body: String? = nil
        ) {
            self.status = status
            self.times = times
            self.retryAfter = retryAfter
            self.delay = delay
            self.detail = detail
            self.body = body
        }

        enum CodingKeys: String, CodingKey {
            case status, times, delay, detail, body
            case retryAfter = "retry_after"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decodeIfPresent(Int.self, forKey: .status)
            times = try container.decodeIfPresent(Int.self, forKey: .times) ?? 1
            if let text = try? container.decodeIfPresent(String.self, forKey: .retryAfter) {
                retryAfter = text
            } else {
                retryAfter = try container.decodeIfPresent(Double.self, forKey: .retryAfter).map(Self.seconds)
            }
            delay = try container.decodeIfPresent(Double.self, forKey: .delay)
            detail = try container.decodeIfPresent(String.self, forKey: .detail)
            body = try container.decodeIfPresent(String.self, forKey: .body)
        }

        static func seconds(_ value: Double) -> String {
            value.rounded() == value ? String(Int(value)) : String(value)
        }
    }

    /// How the prediction ends.
    public enum Outcome: String, Codable, Sendable {
        case succeed
        /// `status: failed` with `error`.
        case fail
        /// `status: canceled`, as if someone cancelled it while it ran.
        case cancel
        /// Stays `processing` until cancelled (a stuck prediction).
        case hang
    }

    public enum WebhookMode: String, Codable, Sendable {
        case normal
        /// No webhook at all.
        case drop
        case dropStart = "drop_start"
        case dropCompleted = "drop_completed"
        /// Every message delivered twice, with the same `webhook-id`.
        case duplicate
        /// `completed` delivered before `start`.
        case reorder
    }

    public enum FileMode: String, Codable, Sendable {
        case normal
        /// The body trickles out over `files_delay` seconds.
        case slow
        /// Only the first half of the bytes (a valid HTTP answer, a broken image).
        case truncated
        /// An HTML page served as `image/png`.
        case notImage = "not_image"
        /// 404, as if the file had expired.
        case missing
    }

    public var create: EndpointFault?
    public var get: EndpointFault?
    public var cancel: EndpointFault?
    public var outcome: Outcome?
    /// The error of a failed prediction.
    public var error: String?
    /// How many outputs to return (fewer than asked, or 0).
    public var outputs: Int?
    public var startDelay: Double?
    public var processingDelay: Double?
    public var webhooks: WebhookMode?
    /// Seconds before each webhook delivery.
    public var webhookDelay: Double?
    public var files: FileMode?
    public var filesDelay: Double?

    public init(
        create: EndpointFault? = nil, get: EndpointFault? = nil, cancel: EndpointFault? = nil,
        outcome: Outcome? = nil, error: String? = nil, outputs: Int? = nil,
        startDelay: Double? = nil, processingDelay: Double? = nil,
        webhooks: WebhookMode? = nil, webhookDelay: Double? = nil,
        files: FileMode? = nil, filesDelay: Double? = nil
    ) {
        self.create = create
        self.get = get
        self.cancel = cancel
        self.outcome = outcome
        self.error = error
        self.outputs = outputs
        self.startDelay = startDelay
        self.processingDelay = processingDelay
        self.webhooks = webhooks
        self.webhookDelay = webhookDelay
        self.files = files
        self.filesDelay = filesDelay
    }

    enum CodingKeys: String, CodingKey {
        case create, get, cancel, outcome, error, outputs, webhooks, files
        case startDelay = "start_delay"
        case processingDelay = "processing_delay"
        case webhookDelay = "webhook_delay"
        case filesDelay = "files_delay"
    }

    public var isEmpty: Bool { self == FaultPlan() }
}

// MARK: - Checking a plan from the control endpoint

extension FaultPlan {
    /// What is wrong with a plan sent as JSON: unknown fields (a typo must not pass for a
    /// healthy prediction) and values no fault can have. Empty when it is sound.
    static func problems(in json: [String: JSONValue]) -> [String] {
        let known = Set(["create", "get", "cancel", "outcome", "error", "outputs", "start_delay", "processing_delay",
                         "webhooks", "webhook_delay", "files", "files_delay"])
        let endpointKnown = Set(["status", "times", "retry_after", "delay", "detail", "body"])
        var problems = json.keys.filter { !known.contains($0) }.sorted().map { "unknown field \($0)" }
        for endpoint in ["create", "get", "cancel"] {
            guard case .object(let fault)? = json[endpoint] else { continue }
            problems += fault.keys.filter { !endpointKnown.contains($0) }.sorted().map { "unknown field \(endpoint).\($0)" }
        }
        return problems
    }

    /// Values no fault can have; empty when every one is sound.
    var invalidValues: [String] {
        var problems: [String] = []
        func seconds(_ value: Double?, _ name: String) {
            if let value, !(value.isFinite && value >= 0) { problems.append("\(name) must be a number of seconds, 0 or more") }
        }
        for (name, fault) in [("create", create), ("get", get), ("cancel", cancel)] {
            guard let fault else { continue }
            if let status = fault.status, !(100...599).contains(status) { problems.append("\(name).status must be an HTTP status") }
            if fault.times < 0 { problems.append("\(name).times must be 0 or more") }
            seconds(fault.delay, "\(name).delay")
        }
        if let outputs, outputs < 0 { problems.append("outputs must be 0 or more") }
        seconds(startDelay, "start_delay")
        seconds(processingDelay, "processing_delay")
        seconds(webhookDelay, "webhook_delay")
        seconds(filesDelay, "files_delay")
        return problems
    }
}
