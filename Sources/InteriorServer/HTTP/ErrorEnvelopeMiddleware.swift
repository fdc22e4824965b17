import InteriorCore
import InteriorAPI
import OpenAPIRuntime
import Vapor

/// The one place an error becomes a response: typed errors map to the codes of SPEC §9,
/// unknown errors to a generic 500 whose cause is logged with the request id, never shown.
struct ErrorEnvelopeMiddleware: AsyncMiddleware {
    /// Which methods each path answers, to tell 405 from 404.
    let allowedMethods: @Sendable (Request) -> [HTTPMethod]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error where ClientAbort.isConnectionFailure(error) {
            // Nobody is left to answer: a low line, and a 499 that no one reads.
            request.logger.debug("client closed the connection mid-request", metadata: ["error": "\(error)"])
            return Response(status: ClientAbort.status)
        } catch {
            let apiError = map(error, for: request)
            // A `ServerError` prints the whole request, headers (a bearer token) included: log its cause only.
            let cause = (error as? ServerError)?.underlyingError ?? error
            if apiError.code == .internalError {
                request.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: cause))"])
            } else if apiError.code.status.code >= 500 {
                request.logger.warning("request failed", metadata: ["code": "\(apiError.code.rawValue)", "error": "\(LoggedError.text(cause))"])
            }
            var headers = HTTPHeaders()
            for (name, value) in apiError.headers { headers.replaceOrAdd(name: name, value: value) }
            // No `Connection` header of ours: Vapor sets exactly one from the request, and after
            // an early answer it skips the unread rest of the body, so the connection stays usable.
            return try JSONCoding.response(Components.Schemas.ErrorEnvelope(apiError), status: apiError.code.status, headers: headers)
        }
    }

    private func map(_ error: any Error, for request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any APIErrorConvertible:
            return error.apiError
        case let error as ServerError:
            // A generated operation: what its handler threw, or why its request could not be decoded.
            return Self.map(generated: error, underlying: map(error.underlyingError, for: request), request: request)
        case is RouteNotFound:
            let methods = allowedMethods(request)
            if methods.isEmpty { return .notFound }
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            return APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; use \(allow).",
                            headers: ["Allow": allow])
        case let error as DecodingError:
            return DecodingFailure.apiError(for: error)
        case let error where DatabaseUnavailable.reason(error) != nil:
            // Busy or unreachable, not a fault: the work's own rules (one transaction per step)
            // hold as ever.
            return .databaseBusy
        case let error as any AbortError:
            return Self.map(abort: error)
        default:
            return .internalError
        }
    }

    /// The runtime's own refusals (a missing or malformed parameter, a body of the wrong type)
    /// are `RuntimeError`s we cannot name, so they are told apart by the status it gives them.
    /// A query or body it could not read is refused as the controllers refused it.
    private static func map(generated error: ServerError, underlying: APIError, request: Request) -> APIError {
        if error.httpStatus.code == 400, let operation = OpenAPIDocument.operationsById[error.operationID],
           let refusal = operation.refusal(query: (try? request.query.decode([String: String].self)) ?? [:], decoding: error.underlyingError) {
            return refusal
        }
        guard underlying.code == .internalError, error.httpStatus.code != 500 else { return underlying }
        switch error.httpStatus.code {
        case 415: return APIError(.unsupportedMediaType, "Send the request as application/json or multipart/form-data.")
        case 404: return .notFound
        case 400..<500: return APIError(.validationError, "The request could not be read: \(error.causeDescription)")
        default: return underlying
        }
    }

    /// Vapor's own aborts: body limits, content types, malformed requests.
    private static func map(abort: any AbortError) -> APIError {
        switch abort.status {
        case .payloadTooLarge:
            return APIError(.payloadTooLarge, "The request body is too large.")
        case .unsupportedMediaType:
            return APIError(.unsupportedMediaType, "Send the request as application/json or multipart/form-data.")
        case .notFound:
            return .notFound
        case .unauthorized:
            return .unauthorized
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, "Method not allowed.")
        case .badRequest, .unprocessableEntity:
            return APIError(.validationError, "The request could not be read: \(abort.reason)")
        case .tooManyRequests:
            return APIError(.rateLimited, "Too many requests. Please slow down.")
        default:
            return abort.status.code >= 500 ? .internalError : APIError(.validationError, abort.reason)
        }
    }
}

/// Errors of lower layers that know their API form (services, auth).
protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

/// Turns a JSON decoding failure into a message that names the field at fault.
enum DecodingFailure {
    static func apiError(for error: DecodingError) -> APIError {
        if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
            return .validation(field: "body", "The request body is not valid JSON.")
        }
        let (field, problem) = DecodingErrorText.describe(error, fallbackPath: "body")
        return .validation(field: field, "\(field) \(problem).")
    }
}
