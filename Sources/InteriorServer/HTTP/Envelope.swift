import InteriorAPI
import Vapor

/// `{success: false, error: {code, message, details}}` (SPEC §9): the body of every error
/// response, as `openapi.yaml`'s `ErrorEnvelope`.
extension Components.Schemas.ErrorEnvelope {
    init(_ error: APIError) {
        self.init(success: false, error: .init(code: error.code, message: error.message,
                                               details: error.details.map { .init(additionalProperties: $0) }))
    }
}

/// One JSON encoding for every response, independent of Vapor's process-wide content
/// configuration (the emulator shares the process and speaks Replicate's date format):
/// ISO 8601 dates, sorted keys so responses are stable.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponseStatus, headers: HTTPHeaders = [:]) throws -> Response {
        var headers = headers
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(data: try encoder.encode(value)))
    }
}
