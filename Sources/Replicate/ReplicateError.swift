/// What can go wrong talking to Replicate. Messages never carry the API token.
public enum ReplicateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Replicate answered with a non-2xx status; `detail` comes from the problem body
    /// (`detail`, else `title`, else the raw text, truncated).
    case http(status: Int, detail: String)
    /// The connection failed (refused, reset, DNS, TLS, closed early).
    case transport(String)
    /// One request took longer than the per-request timeout.
    case timeout
    /// The whole call, retries included, ran out of its total deadline.
    case deadlineExceeded
    /// Replicate answered 2xx with a body that is not what the API documents.
    case invalidResponse(String)
    /// The call could not be made as asked (bad model name, input that cannot be encoded).
    case invalidRequest(String)
    /// The calling task was cancelled.
    case cancelled

    /// The HTTP status, when Replicate answered.
    public var status: Int? {
        if case .http(let status, _) = self { return status }
        return nil
    }

    /// Whether the same call could succeed later: rate limits, server errors (but not 501),
    /// connection failures and timeouts.
    public var isRetryable: Bool {
        switch self {
        case .http(let status, _): status == 429 || (status >= 500 && status != 501)
        case .transport, .timeout, .deadlineExceeded: true
        case .invalidResponse, .invalidRequest, .cancelled: false
        }
    }

    public var description: String {
        switch self {
        case .http(let status, let detail): "Replicate answered \(status): \(detail)"
        case .transport(let reason): "Could not reach Replicate: \(reason)"
        case .timeout: "Replicate did not answer in time"
        case .deadlineExceeded: "Replicate did not answer successfully before the deadline"
        case .invalidResponse(let reason): "Replicate sent an unexpected response: \(reason)"
        case .invalidRequest(let reason): "Invalid Replicate request: \(reason)"
        case .cancelled: "The Replicate request was cancelled"
        }
    }
}
