import Foundation

/// Faults the emulator injects into one prediction (and the requests about it). A plan comes
/// from markers in the prompt (`[emulator:fail=out of memory]`), from the admin endpoint
/// `POST /v1/_emulator/faults` (queued for the next create), or from both (the queued plan's
/// fields win). Every field is optional; an empty plan is a healthy prediction.
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

    /// The fields of `other` that are set replace those of `self`.
    public func overridden(by other: FaultPlan) -> FaultPlan {
        var plan = self
        plan.create = other.create ?? create
        plan.get = other.get ?? get
        plan.cancel = other.cancel ?? cancel
        plan.outcome = other.outcome ?? outcome
        plan.error = other.error ?? error
        plan.outputs = other.outputs ?? outputs
        plan.startDelay = other.startDelay ?? startDelay
        plan.processingDelay = other.processingDelay ?? processingDelay
        plan.webhooks = other.webhooks ?? webhooks
        plan.webhookDelay = other.webhookDelay ?? webhookDelay
        plan.files = other.files ?? files
        plan.filesDelay = other.filesDelay ?? filesDelay
        return plan
    }

    public var isEmpty: Bool { self == FaultPlan() }
}

// MARK: - Prompt markers

/// A malformed or unknown `[emulator:...]` marker.
struct MarkerError: Error, Equatable {
    let message: String
}

extension FaultPlan {
    /// Reads every `[emulator:name]` / `[emulator:name=value]` marker in a prompt. Returns the
    /// plan and the prompt with the markers removed.
    static func parse(prompt: String) throws(MarkerError) -> (plan: FaultPlan, cleanPrompt: String) {
        var plan = FaultPlan()
        var clean = ""
        var rest = Substring(prompt)
        while let open = rest.range(of: "[emulator:") {
            clean += rest[rest.startIndex..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "]") else {
                throw MarkerError(message: "unterminated emulator marker")
            }
            let body = rest[open.upperBound..<close]
            let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
            try plan.apply(marker: name, value: value)
            rest = rest[rest.index(after: close)...]
        }
        clean += rest
        let collapsed = clean.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return (plan, collapsed)
    }

    private mutating func apply(marker name: String, value: String?) throws(MarkerError) {
        func need() throws(MarkerError) -> String {
            guard let value, !value.isEmpty else { throw MarkerError(message: "emulator marker \(name) needs a value") }
            return value
        }
        func number() throws(MarkerError) -> Double {
            guard let number = Double(try need()), number >= 0, number.isFinite else {
                throw MarkerError(message: "emulator marker \(name) needs a number")
            }
            return number
        }
        func integer() throws(MarkerError) -> Int {
            guard let number = Int(try need()), number >= 0 else {
                throw MarkerError(message: "emulator marker \(name) needs a whole number")
            }
            return number
        }

        for endpoint in ["create", "get", "cancel"] where name.hasPrefix(endpoint + "_") {
            var fault = endpointFault(endpoint) ?? EndpointFault()
            switch name.dropFirst(endpoint.count + 1) {
            case "status": fault.status = try integer()
            case "times": fault.times = try integer()
            case "retry_after": fault.retryAfter = try need()
            case "delay": fault.delay = try number()
            case "detail": fault.detail = try need()
            default: throw MarkerError(message: "unknown emulator marker \(name)")
            }
            setEndpointFault(endpoint, fault)
            return
        }

        switch name {
        case "fail":
            outcome = .fail
            error = value.flatMap { $0.isEmpty ? nil : $0 }
        case "cancel": outcome = .cancel
        case "hang": outcome = .hang
        case "outputs": outputs = try integer()
        case "start_delay": startDelay = try number()
        case "processing_delay": processingDelay = try number()
        case "webhooks":
            guard let mode = WebhookMode(rawValue: try need()) else {
                throw MarkerError(message: "unknown webhooks mode \(value ?? "")")
            }
            webhooks = mode
        case "webhook_delay": webhookDelay = try number()
        case "files":
            guard let mode = FileMode(rawValue: try need()) else {
                throw MarkerError(message: "unknown files mode \(value ?? "")")
            }
            files = mode
        case "files_delay": filesDelay = try number()
        default:
            throw MarkerError(message: "unknown emulator marker \(name)")
        }
    }

    private func endpointFault(_ endpoint: String) -> EndpointFault? {
        switch endpoint {
        case "create": create
        case "get": get
        default: cancel
        }
    }

    private mutating func setEndpointFault(_ endpoint: String, _ fault: EndpointFault) {
        switch endpoint {
        case "create": create = fault
        case "get": get = fault
        default: cancel = fault
        }
    }
}
