/// One value of a model's input, as JSON knows it. The adapter writes the first four;
/// `number` and `null` exist so an input read back from JSON (the emulator reads what the
/// client sent) can hold whatever a caller put there, for the profile to refuse.
public enum InputValue: Equatable, Sendable, Codable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case strings([String])
    case number(Double)
    case null

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .string(value): try container.encode(value)
        case let .int(value): try container.encode(value)
        case let .bool(value): try container.encode(value)
        case let .strings(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String].self) {
            self = .strings(value)
        } else {
            throw DecodingError.typeMismatch(
                InputValue.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a string, number, boolean, null or a list of strings")
            )
        }
    }
}

/// The `input` object of a Replicate prediction, in the order the profile wrote it.
/// Fields marked secret (an API key passed through to the model) are encoded for the
/// request but never shown by `description`, `debugDescription` or a mirror, so logging the
/// input cannot leak them.
public struct ModelInput: Equatable, Sendable, Codable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    public struct Field: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        public let key: String
        public let value: InputValue
        public let isSecret: Bool

        public init(key: String, value: InputValue, isSecret: Bool = false) {
            self.key = key
            self.value = value
            self.isSecret = isSecret
        }

        public var description: String {
            "\"\(key)\": " + (isSecret ? "\"[redacted]\"" : ModelInput.render(value))
        }

        public var debugDescription: String { "Field(\(description))" }

        public var customMirror: Mirror {
            Mirror(self, children: ["key": key, "value": isSecret ? "[redacted]" as Any : value as Any])
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = []
        for field in fields { set(field.key, field.value, secret: field.isSecret) }
    }

    public var keys: [String] { fields.map(\.key) }

    public subscript(key: String) -> InputValue? {
        fields.first { $0.key == key }?.value
    }

    /// Sets a field, replacing one of the same key in place.
    public mutating func set(_ key: String, _ value: InputValue, secret: Bool = false) {
        let field = Field(key: key, value: value, isSecret: secret)
        if let index = fields.firstIndex(where: { $0.key == key }) {
            fields[index] = field
        } else {
            fields.append(field)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for field in fields {
            try container.encode(field.value, forKey: FieldKey(field.key))
        }
    }

    /// Reads an input object from JSON, in the decoder's key order. Keys named like
    /// credentials (`openai_api_key`, `*token*`, `*secret*`, `*password*`) are marked secret,
    /// so a received input can be logged as safely as one the adapter wrote.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        fields = []
        for key in container.allKeys {
            let value = try container.decode(InputValue.self, forKey: key)
            fields.append(Field(key: key.stringValue, value: value, isSecret: Self.looksSecret(key.stringValue)))
        }
    }

    static func looksSecret(_ key: String) -> Bool {
        let name = key.lowercased()
        return ["key", "token", "secret", "password"].contains { name.contains($0) }
    }

    public var description: String {
        "{" + fields.map(\.description).joined(separator: ", ") + "}"
    }

    public var debugDescription: String { "ModelInput(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: fields.map { field in
            (label: field.key, value: field.isSecret ? "[redacted]" as Any : field.value as Any)
        }, displayStyle: .dictionary)
    }

    fileprivate static func render(_ value: InputValue) -> String {
        switch value {
        case let .string(text): quoted(text)
        case let .int(number): String(number)
        case let .bool(flag): String(flag)
        case let .strings(texts): "[" + texts.map(quoted).joined(separator: ", ") + "]"
        case let .number(number): String(number)
        case .null: "null"
        }
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private struct FieldKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
