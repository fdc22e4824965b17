import Vapor

/// The error codes of the API (SPEC §9), each with its HTTP status.
public enum APIErrorCode: String, Codable, Sendable, CaseIterable {
    case validationError = "VALIDATION_ERROR"
    case unauthorized = "UNAUTHORIZED"
    case limitExceeded = "LIMIT_EXCEEDED"
    case forbidden = "FORBIDDEN"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case tooManyInflight = "TOO_MANY_INFLIGHT"
    /// Cancel of a finished job, or retry of one that did not fail.
    case invalidState = "INVALID_STATE"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    /// The request body stopped arriving (`timeouts.requestBodyIdle`).
    case requestTimeout = "REQUEST_TIMEOUT"
    case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
    case idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
    case rateLimited = "RATE_LIMITED"
    case upstreamError = "UPSTREAM_ERROR"
    case internalError = "INTERNAL_ERROR"
    case serviceUnavailable = "SERVICE_UNAVAILABLE"

    public var status: HTTPResponseStatus {
        switch self {
        case .validationError: .badRequest
        case .unauthorized: .unauthorized
        case .limitExceeded: .paymentRequired
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .tooManyInflight, .invalidState: .conflict
        case .payloadTooLarge: .payloadTooLarge
        case .requestTimeout: .requestTimeout
        case .unsupportedMediaType: .unsupportedMediaType
        case .idempotencyKeyReused: .unprocessableEntity
        case .rateLimited: .tooManyRequests
        case .upstreamError: .badGateway
        case .internalError: .internalServerError
        case .serviceUnavailable: .serviceUnavailable
        }
    }
}

/// An error the API shows to its caller as it is. Everything else that reaches the error
/// middleware is mapped there, and anything unknown becomes a generic `INTERNAL_ERROR`.
public struct APIError: Error, Sendable, Equatable {
    public let code: APIErrorCode
    public let message: String
    public let details: [String: String]?
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public let headers: [String: String]

    public init(_ code: APIErrorCode, _ message: String, details: [String: String]? = nil, headers: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func validation(field: String, _ message: String) -> APIError {
        APIError(.validationError, message, details: ["field": field])
    }

    public static let unauthorized = APIError(
        .unauthorized, "Sign in again: the access token is missing, invalid or expired.",
        headers: ["WWW-Authenticate": "Bearer"])

    public static let notFound = APIError(.notFound, "Not found.")

    public static let internalError = APIError(
        .internalError, "Something went wrong on our side. Please try again.")
}
