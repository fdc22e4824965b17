import Configuration
import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

@Suite("Settings: environment, .env and the runtime config file")
struct SettingsTests {
    private func load(_ environment: [String: String], files: [String: String] = [:]) async throws -> Settings {
        try await withTemporaryDirectory { directory in
            for (path, text) in files {
                let url = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            return try Settings.load(environment: environment, workingDirectory: directory)
        }
    }

    private func failure(_ environment: [String: String], files: [String: String] = [:]) async -> String? {
        do {
            _ = try await load(environment, files: files)
            return nil
        } catch let error as ConfigError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("an empty environment gives the embedded defaults of SPEC §3")
    func defaults() async throws {
        let settings = try await load([:])
        #expect(settings.deployment == .development)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.publicBaseURL.absoluteString == "http://127.0.0.1:8080")
        guard case let .sqlite(path) = settings.database else { Issue.record("not sqlite"); return }
        #expect(path.hasSuffix("/data/interior.sqlite"))
        guard case let .local(root) = settings.storage else { Issue.record("not local"); return }
        #expect(root.path.hasSuffix("/data/storage"))
        #expect(settings.publicBucket == "public")
        #expect(settings.privateBucket == "private")
        #expect(settings.storageSigningSecret == nil)
        #expect(settings.replicate.usesEmulator)
        #expect(settings.replicate.baseURL.absoluteString == "https://api.replicate.com/v1")
        #expect(settings.replicate.model == "google/nano-banana")
        #expect(settings.replicate.profile == .nanoBanana)
        #expect(settings.replicate.outputOrigins == [.replicateDelivery])
        #expect(settings.auth == .dev)
        #expect(settings.logLevel == .info)
        #expect(settings.logFormat == .text)
        #expect(settings.runtime == RuntimeConfig())
        #expect(settings.runtimeConfigPath == nil)
        #expect(settings.databasePoolSize == 4)
    }

    @Test("a secret or JWKS URL switches auth to supabase")
    func supabaseAuthByDefault() async throws {
        let secret = String(repeating: "s", count: 40)
        #expect(try await load(["AUTH_JWT_SECRET": secret]).auth == .supabase(hs256Secret: Secret(secret), jwksURL: nil))
        let jwks = try await load(["AUTH_JWKS_URL": "https://x.supabase.co/auth/v1/.well-known/jwks.json"]).auth
        #expect(jwks == .supabase(hs256Secret: nil, jwksURL: URL(string: "https://x.supabase.co/auth/v1/.well-known/jwks.json")))
    }

    @Test("postgres URLs are accepted, with or without the long scheme")
    func postgres() async throws {
        for url in ["postgres://u:p@db.example.com:5432/interior", "postgresql://u:p@localhost/app?tlsmode=disable"] {
            guard case .postgres = try await load(["DATABASE_URL": url]).database else {
                Issue.record("\(url) not postgres"); continue
            }
        }
    }

    @Test("each bad value stops start-up with one line naming the key", arguments: [
        (["DATABASE_URL": "mysql://x/y"], "DATABASE_URL: unsupported scheme \"mysql\" (use sqlite or postgres)"),
        (["DATABASE_URL": "interior.sqlite"], "DATABASE_URL: must look like sqlite://path or postgres://user:pass@host:5432/db"),
        (["DATABASE_URL": "postgres://u:p@host:5432"], "DATABASE_URL: postgres URL needs a database name"),
        (["STORAGE_URL": "ftp://x"], "STORAGE_URL: unsupported scheme \"ftp\" (use file or s3)"),
        (["PORT": "http"], "PORT: must be a number between 0 and 65535, not \"http\""),
        (["PORT": "70000"], "PORT: must be a number between 0 and 65535, not \"70000\""),
        (["ENV": "staging"], "ENV: must be development, testing or production, not \"staging\""),
        (["PUBLIC_BASE_URL": "localhost:8080"], "PUBLIC_BASE_URL: must be an absolute http(s) URL"),
        (["PUBLIC_BASE_URL": "https://x.example/?a=1"], "PUBLIC_BASE_URL: must not have a query or fragment"),
        (["LOG_LEVEL": "loud"], "LOG_LEVEL: must be one of trace, debug, info, notice, warning, error, critical, not \"loud\""),
        (["LOG_FORMAT": "xml"], "LOG_FORMAT: must be text or json, not \"xml\""),
        (["AUTH_MODE": "magic"], "AUTH_MODE: must be dev or supabase, not \"magic\""),
        (["AUTH_MODE": "supabase"], "AUTH_MODE: supabase needs AUTH_JWT_SECRET or AUTH_JWKS_URL"),
        (["AUTH_JWT_SECRET": "short"], "AUTH_JWT_SECRET: must be at least 32 characters"),
        (["AUTH_JWKS_URL": "file:///etc/jwks"], "AUTH_JWKS_URL: must be an absolute http(s) URL"),
        (["STORAGE_PUBLIC_BUCKET": "Public_Bucket"], "STORAGE_PUBLIC_BUCKET: must be 3–63 lowercase letters, digits, '-' or '.'"),
        (["STORAGE_PRIVATE_BUCKET": "public"], "STORAGE_PRIVATE_BUCKET: must differ from STORAGE_PUBLIC_BUCKET (uploads must never be public)"),
        (["STORAGE_SIGNING_SECRET": "tiny"], "STORAGE_SIGNING_SECRET: must be at least 32 characters"),
        (["REPLICATE_API_TOKEN": "r8_x"], "REPLICATE_WEBHOOK_SECRET: required when REPLICATE_API_TOKEN is set (GET /v1/webhooks/default/secret gives it)"),
        (["REPLICATE_WEBHOOK_SECRET": "abc"], "REPLICATE_WEBHOOK_SECRET: must start with whsec_"),
        (["REPLICATE_MODEL": "gpt-image-1"], "REPLICATE_MODEL: must be owner/name, not \"gpt-image-1\""),
        (["REPLICATE_MODEL": "acme/painter"], "REPLICATE_MODEL: no profile for \"acme/painter\" (known: \(ModelProfile.builtIn.map(\.id).joined(separator: ", ")); add one under models in the runtime config)"),
        (["REPLICATE_MODEL": "openai/gpt-image-1"], "OPENAI_API_KEY: required by REPLICATE_MODEL openai/gpt-image-1 (the model bills through it)"),
        (["REPLICATE_BASE_URL": "api.replicate.com"], "REPLICATE_BASE_URL: must be an absolute http(s) URL"),
        (["REPLICATE_OUTPUT_HOSTS": "https://replicate.delivery/x"], "REPLICATE_OUTPUT_HOSTS: \"https://replicate.delivery/x\" is not host, host:port or https://host[:port]"),
        (["REPLICATE_OUTPUT_HOSTS": "*.replicate.delivery"], "REPLICATE_OUTPUT_HOSTS: \"*.replicate.delivery\" is not host, host:port or https://host[:port]"),
        (["REPLICATE_OUTPUT_HOSTS": "cdn.example:99999"], "REPLICATE_OUTPUT_HOSTS: \"cdn.example:99999\" is not host, host:port or https://host[:port]"),
        (["REPLICATE_OUTPUT_HOSTS": "ftp://cdn.example"], "REPLICATE_OUTPUT_HOSTS: \"ftp://cdn.example\" is not host, host:port or https://host[:port]"),
        (["REPLICATE_OUTPUT_HOSTS": " , "], "REPLICATE_OUTPUT_HOSTS: must list at least one host"),
        (["INTERIOR_CONFIG": "missing.json"], "INTERIOR_CONFIG: cannot read missing.json"),
        (["DATABASE_URL": "postgres://u:p@host:5432/db?tlsmode=sometimes"], "DATABASE_URL: the PostgreSQL driver refuses it (it needs user@host/database; tlsmode, if given, must be disable, prefer or require)"),
        (["DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE: must be a whole number of connections between 1 and 100, not \"0\""),
        (["DATABASE_POOL_SIZE": "101"], "DATABASE_POOL_SIZE: must be a whole number of connections between 1 and 100, not \"101\""),
        (["DATABASE_POOL_SIZE": "four"], "DATABASE_POOL_SIZE: must be a whole number of connections between 1 and 100, not \"four\""),
    ])
    func badValues(environment: [String: String], message: String) async {
        #expect(await failure(environment) == message)
    }

    @Test("REPLICATE_MODEL picks a built-in profile or one of the runtime config, with the secrets it names")
    func modelSelection() async throws {
        let gpt = try await load(["REPLICATE_MODEL": "OpenAI/GPT-Image-1.5", "OPENAI_API_KEY": "sk-live-1"])
        #expect(gpt.replicate.profile == .gptImage15)
        #expect(gpt.replicate.modelSecrets["OPENAI_API_KEY"]?.value == "sk-live-1")
        #expect(try await load(["REPLICATE_MODEL": "openai/gpt-image-1.5"]).replicate.modelSecrets.isEmpty, "optional: left out")
        #expect(try await load(["OPENAI_API_KEY": "sk-live-1"]).replicate.modelSecrets.isEmpty, "only the secrets the model names")
        let config = #"{"models": [{"id": "acme/painter", "images": {"field": "img", "list": false, "max": 1}, "quality": {"tiers": ["auto"]}, "output": "uri"}]}"#
        let custom = try await load(["REPLICATE_MODEL": "acme/painter"], files: ["config/runtime.json": config])
        #expect(custom.replicate.profile.id == "acme/painter")
        #expect(custom.replicate.profile.supportedModes == [.redesign, .staging])
    }

    @Test("production refuses dev auth, the emulator, and a random storage secret")
    func productionRefusals() async throws {
        let secret = String(repeating: "s", count: 40)
        #expect(await failure(["ENV": "production", "AUTH_MODE": "dev"]) == "STORAGE_SIGNING_SECRET: required in production (a random key would break signed URLs on every restart)")
        let base = ["ENV": "production", "STORAGE_SIGNING_SECRET": secret, "AUTH_JWT_SECRET": secret,
                    "REPLICATE_API_TOKEN": "r8_token", "REPLICATE_WEBHOOK_SECRET": "whsec_abc"]
        #expect(try await load(base).isProduction)
        #expect(await failure(base.merging(["AUTH_MODE": "dev"]) { $1 }) == "AUTH_MODE: dev auth is refused when ENV=production")
        #expect(await failure(base.filter { $0.key != "REPLICATE_API_TOKEN" }) == "REPLICATE_API_TOKEN: required in production (the emulator only runs outside production)")
        #expect(try await load(base).logFormat == .json)
    }

    @Test("secrets are redacted wherever settings are printed")
    func secretsRedacted() async throws {
        let secret = "super-secret-value-that-must-not-leak-0123"
        let settings = try await load(["AUTH_JWT_SECRET": secret, "STORAGE_SIGNING_SECRET": secret,
                                       "REPLICATE_API_TOKEN": "r8_leaky", "REPLICATE_WEBHOOK_SECRET": "whsec_leaky",
                                       "DATABASE_URL": "postgres://user:hunter2@db/app"])
        let printed = "\(settings) \(String(reflecting: settings))"
        for leak in [secret, "r8_leaky", "whsec_leaky", "hunter2"] {
            #expect(!printed.contains(leak), "\(leak) leaked")
        }
    }

    @Test("the configuration library's own access log redacts the secrets and shows the rest")
    func accessLogRedacts() async throws {
        let logs = LogCapture()
        let environment = Settings.Environment(
            process: ["AUTH_JWT_SECRET": "jwt-secret-value-0123456789abcdef", "DATABASE_URL": "postgres://u:hunter2@db/app", "PORT": "9191"],
            workingDirectory: nil, accessReporter: AccessLogger(logger: logs.logger(), level: .info))
        try await withTemporaryDirectory { directory in
            try Data("OPENAI_API_KEY=sk-dotenv-secret\n".utf8).write(to: directory.appendingPathComponent(".env"))
            let withFile = Settings.Environment(process: [:], workingDirectory: directory,
                                                accessReporter: AccessLogger(logger: logs.logger(), level: .info))
            #expect(withFile("OPENAI_API_KEY") == "sk-dotenv-secret")
        }
        #expect(environment("AUTH_JWT_SECRET") != nil)
        #expect(environment("DATABASE_URL") != nil)
        #expect(environment("PORT") == "9191")
        #expect(environment("HOST") == "127.0.0.1", "the built-in defaults are the last layer")
        let printed = logs.all.joined(separator: "\n")
        for leak in ["jwt-secret-value", "hunter2", "sk-dotenv-secret"] {
            #expect(!printed.contains(leak), "\(leak) leaked")
        }
        #expect(printed.components(separatedBy: "<REDACTED>").count - 1 >= 3, "\(printed)")
        #expect(printed.contains("9191") && printed.contains("127.0.0.1"))
    }

    @Test(".env is read, and the real environment wins over it")
    func dotEnv() async throws {
        let files = [".env": """
            # comment
            export PORT=9090
            HOST="0.0.0.0"
            LOG_LEVEL=debug # trailing comment
            STORAGE_PUBLIC_BUCKET='renders'
            """]
        let settings = try await load(["LOG_LEVEL": "warning"], files: files)
        #expect(settings.port == 9090)
        #expect(settings.host == "0.0.0.0")
        #expect(settings.logLevel == .warning)
        #expect(settings.publicBucket == "renders")
    }

    @Test("config/runtime.json overrides the built-in knobs it names and keeps the rest")
    func runtimeJSON() async throws {
        let settings = try await load([:], files: ["config/runtime.json": """
            {"limits": {"maxVariants": 2}, "plans": [{"id": "free", "label": "Free", "monthlyGenerations": 3}],
             "timeouts": {"stuckCutoff": 300}}
            """])
        #expect(settings.runtimeConfigPath == "config/runtime.json")
        #expect(settings.runtime.limits.maxVariants == 2)
        #expect(settings.runtime.limits.maxPromptLength == 1000)
        #expect(settings.runtime.plans.count == 1)
        #expect(settings.runtime.timeouts.stuckCutoff == 300)
        #expect(settings.runtime.timeouts.sweeperInterval == 60)
        #expect(settings.runtime.styles == RuntimeConfig.builtInStyles)
    }

    @Test("INTERIOR_CONFIG may name a YAML file")
    func runtimeYAML() async throws {
        let settings = try await load(["INTERIOR_CONFIG": "ops/knobs.yaml"], files: ["ops/knobs.yaml": """
            defaults:
              variants: 1
              aspectRatio: "3:2"
            limits:
              maxPromptLength: 500
            """])
        #expect(settings.runtime.defaults.variants == 1)
        #expect(settings.runtime.defaults.aspectRatio == .landscape)
        #expect(settings.runtime.limits.maxPromptLength == 500)
    }

    @Test("a bad runtime config names the file and the key", arguments: [
        ("{\"limits\": {\"maxVariant\": 2}}", "config/runtime.json: limits.maxVariant: unknown key"),
        ("{\"limits\": {\"maxVariants\": \"two\"}}", "config/runtime.json: limits.maxVariants: must be an integer"),
        ("{\"defaults\": {\"aspectRatio\": \"7:5\"}}", "config/runtime.json: defaults.aspectRatio: has an invalid value"),
        ("{\"models\": [{\"id\": \"acme/x\", \"quality\": {\"tiers\": [\"auto\"]}, \"output\": \"jpg\"}]}", "config/runtime.json: models[acme/x].output: has an invalid value"),
        ("{\"limits\": {\"maxVariants\": 0}}", "config/runtime.json: limits.maxVariants: must be between 1 and 10"),
        ("{\"defaultPlanId\": \"gold\"}", "config/runtime.json: defaultPlanId: \"gold\" is not one of plans"),
        ("[1, 2]", "config/runtime.json: must be an object at the top level"),
        ("{not json", "config/runtime.json: not valid JSON"),
    ])
    func badRuntimeConfig(text: String, message: String) async {
        #expect(await failure([:], files: ["config/runtime.json": text]) == message)
    }
}
