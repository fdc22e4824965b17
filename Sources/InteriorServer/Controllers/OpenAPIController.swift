import Foundation
import Vapor

/// `GET /openapi.json`: the OpenAPI document of this API as this instance serves it (see
/// `OpenAPIDocument.served`), as it is (it is not data of the API, so it is not wrapped in the
/// envelope).
enum OpenAPIController {
    /// `openapi.yaml` as JSON, every operation included, before any instance's choices.
    static let body = OpenAPIDocument.served(.init(devAuth: true, validator: nil))

    @Sendable
    static func document(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: request.interior.runtime.current.openAPIDocument))
    }
}
