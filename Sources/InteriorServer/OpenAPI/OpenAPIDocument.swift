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
        /// Its `security` (or the document's) names `bearerAuth`.
        var needsToken: Bool
        /// `x-interior-dev-only`: served in dev auth mode only.
        var devOnly: Bool
    }

    /// Every operation as `"METHOD /path"` (upper-case method, the document's path template).
    static func operations() -> [String: Operation] {
        let root = root()
        let paths = root["paths"] as? [String: Any] ?? [:]
        let defaultSecurity = root["security"] as? [[String: Any]] ?? []
        var operations: [String: Operation] = [:]
        for (path, item) in paths {
            for (method, value) in item as? [String: Any] ?? [:] {
                guard let operation = value as? [String: Any], operation["responses"] != nil else { continue }
                let security = operation["security"] as? [[String: Any]] ?? defaultSecurity
                operations["\(method.uppercased()) \(path)"] = Operation(
                    needsToken: security.contains { $0["bearerAuth"] != nil },
                    devOnly: operation["x-interior-dev-only"] as? Bool == true)
            }
        }
        return operations
    }
}
