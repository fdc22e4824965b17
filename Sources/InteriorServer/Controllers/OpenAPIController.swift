import Foundation
import Vapor

/// `GET /openapi.json`: the OpenAPI document of this API, served as it is (it is not data of
/// the API, so it is not wrapped in the envelope).
enum OpenAPIController {
    static let body = Data(OpenAPIDocument.json.utf8)

    @Sendable
    static func document(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: body))
    }
}
