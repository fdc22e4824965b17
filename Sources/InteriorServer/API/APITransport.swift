import Foundation
import HTTPTypes
import OpenAPIRuntime
import OpenAPIVapor
import Vapor

/// Puts the generated operations on Vapor. Each goes behind what `openapi.yaml` says it needs
/// — a bearer token where its `security` names `bearerAuth`, nothing where it is `[]`; a
/// dev-only operation is left out outside dev auth — so the document, not a second list here,
/// decides which routes are signed in. Bodies are read as streams by the transport, so the
/// request body limit that Vapor applies to collected bodies is applied here.
struct APITransport: ServerTransport {
    let open: any RoutesBuilder
    let signedIn: any RoutesBuilder
    let devAuth: Bool
    let maxBodyBytes: Int
    private let operations: [String: OpenAPIDocument.Operation]

    init(open: any RoutesBuilder, signedIn: any RoutesBuilder, devAuth: Bool, maxBodyBytes: Int) {
        self.open = open
        self.signedIn = signedIn
        self.devAuth = devAuth
        self.maxBodyBytes = maxBodyBytes
        self.operations = OpenAPIDocument.operations()
    }

    func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        let key = "\(method.rawValue) \(path)"
        guard let operation = operations[key] else {
            preconditionFailure("\(key) is generated but not in the document")
        }
        if operation.devOnly && !devAuth { return }
        let limit = maxBodyBytes
        let limited: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?) = { request, body, metadata in
            try await handler(request, try body.map { try $0.limited(to: limit) }, metadata)
        }
        try VaporTransport(routesBuilder: operation.needsToken ? signedIn : open).register(limited, method: method, path: path)
    }
}

extension HTTPBody {
    /// This body, refused with 413 once it is longer than `limit` bytes: at once when its
    /// declared length says so, else when the bytes read pass it.
    fileprivate func limited(to limit: Int) throws -> HTTPBody {
        if case let .known(length) = length, length > limit { throw Abort(.payloadTooLarge) }
        let source = self
        let stream = AsyncThrowingStream<ArraySlice<UInt8>, any Error> { continuation in
            let task = Task {
                do {
                    var total = 0
                    for try await chunk in source {
                        total += chunk.count
                        if total > limit { throw Abort(.payloadTooLarge) }
                        continuation.yield(chunk)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return HTTPBody(stream, length: length, iterationBehavior: .single)
    }
}

/// The Vapor request an operation is answering, for handlers that need more than the generated
/// input carries (the services are built from it, the user comes from its auth).
enum CurrentRequest {
    @TaskLocal static var value: Request?

    static var request: Request {
        guard let value else { preconditionFailure("an API handler ran outside CurrentRequest.Middleware") }
        return value
    }

    struct Middleware: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            try await CurrentRequest.$value.withValue(request) { try await next.respond(to: request) }
        }
    }
}
