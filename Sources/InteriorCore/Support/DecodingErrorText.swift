import Yams

/// Human text for a `DecodingError`: which key is wrong and what was expected. Shared by the
/// runtime config loader and the API's request decoding so both speak alike.
public enum DecodingErrorText {
    /// `limits.maxVariants`, `plans[2].id`; `fallback` when the path is empty.
    public static func path(_ keys: [any CodingKey], fallback: String) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? fallback : text
    }

    /// "an integer", "a string", ... for the type a decoder expected.
    public static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        // What JSONDecoder and Yams name an object and a single value by.
        case is [String: Any].Type, is Node.Mapping.Type: "an object"
        case is Node.Scalar.Type: "a single value"
        default: type is any Collection.Type ? "a list" : "an object"
        }
    }

    /// The key at fault and what is wrong with it.
    public static func describe(_ error: DecodingError, fallbackPath: String) -> (path: String, problem: String) {
        switch error {
        case let .typeMismatch(type, context):
            return (path(context.codingPath, fallback: fallbackPath), "must be \(expectation(type))")
        case let .valueNotFound(type, context):
            return (path(context.codingPath, fallback: fallbackPath), "must be \(expectation(type)), not null")
        case let .keyNotFound(key, context):
            return (path(context.codingPath + [key], fallback: fallbackPath), "is required")
        case let .dataCorrupted(context):
            // Unknown enum raw values land here ("4:3" as an aspect ratio), as does malformed input.
            return (path(context.codingPath, fallback: fallbackPath), context.codingPath.isEmpty ? "is not readable" : "has an invalid value")
        @unknown default:
            return (fallbackPath, "is not readable")
        }
    }
}
