import Configuration
import Foundation
import InteriorCore

extension Settings {
    /// The environment as configuration: the process environment over the `.env` file over the
    /// built-in defaults, one provider each in a `ConfigReader`. A blank value counts as unset.
    /// Secrets are marked where they enter, so the library's access reports redact them, and
    /// this value prints as nothing (its reader holds every variable).
    public struct Environment: Sendable, CustomStringConvertible, CustomReflectable {
        private let reader: ConfigReader

        /// - Parameters:
        ///   - workingDirectory: where the `.env` file is; nil: none is read.
        ///   - accessReporter: told of every read (the library's `CONFIG_ACCESS_LOG_FILE` is too).
        init(process: [String: String], workingDirectory: URL?, accessReporter: (any AccessReporter)? = nil) {
            let file = workingDirectory.flatMap { FileManager.default.contents(atPath: $0.appendingPathComponent(".env").path) }
            let layers = [process, file.map { DotEnv.parse(String(decoding: $0, as: UTF8.self)) } ?? [:]]
            let providers: [any ConfigProvider] = layers.map { variables in
                EnvironmentVariablesProvider(environmentVariables: variables.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty },
                                             secretsSpecifier: .dynamic { name, _ in Self.isSecret(name) })
            }
            reader = ConfigReader(providers: providers + [InMemoryProvider(name: "built-in defaults", values: Self.defaults)],
                                  accessReporter: accessReporter)
        }

        /// The value of the variable `name`, trimmed; nil when it is unset or blank.
        public func callAsFunction(_ name: String, secret: Bool = false) -> String? {
            reader.string(forKey: ConfigKey([name]), isSecret: secret || Self.isSecret(name))?.trimmingCharacters(in: .whitespaces)
        }

        /// The variables that have a default (docs/configuration.md lists them all).
        static let defaults: [AbsoluteConfigKey: ConfigValue] = [
            "ENV": "development", "HOST": "127.0.0.1", "PORT": "8080",
            "DATABASE_URL": "sqlite://data/interior.sqlite", "DATABASE_POOL_SIZE": .init(.string("\(Settings.defaultDatabasePoolSize)"), isSecret: false),
            "STORAGE_URL": "file://data/storage", "STORAGE_PUBLIC_BUCKET": "public", "STORAGE_PRIVATE_BUCKET": "private",
            "REPLICATE_BASE_URL": "https://api.replicate.com/v1", "REPLICATE_MODEL": .init(.string(ModelProfile.defaultModelID), isSecret: false),
            "LOG_LEVEL": "info",
        ]

        /// Tokens, keys, passwords, and the database URL (it carries one).
        static func isSecret(_ name: String) -> Bool {
            name == "DATABASE_URL" || ["SECRET", "TOKEN", "PASSWORD", "_KEY"].contains { name.contains($0) }
        }

        public var description: String { "<environment>" }
        public var customMirror: Mirror { Mirror(self, children: []) }
    }
}

/// Reads a `.env` file: `KEY=value` lines, `#` comments, optional `export ` prefix, values
/// optionally in single or double quotes. (The library's own reader takes neither quotes nor
/// `export`, which `.env` files written for other tools use.)
enum DotEnv {
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty { values[key] = value }
        }
        return values
    }
}
