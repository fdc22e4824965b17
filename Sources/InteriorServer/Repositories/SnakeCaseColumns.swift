import NIOConcurrencyHelpers
import SQLKit

/// SQLKit's `convertFromSnakeCase`, with each key's column name worked out once per process.
/// SQLKit converts every key of every row it decodes (Unicode property checks per
/// character); on the status read that was 12% of the server's CPU. The conversion itself is
/// still SQLKit's (through its query encoder), so the names cannot drift from it.
enum SnakeCaseColumns {
    static let strategy = SQLRowDecoder.KeyDecodingStrategy.custom { path in
        SomeCodingKey(stringValue: column(for: path.last?.stringValue ?? ""))
    }

    private static let known = NIOLockedValueBox<[String: String]>([:])

    static func column(for key: String) -> String {
        if let column = known.withLockedValue({ $0[key] }) { return column }
        let column = (try? SQLQueryEncoder(keyEncodingStrategy: .convertToSnakeCase).encode(OneKey(key: key)).first?.0) ?? key
        known.withLockedValue { $0[key] = column }
        return column
    }

    /// A model with one field named `key`, for the encoder to name.
    private struct OneKey: Encodable {
        let key: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: SomeCodingKey.self)
            try container.encode(0, forKey: SomeCodingKey(stringValue: key))
        }
    }
}
