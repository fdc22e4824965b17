import Foundation
import InteriorAPI
import OpenAPIRuntime
import Vapor

/// The operations of `openapi.yaml` that are served through the generated `APIProtocol`
/// (`InteriorAPI`'s generator config lists them). Each handler reads its request through the
/// generated input, calls the services as the controllers do, and returns the generated
/// response; it throws `APIError` for every refusal, which `ErrorEnvelopeMiddleware` turns
/// into the envelope. One extension per tag.
struct APIHandler: APIProtocol {
    /// The envelope's `success` of a 2xx answer.
    static let succeeded = true

    /// How the generated code encodes: as `JSONCoding` does for the Vapor routes (sorted keys,
    /// unescaped slashes, ISO 8601 dates in UTC without fractions).
    static let configuration = Configuration(dateTranscoder: ISO8601Dates(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}

/// The runtime's default transcoder formats with one `ISO8601DateFormatter` behind a lock,
/// which every answer in the process waits for; a format style is a value, with no lock.
struct ISO8601Dates: DateTranscoder {
    func encode(_ date: Date) throws -> String { date.formatted(.iso8601) }
    func decode(_ text: String) throws -> Date { try Date.ISO8601FormatStyle().parse(text) }
}

extension APIHandler {
    /// A value of ours as the document's enum: the document names every value the services
    /// can produce, so a miss is a document out of step with the code, a 500 that says which.
    static func value<T: RawRepresentable>(_ raw: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            throw DocumentMismatch(description: "\(raw) is not a value of \(T.self) in openapi.yaml")
        }
        return value
    }

    struct DocumentMismatch: Error, CustomStringConvertible {
        let description: String
    }
}
