import FluentPostgresDriver
import Foundation
import InteriorCore
import Logging
import Storage

/// Everything the server is configured with (SPEC §3), read once at start-up and validated
/// as a whole: endpoints and secrets from the environment (and `.env`), product knobs from
/// the runtime config file. A bad value is a `ConfigError` naming the key.
public struct Settings: Sendable {
    public enum Deployment: String, Sendable, CaseIterable {
        case development, testing, production
    }

    public enum DatabaseLocation: Sendable, Equatable {
        case sqlite(path: String)
        case sqliteInMemory
        case postgres(url: Secret)
    }

    public enum StorageLocation: Sendable, Equatable {
        case local(root: URL)
        case s3(S3Configuration)
    }

    public enum AuthMode: Sendable, Equatable {
        /// Tokens minted by `interior token` with a secret generated into the data directory.
        case dev
        /// Supabase access tokens: HS256 with the project secret and/or ES256/RS256 from JWKS.
        case supabase(hs256Secret: Secret?, jwksURL: URL?)
    }

    public enum LogFormat: String, Sendable { case text, json }

    public struct Replicate: Sendable {
        /// Absent ⇒ the embedded emulator is used.
        public var token: Secret?
        public var baseURL: URL
        /// `REPLICATE_MODEL`: the id of `profile`.
        public var model: String
        public var webhookSecret: Secret?
        /// Where outputs may be downloaded from (`REPLICATE_OUTPUT_HOSTS`), by scheme, host and
        /// port; the emulator's own origin is added when it runs.
        public var outputOrigins: [OutputOrigin]
        /// The profile `REPLICATE_MODEL` names (built in, or from the runtime config).
        public var profile: ModelProfile = .nanoBanana
        /// The values of the environment variables the profile's secret inputs name
        /// (`OPENAI_API_KEY`), by variable; only those that are set.
        public var modelSecrets: [String: Secret] = [:]

        public var usesEmulator: Bool { token == nil }
    }

    public var deployment: Deployment
    public var host: String
    public var port: Int
    public var publicBaseURL: URL
    public var database: DatabaseLocation
    /// PostgreSQL connections this instance holds at most (`DATABASE_POOL_SIZE`). SQLite keeps
    /// its own rule: one connection per event loop.
    public var databasePoolSize: Int
    public var storage: StorageLocation
    public var publicBucket: String
    public var privateBucket: String
    /// Absent ⇒ a random key per start (outside production), so signed URLs die with the process.
    public var storageSigningSecret: Secret?
    public var publicAssetBaseURL: URL?
    public var replicate: Replicate
    public var auth: AuthMode
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// `/metrics` requires this bearer token when set; otherwise it answers loopback clients only.
    public var metricsToken: Secret?
    /// Where the dev auth secret and the default SQLite file and local storage live.
    public var dataDirectory: URL
    public var runtimeConfigPath: String?
    /// The runtime config file, watched for changes while the server runs.
    public var runtimeConfigURL: URL?
    /// The runtime config as read at start-up; what requests use is `RuntimeState`'s.
    public var runtime: RuntimeConfig
    /// The environment as read at start-up (a reloaded model profile may name a secret in it).
    public var environment: Environment
    /// The try-it page's files (`WEB_ROOT`, else found beside the executable); nil: not served.
    public var webRoot: URL?
    /// Where spans are exported (the `OTEL_` variables); nil: tracing is off.
    public var tracing: TracingSettings?

    public var isProduction: Bool { deployment == .production }

    /// Small enough that a few instances fit a small Supabase project's direct connections
    /// (docs/deploy.md has the arithmetic).
    public static let defaultDatabasePoolSize = 4
}

extension Settings {
    /// Reads and validates the configuration.
    /// - Parameters:
    ///   - environment: the process environment (the `.env` file in `workingDirectory` is
    ///     read beneath it).
    ///   - workingDirectory: where relative paths (`data/`, `config/`) are resolved.
    ///   - executable: where the running program is; the page's files are looked for near it.
    public static func load(environment processEnvironment: [String: String], workingDirectory: URL,
                            executable: URL? = Bundle.main.executableURL) throws(ConfigError) -> Settings {
        try Settings(Environment(process: processEnvironment, workingDirectory: workingDirectory),
                     workingDirectory: workingDirectory, executable: executable)
    }

    /// Each property once, in the order the checks run (the first bad value is the one reported).
    private init(_ environment: Environment, workingDirectory: URL, executable: URL?) throws(ConfigError) {
        let value = { (key: String) in environment(key) }
        let required = { (key: String) in value(key)! }  // the built-in defaults name it
        self.environment = environment
        deployment = try Self.parse("ENV", required("ENV"), as: Deployment.self, "development, testing or production")
        let production = deployment == .production
        host = required("HOST")
        port = try Self.number("PORT", required("PORT"), in: 0...65535)
        publicBaseURL = try Self.parseHTTPURL(value("PUBLIC_BASE_URL") ?? "http://127.0.0.1:\(port == 0 ? 8080 : port)", key: "PUBLIC_BASE_URL")

        database = try Self.parseDatabase(required("DATABASE_URL"), relativeTo: workingDirectory)
        databasePoolSize = try Self.number("DATABASE_POOL_SIZE", required("DATABASE_POOL_SIZE"), in: 1...100, "a whole number of connections")
        webRoot = try WebRoot.resolve(value("WEB_ROOT"), workingDirectory: workingDirectory, executable: executable)
        storage = try Self.parseStorage(required("STORAGE_URL"), relativeTo: workingDirectory,
                                        environment: ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "PUBLIC_ASSET_BASE_URL"].reduce(into: [:]) { $0[$1] = value($1) })
        publicBucket = try Self.parseBucket(required("STORAGE_PUBLIC_BUCKET"), key: "STORAGE_PUBLIC_BUCKET")
        privateBucket = try Self.parseBucket(required("STORAGE_PRIVATE_BUCKET"), key: "STORAGE_PRIVATE_BUCKET")
        if publicBucket == privateBucket {
            throw ConfigError("STORAGE_PRIVATE_BUCKET", "must differ from STORAGE_PUBLIC_BUCKET (uploads must never be public)")
        }
        storageSigningSecret = try Self.signingSecret("STORAGE_SIGNING_SECRET", value)
        if production, storageSigningSecret == nil, case .local = storage {
            throw ConfigError("STORAGE_SIGNING_SECRET", "required in production (a random key would break signed URLs on every restart)")
        }
        publicAssetBaseURL = try value("PUBLIC_ASSET_BASE_URL").map { raw throws(ConfigError) in try Self.parseHTTPURL(raw, key: "PUBLIC_ASSET_BASE_URL") }
        auth = try Self.parseAuth(value, production: production)
        logLevel = try Self.parse("LOG_LEVEL", required("LOG_LEVEL"), as: Logger.Level.self,
                                  "one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        logFormat = try Self.parse("LOG_FORMAT", value("LOG_FORMAT") ?? (production ? "json" : "text"), as: LogFormat.self, "text or json")

        (runtimeConfigPath, runtimeConfigURL, runtime) = try Self.loadRuntimeConfig(explicitPath: value("INTERIOR_CONFIG"), workingDirectory: workingDirectory)
        replicate = try Self.parseReplicate(value, production: production)
        try replicate.resolveModel(in: runtime, environment: environment)
        metricsToken = value("METRICS_TOKEN").map(Secret.init)
        dataDirectory = workingDirectory.appendingPathComponent("data", isDirectory: true)
        tracing = try TracingSettings.parse(value)
    }

    // MARK: - Parsers

    /// A value of a fixed set, matched ignoring case.
    private static func parse<T: RawRepresentable>(_ key: String, _ raw: String, as type: T.Type, _ allowed: String) throws(ConfigError) -> T where T.RawValue == String {
        guard let parsed = T(rawValue: raw.lowercased()) else { throw ConfigError(key, "must be \(allowed), not \"\(raw)\"") }
        return parsed
    }

    /// A whole number in `range`; `what` is how the message names it.
    private static func number(_ key: String, _ raw: String, in range: ClosedRange<Int>,
                               _ what: String = "a number") throws(ConfigError) -> Int {
        guard let number = Int(raw), range.contains(number) else {
            throw ConfigError(key, "must be \(what) between \(range.lowerBound) and \(range.upperBound), not \"\(raw)\"")
        }
        return number
    }

    /// A key that signs (URLs, tokens): at least 32 characters when set.
    private static func signingSecret(_ key: String, _ value: (String) -> String?) throws(ConfigError) -> Secret? {
        guard let raw = value(key) else { return nil }
        guard raw.utf8.count >= 32 else { throw ConfigError(key, "must be at least 32 characters") }
        return Secret(raw)
    }

    static func parseHTTPURL(_ raw: String, key: String) throws(ConfigError) -> URL {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ConfigError(key, "must be an absolute http(s) URL")
        }
        if url.query != nil || url.fragment != nil {
            throw ConfigError(key, "must not have a query or fragment")
        }
        // Stored without a trailing slash so paths can be appended uniformly.
        let text = url.absoluteString.hasSuffix("/") ? String(url.absoluteString.dropLast()) : url.absoluteString
        return URL(string: text)!
    }

    private static func parseDatabase(_ raw: String, relativeTo directory: URL) throws(ConfigError) -> DatabaseLocation {
        guard let schemeEnd = raw.range(of: "://") else {
            throw ConfigError("DATABASE_URL", "must look like sqlite://path or postgres://user:pass@host:5432/db")
        }
        let scheme = raw[..<schemeEnd.lowerBound].lowercased()
        let rest = String(raw[schemeEnd.upperBound...])
        switch scheme {
        case "sqlite":
            if rest == ":memory:" { return .sqliteInMemory }
            guard !rest.isEmpty, !rest.contains("?") else {
                throw ConfigError("DATABASE_URL", "sqlite needs a file path, e.g. sqlite://data/interior.sqlite")
            }
            let path = rest.hasPrefix("/") ? rest : directory.appendingPathComponent(rest).path
            return .sqlite(path: path)
        case "postgres", "postgresql":
            guard let url = URL(string: raw), let host = url.host, !host.isEmpty else {
                throw ConfigError("DATABASE_URL", "postgres URL needs a host")
            }
            guard url.path.count > 1 else {
                throw ConfigError("DATABASE_URL", "postgres URL needs a database name")
            }
            // The driver's own parse, here so its refusal is one line naming the key (its
            // error would carry the whole URL, password included).
            guard (try? SQLPostgresConfiguration(url: raw)) != nil else {
                throw ConfigError("DATABASE_URL", "the PostgreSQL driver refuses it (it needs user@host/database; tlsmode, if given, must be disable, prefer or require)")
            }
            return .postgres(url: Secret(raw))
        default:
            throw ConfigError("DATABASE_URL", "unsupported scheme \"\(scheme)\" (use sqlite or postgres)")
        }
    }

    private static func parseStorage(_ raw: String, relativeTo directory: URL, environment: [String: String]) throws(ConfigError) -> StorageLocation {
        let scheme = raw.range(of: "://").map { raw[..<$0.lowerBound].lowercased() }
        do throws(ConfigProblem) {
            if scheme == "file" { return .local(root: try LocalBlobStore.root(fromStorageURL: raw, workingDirectory: directory)) }
            if scheme == "s3" { return .s3(try S3Configuration.parse(storageURL: raw, environment: environment)) }
        } catch {
            throw ConfigError(error.key, error.message)
        }
        guard let scheme else { throw ConfigError("STORAGE_URL", "must look like file://data/storage or s3://?endpoint=...&region=...") }
        throw ConfigError("STORAGE_URL", "unsupported scheme \"\(scheme)\" (use file or s3)")
    }

    private static func parseBucket(_ raw: String, key: String) throws(ConfigError) -> String {
        let allowed = raw.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }
        guard allowed, (3...63).contains(raw.count), raw.first != "-", raw.first != "." else {
            throw ConfigError(key, "must be 3–63 lowercase letters, digits, '-' or '.'")
        }
        return raw
    }

    private static func parseReplicate(_ value: (String) -> String?, production: Bool) throws(ConfigError) -> Replicate {
        let token = value("REPLICATE_API_TOKEN").map(Secret.init)
        let baseURL = try parseHTTPURL(value("REPLICATE_BASE_URL")!, key: "REPLICATE_BASE_URL")
        let model = value("REPLICATE_MODEL")!.lowercased()
        let parts = model.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError("REPLICATE_MODEL", "must be owner/name, not \"\(model)\"")
        }
        let webhookSecret = value("REPLICATE_WEBHOOK_SECRET").map(Secret.init)
        if token != nil, webhookSecret == nil {
            throw ConfigError("REPLICATE_WEBHOOK_SECRET", "required when REPLICATE_API_TOKEN is set (GET /v1/webhooks/default/secret gives it)")
        }
        if let webhookSecret, !webhookSecret.value.hasPrefix("whsec_") {
            throw ConfigError("REPLICATE_WEBHOOK_SECRET", "must start with whsec_")
        }
        if production, token == nil {
            throw ConfigError("REPLICATE_API_TOKEN", "required in production (the emulator only runs outside production)")
        }
        var outputOrigins = [OutputOrigin.replicateDelivery]
        if let raw = value("REPLICATE_OUTPUT_HOSTS") {
            let entries = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if entries.isEmpty { throw ConfigError("REPLICATE_OUTPUT_HOSTS", "must list at least one host") }
            outputOrigins = try entries.map { entry throws(ConfigError) in
                guard let origin = OutputOrigin.parse(entry) else {
                    throw ConfigError("REPLICATE_OUTPUT_HOSTS", "\"\(entry)\" is not host, host:port or https://host[:port]")
                }
                if production, origin.scheme != "https" {
                    throw ConfigError("REPLICATE_OUTPUT_HOSTS", "\"\(entry)\": outputs are downloaded over https only in production")
                }
                return origin
            }
        }
        return Replicate(token: token, baseURL: baseURL, model: model, webhookSecret: webhookSecret, outputOrigins: outputOrigins)
    }

    private static func parseAuth(_ value: (String) -> String?, production: Bool) throws(ConfigError) -> AuthMode {
        let secret = try signingSecret("AUTH_JWT_SECRET", value)
        let jwksURL = try value("AUTH_JWKS_URL").map { raw throws(ConfigError) in try parseHTTPURL(raw, key: "AUTH_JWKS_URL") }
        let mode = value("AUTH_MODE")?.lowercased() ?? (secret == nil && jwksURL == nil ? "dev" : "supabase")
        switch mode {
        case "dev":
            if production { throw ConfigError("AUTH_MODE", "dev auth is refused when ENV=production") }
            return .dev
        case "supabase":
            if secret == nil, jwksURL == nil {
                throw ConfigError("AUTH_MODE", "supabase needs AUTH_JWT_SECRET or AUTH_JWKS_URL")
            }
            return .supabase(hs256Secret: secret, jwksURL: jwksURL)
        default:
            throw ConfigError("AUTH_MODE", "must be dev or supabase, not \"\(mode)\"")
        }
    }

    private static func loadRuntimeConfig(explicitPath: String?, workingDirectory: URL) throws(ConfigError) -> (String?, URL?, RuntimeConfig) {
        for candidate in explicitPath.map({ [$0] }) ?? ["config/runtime.json", "config/runtime.yaml", "config/runtime.yml"] {
            let url = candidate.hasPrefix("/") ? URL(fileURLWithPath: candidate) : workingDirectory.appendingPathComponent(candidate)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                if explicitPath != nil { throw ConfigError("INTERIOR_CONFIG", "cannot read \(candidate)") }
                continue
            }
            return (candidate, url, try RuntimeConfigFile.parse(data, source: candidate).get())
        }
        return (nil, nil, RuntimeConfig())
    }
}

extension Settings.Replicate {
    /// The profile `REPLICATE_MODEL` names in `runtime` and the secrets it is filled from; a
    /// required secret that is not set is refused (Replicate would refuse every prediction).
    mutating func resolveModel(in runtime: RuntimeConfig, environment: Settings.Environment) throws(ConfigError) {
        guard let found = runtime.modelProfile(named: model) else {
            let known = runtime.modelProfiles.map(\.id).joined(separator: ", ")
            throw ConfigError("REPLICATE_MODEL", "no profile for \"\(model)\" (known: \(known); add one under models in the runtime config)")
        }
        var secrets: [String: Secret] = [:]
        for secret in found.secrets {
            if let value = environment(secret.from, secret: true) {
                secrets[secret.from] = Secret(value)
            } else if secret.required {
                throw ConfigError(secret.from, "required by REPLICATE_MODEL \(found.id) (the model bills through it)")
            }
        }
        profile = found
        modelSecrets = secrets
    }
}
