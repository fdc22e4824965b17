import Vapor

/// `{success, data}` or `{success, error: {code, message, details}}` (SPEC §9): the shape of
/// every JSON response.
public struct Envelope<T: Encodable & Sendable>: Encodable, Sendable, AsyncResponseEncodable {
    public let success: Bool
    public let data: T

    public init(_ data: T) {
        self.success = true
        self.data = data
    }

    public func encodeResponse(for request: Request) async throws -> Response {
        try encodeResponse(status: .ok)
    }

    /// The response for `data` with a status other than 200 (202 Accepted on submit).
    public func encodeResponse(status: HTTPResponseStatus, headers: HTTPHeaders = [:]) throws -> Response {
        try JSONCoding.response(self, status: status, headers: headers)
    }
}

public struct ErrorBody: Codable, Sendable, Equatable {
    public let code: APIErrorCode
    public let message: String
    public let details: [String: String]?
}

/// The body of an error response; `data` is absent.
struct ErrorEnvelope: Codable, Sendable {
    let success: Bool
    let error: ErrorBody

    init(_ error: APIError) {
        self.success = false
        self.error = ErrorBody(code: error.code, message: error.message, details: error.details)
    }
}

/// `{success: true}` with no data, for acknowledgements (webhooks).
public struct Acknowledgement: Encodable, Sendable, AsyncResponseEncodable {
    public let success = true
    public init() {}

    public func encodeResponse(for request: Request) async throws -> Response {
        try JSONCoding.response(self, status: .ok)
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
