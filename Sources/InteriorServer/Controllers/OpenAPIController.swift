import Foundation
import Vapor

/// `GET /openapi.json`: the OpenAPI document of this API as this instance serves it (dev-only
/// routes only in dev auth mode), as it is (it is not data of the API, so it is not wrapped in
/// the envelope).
enum OpenAPIController {
    /// The whole document, dev-only operations included.
    static let body = OpenAPIDocument.served(devAuth: true)
    private static let withoutDevOnly = OpenAPIDocument.served(devAuth: false)

    static func body(for auth: Settings.AuthMode) -> Data {
        if case .dev = auth { return body }
        return withoutDevOnly
    }

    @Sendable
    static func document(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: body(for: request.interior.settings.auth)))
    }
}
