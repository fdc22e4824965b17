import Foundation
import InteriorAPI
import Yams

/// The API's OpenAPI 3.1 document: `Sources/InteriorAPI/openapi.yaml`, the one description of
/// the API. The generator builds the types and the server protocol the handlers implement from
/// that file; this reads the same file (embedded in `InteriorAPI`) to serve it at
/// `GET /openapi.json`, with the instance's choices written in (`OpenAPIDocument+Instance`).
enum OpenAPIDocument {
    /// The document as a JSON object, every operation included.
    static func root() -> [String: Any] {
        do {
            // Dates are not a JSON type: a timestamp-looking scalar stays a string.
            let loaded = try Yams.load(yaml: OpenAPISource.yaml, Resolver.default.removing(.timestamp))
            guard let root = try json(loaded as Any) as? [String: Any] else { preconditionFailure("openapi.yaml is not a mapping") }
            return root
        } catch {
            // The generator has already parsed the same file at build time, so this cannot fail on a built binary.
            preconditionFailure("openapi.yaml does not parse: \(error)")
        }
    }

    /// What Yams loaded as the JSON value it stands for (its mappings have `AnyHashable` keys;
    /// quoted keys such as `'200'` are strings, and the document has no other kind).
    private static func json(_ value: Any) throws -> Any {
        switch value {
        case let mapping as [AnyHashable: Any]:
            var object: [String: Any] = [:]
            for (key, value) in mapping {
                guard let name = key.base as? String else { throw YamlError.representer(problem: "the key \(key) is not a string") }
                object[name] = try json(value)
            }
            return object
        case let sequence as [Any]:
            return try sequence.map(json)
        default:
            return value
        }
    }
}

extension OpenAPIDocument {
    /// What the document says an operation needs to be served.
    struct Operation: Sendable {
        var id: String
        /// Its `security` (or the document's) names `bearerAuth`.
        var needsToken: Bool
        /// `x-interior-dev-only`: served in dev auth mode only.
        var devOnly: Bool
        /// Its integer query parameters and their ranges (a page's `limit`).
        var wholeNumberQuery: [(name: String, range: ClosedRange<Int>)]
        /// It takes a JSON request body.
        var takesJSON: Bool

        /// The refusal of a request the generated decoder could not read, in the words the
        /// handlers use: the whole-number parameter that is not one or is out of its range,
        /// else a JSON body that is not the object the document names.
        func refusal(query: [String: String], decoding error: any Error) -> APIError? {
            for parameter in wholeNumberQuery {
                guard let text = query[parameter.name] else { continue }
                if let value = Int(text), parameter.range.contains(value) { continue }
                return .wholeNumber(field: parameter.name, parameter.range)
            }
            if takesJSON, error is DecodingError { return .validation(field: "body", "The request body must be a JSON object.") }
            return nil
        }
    }

    /// Every operation as `"METHOD /path"` (upper-case method, the document's path template).
    static let operations: [String: Operation] = {
        let root = OpenAPIDocument.root()
        let paths = root["paths"] as? [String: Any] ?? [:]
        let defaultSecurity = root["security"] as? [[String: Any]] ?? []
        let sharedParameters = (root["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        func resolved(_ parameter: Any) -> [String: Any] {
            guard let object = parameter as? [String: Any] else { return [:] }
            guard let reference = object["$ref"] as? String else { return object }
            return sharedParameters[String(reference.split(separator: "/").last ?? "")] as? [String: Any] ?? [:]
        }
        var operations: [String: Operation] = [:]
        for (path, item) in paths {
            for (method, value) in item as? [String: Any] ?? [:] {
                guard let operation = value as? [String: Any], operation["responses"] != nil else { continue }
                let security = operation["security"] as? [[String: Any]] ?? defaultSecurity
                let wholeNumbers = (operation["parameters"] as? [Any] ?? []).map(resolved).compactMap { parameter -> (String, ClosedRange<Int>)? in
                    let schema = parameter["schema"] as? [String: Any] ?? [:]
                    guard parameter["in"] as? String == "query", schema["type"] as? String == "integer",
                          let name = parameter["name"] as? String else { return nil }
                    return (name, (schema["minimum"] as? Int ?? .min)...(schema["maximum"] as? Int ?? .max))
                }
                operations["\(method.uppercased()) \(path)"] = Operation(
                    id: operation["operationId"] as? String ?? "",
                    needsToken: security.contains { $0["bearerAuth"] != nil },
                    devOnly: operation["x-interior-dev-only"] as? Bool == true,
                    wholeNumberQuery: wholeNumbers.map { (name: $0.0, range: $0.1) },
                    takesJSON: ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] != nil)
            }
        }
        return operations
    }()

    /// The operations by `operationId`.
    static let operationsById: [String: Operation] = Dictionary(operations.values.map { ($0.id, $0) }) { first, _ in first }
}
