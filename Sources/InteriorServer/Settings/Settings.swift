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
    public var databasePoolSize: Int = Settings.defaultDatabasePoolSize
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
    public var runtime: RuntimeConfig
    /// The try-it page's files (`WEB_ROOT`, else found beside the executable); nil: not served.
    public var webRoot: URL?

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
        let env = DotEnv.merged(over: processEnvironment, directory: workingDirectory)
        func value(_ key: String) -> String? {
            guard let raw = env[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let deployment: Deployment
        if let raw = value("ENV") {
            guard let parsed = Deployment(rawValue: raw.lowercased()) else {
                throw ConfigError("ENV", "must be development, testing or production, not \"\(raw)\"")
            }
            deployment = parsed
        } else {
            deployment = .development
        }
        let production = deployment == .production

        let host = value("HOST") ?? "127.0.0.1"
        let port = try parsePort(value("PORT"))
        let publicBaseURL = try parseHTTPURL(value("PUBLIC_BASE_URL") ?? "http://127.0.0.1:\(port == 0 ? 8080 : port)", key: "PUBLIC_BASE_URL")
        let dataDirectory = workingDirectory.appendingPathComponent("data", isDirectory: true)

        let database = try parseDatabase(value("DATABASE_URL") ?? "sqlite://data/interior.sqlite", relativeTo: workingDirectory)
        let databasePoolSize = try parsePoolSize(value("DATABASE_POOL_SIZE"))
        let webRoot = try WebRoot.resolve(value("WEB_ROOT"), workingDirectory: workingDirectory, executable: executable)
        let storage = try parseStorage(value("STORAGE_URL") ?? "file://data/storage", relativeTo: workingDirectory,
                                       environment: env.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty })
        let publicBucket = try parseBucket(value("STORAGE_PUBLIC_BUCKET") ?? "public", key: "STORAGE_PUBLIC_BUCKET")
        let privateBucket = try parseBucket(value("STORAGE_PRIVATE_BUCKET") ?? "private", key: "STORAGE_PRIVATE_BUCKET")
        if publicBucket == privateBucket {
            throw ConfigError("STORAGE_PRIVATE_BUCKET", "must differ from STORAGE_PUBLIC_BUCKET (uploads must never be public)")
        }
        let signingSecret = value("STORAGE_SIGNING_SECRET").map(Secret.init)
        if let signingSecret, signingSecret.value.utf8.count < 32 {
            throw ConfigError("STORAGE_SIGNING_SECRET", "must be at least 32 characters")
        }
        if production, signingSecret == nil, case .local = storage {
            throw ConfigError("STORAGE_SIGNING_SECRET", "required in production (a random key would break signed URLs on every restart)")
        }
        var publicAssetBaseURL: URL?
        if let raw = value("PUBLIC_ASSET_BASE_URL") {
            publicAssetBaseURL = try parseHTTPURL(raw, key: "PUBLIC_ASSET_BASE_URL")
        }

        let auth = try parseAuth(value, production: production)

        let logLevel: Logger.Level
        if let raw = value("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: raw.lowercased()) else {
                throw ConfigError("LOG_LEVEL", "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(raw)\"")
            }
            logLevel = parsed
        } else {
            logLevel = .info
        }
        let logFormat: LogFormat
        if let raw = value("LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: raw.lowercased()) else {
                throw ConfigError("LOG_FORMAT", "must be text or json, not \"\(raw)\"")
            }
            logFormat = parsed
        } else {
            logFormat = production ? .json : .text
        }

        let (runtimePath, runtime) = try loadRuntimeConfig(explicitPath: value("INTERIOR_CONFIG"), workingDirectory: workingDirectory)
        var replicate = try parseReplicate(value, production: production)
        try resolveModel(&replicate, runtime: runtime, value)

        var settings = Settings(
            deployment: deployment, host: host, port: port, publicBaseURL: publicBaseURL,
            database: database, storage: storage, publicBucket: publicBucket, privateBucket: privateBucket,
            storageSigningSecret: signingSecret, publicAssetBaseURL: publicAssetBaseURL,
            replicate: replicate, auth: auth, logLevel: logLevel, logFormat: logFormat,
            metricsToken: value("METRICS_TOKEN").map(Secret.init),
            dataDirectory: dataDirectory, runtimeConfigPath: runtimePath, runtime: runtime)
        settings.databasePoolSize = databasePoolSize
        settings.webRoot = webRoot
        return settings
    }

    // MARK: - Parsers

    private static func parsePort(_ raw: String?) throws(ConfigError) -> Int {
        guard let raw else { return 8080 }
        guard let port = Int(raw), (0...65535).contains(port) else {
            throw ConfigError("PORT", "must be a number between 0 and 65535, not \"\(raw)\"")
        }
        return port
    }

    private static func parsePoolSize(_ raw: String?) throws(ConfigError) -> Int {
        guard let raw else { return defaultDatabasePoolSize }
        guard let size = Int(raw), (1...100).contains(size) else {
            throw ConfigError("DATABASE_POOL_SIZE", "must be a whole number of connections between 1 and 100, not \"\(raw)\"")
        }
        return size
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
        do {
            switch scheme {
            case "file": return .local(root: try LocalBlobStore.root(fromStorageURL: raw, workingDirectory: directory))
            case "s3": return .s3(try S3Configuration.parse(storageURL: raw, environment: environment))
            case let scheme?: throw ConfigError("STORAGE_URL", "unsupported scheme \"\(scheme)\" (use file or s3)")
            case nil: throw ConfigError("STORAGE_URL", "must look like file://data/storage or s3://?endpoint=...&region=...")
            }
        } catch let problem as ConfigProblem {
            throw ConfigError(problem.key, problem.message)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError("STORAGE_URL", "could not be read")
        }
    }

    private static func parseBucket(_ raw: String, key: String) throws(ConfigError) -> String {
        let allowed = raw.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard allowed, (3...63).contains(raw.count), raw.first != "-", raw.first != "." else {
            throw ConfigError(key, "must be 3–63 lowercase letters, digits, '-' or '.'")
        }
        return raw
    }

    private static func parseReplicate(_ value: (String) -> String?, production: Bool) throws(ConfigError) -> Replicate {
        let token = value("REPLICATE_API_TOKEN").map(Secret.init)
        let baseURL = try parseHTTPURL(value("REPLICATE_BASE_URL") ?? "https://api.replicate.com/v1", key: "REPLICATE_BASE_URL")
        let model = (value("REPLICATE_MODEL") ?? ModelProfile.defaultModelID).lowercased()
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
            outputOrigins = []
            for entry in entries {
                guard let origin = OutputOrigin.parse(entry) else {
                    throw ConfigError("REPLICATE_OUTPUT_HOSTS", "\"\(entry)\" is not host, host:port or https://host[:port]")
                }
                if production, origin.scheme != "https" {
                    throw ConfigError("REPLICATE_OUTPUT_HOSTS", "\"\(entry)\": outputs are downloaded over https only in production")
                }
                outputOrigins.append(origin)
            }
            guard !outputOrigins.isEmpty else {
                throw ConfigError("REPLICATE_OUTPUT_HOSTS", "must list at least one host")
            }
        }
        return Replicate(token: token, baseURL: baseURL, model: model, webhookSecret: webhookSecret, outputOrigins: outputOrigins)
    }

    /// The profile `REPLICATE_MODEL` names and the secrets it is filled from; a required
    /// secret that is not set stops start-up (Replicate would refuse every prediction).
    private static func resolveModel(_ replicate: inout Replicate, runtime: RuntimeConfig, _ value: (String) -> String?) throws(ConfigError) {
        guard let profile = runtime.modelProfile(named: replicate.model) else {
            let known = runtime.modelProfiles.map(\.id).joined(separator: ", ")
            throw ConfigError("REPLICATE_MODEL", "no profile for \"\(replicate.model)\" (known: \(known); add one under models in the runtime config)")
        }
        replicate.profile = profile
        for secret in profile.secrets {
            if let found = value(secret.from) {
                replicate.modelSecrets[secret.from] = Secret(found)
            } else if secret.required {
                throw ConfigError(secret.from, "required by REPLICATE_MODEL \(profile.id) (the model bills through it)")
            }
        }
    }

    private static func parseAuth(_ value: (String) -> String?, production: Bool) throws(ConfigError) -> AuthMode {
        let secret = value("AUTH_JWT_SECRET").map(Secret.init)
        var jwksURL: URL?
        if let raw = value("AUTH_JWKS_URL") {
            jwksURL = try parseHTTPURL(raw, key: "AUTH_JWKS_URL")
        }
        if let secret, secret.value.utf8.count < 32 {
            throw ConfigError("AUTH_JWT_SECRET", "must be at least 32 characters")
        }
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

    private static func loadRuntimeConfig(explicitPath: String?, workingDirectory: URL) throws(ConfigError) -> (String?, RuntimeConfig) {
        let candidates: [String]
        if let explicitPath {
            candidates = [explicitPath]
        } else {
            candidates = ["config/runtime.json", "config/runtime.yaml", "config/runtime.yml"]
        }
        for candidate in candidates {
            let url = candidate.hasPrefix("/") ? URL(fileURLWithPath: candidate) : workingDirectory.appendingPathComponent(candidate)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                if explicitPath != nil { throw ConfigError("INTERIOR_CONFIG", "cannot read \(candidate)") }
                continue
            }
            do {
                return (candidate, try RuntimeConfig.parse(data, format: .init(path: candidate), source: candidate))
            } catch {
                throw error.key == candidate ? error : ConfigError("\(candidate): \(error.key)", error.message)
            }
        }
        return (nil, RuntimeConfig())
    }
}
