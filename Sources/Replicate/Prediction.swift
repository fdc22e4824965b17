import Foundation

/// The lifecycle of a Replicate prediction. The last four are terminal.
public enum PredictionStatus: String, Codable, Sendable, CaseIterable {
    case starting, processing, succeeded, failed, canceled, aborted

    public var isTerminal: Bool {
        switch self {
        case .starting, .processing: false
        case .succeeded, .failed, .canceled, .aborted: true
        }
    }
}

/// The events a webhook can be asked for (`webhook_events_filter`).
public enum WebhookEvent: String, Codable, Sendable, CaseIterable {
    case start, output, logs, completed
}

/// A prediction as Replicate's API returns it (create, get, cancel, and webhook bodies).
/// Fields Replicate adds later are ignored; `output` is normalised to a list of URLs.
public struct Prediction: Codable, Sendable, Equatable {
    public struct URLs: Codable, Sendable, Equatable {
        public var get: URL?
        public var cancel: URL?
        public var stream: URL?
        public var web: URL?

        public init(get: URL? = nil, cancel: URL? = nil, stream: URL? = nil, web: URL? = nil) {
            self.get = get
            self.cancel = cancel
            self.stream = stream
            self.web = web
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func url(_ key: CodingKeys) -> URL? {
                (try? container.decodeIfPresent(String.self, forKey: key)).flatMap { URL(string: $0) }
            }
            get = url(.get)
            cancel = url(.cancel)
            stream = url(.stream)
            web = url(.web)
        }
    }

    public var id: String
    /// `owner/name` of the model.
    public var model: String?
    public var version: String?
    public var status: PredictionStatus
    public var input: JSONValue?
    /// The output files. Replicate sends a list of URLs, a single URL, or `null`.
    public var output: [URL]
    /// The output exactly as sent, when it is something other than URLs (kept for logs).
    public var rawOutput: JSONValue?
    public var error: String?
    public var logs: String?
    public var metrics: [String: JSONValue]?
    public var urls: URLs?
    public var createdAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    /// Replicate deletes inputs and outputs an hour after a prediction ends.
    public var dataRemoved: Bool

    public init(
        id: String, model: String? = nil, version: String? = nil, status: PredictionStatus,
        input: JSONValue? = nil, output: [URL] = [], error: String? = nil, logs: String? = nil,
        metrics: [String: JSONValue]? = nil, urls: URLs? = nil, createdAt: Date? = nil,
        startedAt: Date? = nil, completedAt: Date? = nil, dataRemoved: Bool = false
    ) {
        self.id = id
        self.model = model
        self.version = version
        self.status = status
        self.input = input
        self.output = output
        self.rawOutput = nil
        self.error = error
        self.logs = logs
        self.metrics = metrics
        self.urls = urls
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.dataRemoved = dataRemoved
    }

    /// Seconds the model ran, when Replicate reported it.
    public var predictTime: Double? { metrics?["predict_time"]?.doubleValue }

    enum CodingKeys: String, CodingKey {
        case id, model, version, status, input, output, error, logs, metrics, urls
        case createdAt = "created_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
        case dataRemoved = "data_removed"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        status = try container.decode(PredictionStatus.self, forKey: .status)
        input = try container.decodeIfPresent(JSONValue.self, forKey: .input)
        let rawOutput = try container.decodeIfPresent(JSONValue.self, forKey: .output) ?? .null
        if let urls = Self.urls(in: rawOutput) {
            output = urls
            self.rawOutput = nil
        } else {
            output = []
            self.rawOutput = rawOutput
        }
        // A failed prediction's error is usually a string; anything else is kept as its JSON.
        switch try container.decodeIfPresent(JSONValue.self, forKey: .error) {
        case nil, .null?: error = nil
        case .string(let text)?: error = text
        case let other?: error = String(decoding: try JSONEncoder().encode(other), as: UTF8.self)
        }
        logs = try container.decodeIfPresent(String.self, forKey: .logs)
        metrics = try? container.decodeIfPresent([String: JSONValue].self, forKey: .metrics)
        urls = try? container.decodeIfPresent(URLs.self, forKey: .urls)
        createdAt = try Self.decodeDate(container, .createdAt)
        startedAt = try Self.decodeDate(container, .startedAt)
        completedAt = try Self.decodeDate(container, .completedAt)
        dataRemoved = try container.decodeIfPresent(Bool.self, forKey: .dataRemoved) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encode(status, forKey: .status)
        try container.encode(input ?? .null, forKey: .input)
        if let rawOutput {
            try container.encode(rawOutput, forKey: .output)
        } else if output.isEmpty {
            try container.encodeNil(forKey: .output)
        } else {
            try container.encode(output.map(\.absoluteString), forKey: .output)
        }
        try container.encode(error, forKey: .error)
        try container.encode(logs, forKey: .logs)
        try container.encodeIfPresent(metrics, forKey: .metrics)
        try container.encodeIfPresent(urls, forKey: .urls)
        try container.encode(createdAt.map(Timestamp.format), forKey: .createdAt)
        try container.encode(startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(dataRemoved, forKey: .dataRemoved)
    }

    /// The URLs an output holds, or `nil` when it is not (only) URLs.
    private static func urls(in output: JSONValue) -> [URL]? {
        func url(_ value: JSONValue) -> URL? {
            guard let text = value.stringValue, let url = URL(string: text),
                  let scheme = url.scheme?.lowercased(), ["http", "https", "data"].contains(scheme)
            else { return nil }
            return url
        }
        switch output {
        case .null: return []
        case .string: return url(output).map { [$0] }
        case .array(let items):
            let urls = items.compactMap(url)
            return urls.count == items.count ? urls : nil
        default: return nil
        }
    }

    private static func decodeDate(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key), !text.isEmpty else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 timestamp")
        }
        return date
    }
}
