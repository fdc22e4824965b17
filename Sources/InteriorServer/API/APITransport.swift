import Foundation
import HTTPTypes
import OpenAPIRuntime
import Vapor

/// Puts the generated operations on Vapor. Each goes behind what `openapi.yaml` says it needs
/// — a bearer token where its `security` names `bearerAuth`, nothing where it is `[]`; a
/// dev-only operation is left out outside dev auth — so the document, not a second list here,
/// decides which routes are signed in.
///
/// It registers plain Vapor routes itself rather than through `OpenAPIVapor.VaporTransport`:
/// the JSON operations' bodies are small, so a request body is collected under Vapor's own
/// limit (the 413 every collected route gives) and an empty one is no body at all (the dev
/// sign-in's body is optional), and an answer is written as one buffer rather than streamed
/// through a task per response.
struct APITransport: ServerTransport {
    let open: any RoutesBuilder
    let signedIn: any RoutesBuilder
    let devAuth: Bool
    private let operations: [String: OpenAPIDocument.Operation]

    init(open: any RoutesBuilder, signedIn: any RoutesBuilder, devAuth: Bool) {
        self.open = open
        self.signedIn = signedIn
        self.devAuth = devAuth
        self.operations = OpenAPIDocument.operations
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
        let components = Self.components(path)
        let parameters = components.compactMap { component -> String? in
            if case let .parameter(name) = component { name } else { nil }
        }
        (operation.needsToken ? signedIn : open).on(HTTPMethod(rawValue: method.rawValue), components, body: .collect) { request in
            let metadata = ServerRequestMetadata(pathParameters: Dictionary(uniqueKeysWithValues: parameters.map {
                ($0, Substring(request.parameters.get($0) ?? ""))
            }))
            let (response, body) = try await CurrentRequest.$value.withValue(request) {
                try await handler(Self.request(request, method: method), request.body.data.flatMap(Self.body), metadata)
            }
            return try await Self.response(response, body)
        }
    }

    /// `/api/v1/generations/{id}` as Vapor's path components.
    private static func components(_ path: String) -> [PathComponent] {
        path.split(separator: "/").map { part in
            part.first == "{" && part.last == "}" ? .parameter(String(part.dropFirst().dropLast())) : .constant(String(part))
        }
    }

    private static func request(_ request: Request, method: HTTPRequest.Method) -> HTTPRequest {
        var fields = HTTPFields()
        for (name, value) in request.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HTTPRequest(method: method, scheme: nil, authority: nil,
                           path: request.url.path + (request.url.query.map { "?\($0)" } ?? ""), headerFields: fields)
    }

    /// A collected body that is empty is no body: the runtime then sees an absent optional body.
    private static func body(_ buffer: ByteBuffer) -> HTTPBody? {
        buffer.readableBytes == 0 ? nil : HTTPBody(buffer.readableBytesView)
    }

    /// The generated answers are small JSON documents: collected and written as one buffer.
    private static func response(_ response: HTTPResponse, _ body: HTTPBody?) async throws -> Response {
        var headers = HTTPHeaders()
        for field in response.headerFields { headers.add(name: field.name.rawName, value: field.value) }
        var buffer = ByteBuffer()
        if let body {
            for try await chunk in body { buffer.writeBytes(chunk) }
        }
        return Response(status: .init(statusCode: response.status.code), headers: headers, body: .init(buffer: buffer))
    }
}

/// The Vapor request an operation is answering, for handlers that need more than the generated
/// input carries (the services are built from it, the user comes from its auth).
enum CurrentRequest {
    @TaskLocal static var value: Request?

    static var request: Request {
        guard let value else { preconditionFailure("an API handler ran outside APITransport") }
        return value
    }
}
