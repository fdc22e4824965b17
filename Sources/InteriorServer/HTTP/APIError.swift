import InteriorAPI
import Vapor

/// The error codes of the API (SPEC §9): `ErrorCode` of `openapi.yaml`, each with its HTTP
/// status. A code added to the document does not compile until it has one here.
public typealias APIErrorCode = Components.Schemas.ErrorCode

extension APIErrorCode {
    public var status: HTTPResponseStatus {
        switch self {
        case .validationError: .badRequest
        case .unauthorized: .unauthorized
        case .limitExceeded: .paymentRequired
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        // Another job in flight; cancel of a finished job, or retry of one that did not fail.
        case .tooManyInflight, .invalidState: .conflict
        case .payloadTooLarge: .payloadTooLarge
        // The request body stopped arriving (`timeouts.requestBodyIdle`).
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

    /// A whole-number parameter (a page's `limit`) that is not one, or not in its range.
    static func wholeNumber(field: String, _ range: ClosedRange<Int>) -> APIError {
        .validation(field: field, "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
    }

    public static let unauthorized = APIError(
        .unauthorized, "Sign in again: the access token is missing, invalid or expired.",
        headers: ["WWW-Authenticate": "Bearer"])

    public static let notFound = APIError(.notFound, "Not found.")

    public static let databaseBusy = APIError(
        .serviceUnavailable, "The service is busy. Please try again in 2 s.", headers: ["Retry-After": "2"])

    public static let internalError = APIError(
        .internalError, "Something went wrong on our side. Please try again.")
}
