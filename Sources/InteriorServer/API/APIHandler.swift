import InteriorAPI
import Vapor

/// The operations of `openapi.yaml` that are served through the generated `APIProtocol`
/// (`InteriorAPI`'s generator config lists them). Each handler reads its request through the
/// generated input, calls the services as the controllers do, and returns the generated
/// response; it throws `APIError` for every refusal, which `ErrorEnvelopeMiddleware` turns
/// into the envelope. One extension per tag.
struct APIHandler: APIProtocol {
    /// The envelope's `success` of a 2xx answer.
    static let succeeded = true
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
