/// A configuration value that stops the process at start-up. Its description is the one
/// line an operator sees: the key, then what is wrong with it. It never carries a secret's
/// value, only its name.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public let key: String
    public let message: String

    public init(_ key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }

    /// The same error named under a file (`config/runtime.json: limits.maxVariants`), unless
    /// it already is.
    public func within(_ source: String) -> ConfigError {
        key == source || key.hasPrefix("\(source): ") ? self : ConfigError("\(source): \(key)", message)
    }
}
