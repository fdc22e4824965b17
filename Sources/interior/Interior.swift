import ArgumentParser
import Foundation
import Imaging
import InteriorCore
import InteriorServer
import Logging
import Metrics
import Prometheus
import Replicate
import ReplicateEmulator
import Vapor

@main
struct Interior: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interior",
        abstract: "Interior — the generation engine of an AI interior-design app.",
        subcommands: [Serve.self, Migrate.self, Sweep.self, Token.self, Plan.self, Credit.self, StorageCommand.self, Emulator.self],
        defaultSubcommand: Serve.self)

    /// ArgumentParser's own `main`, with libvips released before the process exits however
    /// the command ended (see `ImagingRuntime.shutdown`).
    static func main() async {
        ImagingRuntime.limitMallocArenas()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            ImagingRuntime.shutdown()
        } catch {
            ImagingRuntime.shutdown()
            exit(withError: error)
        }
    }
}

/// Ends the process, releasing libvips first.
func exitProcess(_ status: Int32) -> Never {
    ImagingRuntime.shutdown()
    Foundation.exit(status)
}

/// Loads the settings or stops the process with one line naming the key at fault.
func loadSettingsOrExit() -> Settings {
    do {
        let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return try Settings.load(environment: ProcessInfo.processInfo.environment, workingDirectory: directory)
    } catch {
        FileHandle.standardError.write(Data("interior: configuration error: \(error)\n".utf8))
        exitProcess(78)  // EX_CONFIG
    }
}

func bootstrapLogging(_ settings: Settings) {
    let level = settings.logLevel
    LoggingSystem.bootstrap { label in
        var handler: any LogHandler = switch settings.logFormat {
        case .json: JSONLogHandler(label: label)
        case .text: StreamLogHandler.standardOutput(label: label)
        }
        handler.logLevel = level
        return handler
    }
}

/// A Vapor application running `command` (Vapor's own command line is not used: ours is).
func makeApplication(_ settings: Settings, command: String) async throws -> Application {
    let environment = Environment(name: settings.deployment.rawValue, arguments: ["interior", command])
    return try await Application.make(environment)
}

extension Interior {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the API (migrating first outside production).")

        func run() async throws {
            let settings = startCommand()
            // Vapor's own HTTP metrics and ours share one registry, served at /metrics.
            let metrics = InteriorMetrics()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
            do {
                try await withApplication(settings, command: "serve", replicate: .live, metrics: metrics, backgroundWork: true) { app in
                    try await Operations.checkStorageAtStartup(app)
                    app.logger.notice("Interior listening on \(settings.publicBaseURL.absoluteString)")
                    try await app.execute()
                }
            } catch {
                Logger(label: "interior").critical("could not start: \(StartupFailure.line(for: error, settings: settings))")
                throw ExitCode.failure
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the database migrations.")

        func run() async throws {
            let settings = startCommand()
            do {
                try await withApplication(settings, command: "migrate", migrations: .always) { app in
                    app.logger.notice("database is up to date")
                }
            } catch {
                Logger(label: "interior").critical("could not migrate: \(StartupFailure.line(for: error, settings: settings))")
                throw ExitCode.failure
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a dev-mode access token for a user (AUTH_MODE=dev only).")

        @ArgumentParser.Option(help: "The user's id (a UUID).")
        var user: String

        @ArgumentParser.Option(help: "The user's email, carried in the token.")
        var email: String?

        @ArgumentParser.Option(help: "Lifetime in seconds.")
        var ttl: Int = 3600

        func validate() throws {
            guard UUID(uuidString: user) != nil else { throw ArgumentParser.ValidationError("--user must be a UUID") }
            guard (1...31_536_000).contains(ttl) else { throw ArgumentParser.ValidationError("--ttl must be between 1 second and 1 year") }
        }

        func run() async throws {
            let settings = loadSettingsOrExit()
            guard case .dev = settings.auth else {
                throw CommandFailure("tokens can be minted only in dev auth mode (AUTH_MODE=dev, not in production)")
            }
            let secret = try DevAuth.loadOrCreateSecret(in: settings.dataDirectory)
            let token = try await DevAuth.mintToken(secret: secret, user: UUID(uuidString: user)!, email: email,
                                                    ttl: TimeInterval(ttl), now: Date())
            print(token)
        }
    }
}

/// Which Replicate a command's application talks to.
enum ReplicateReach {
    /// The configured one — the embedded emulator, started here, when no token is set.
    case live
    /// The configured one, but an embedded emulator already running on the data directory (a
    /// running `interior serve`'s) is used rather than a second one: a command that polls must
    /// ask the emulator that knows the predictions, or every poll would answer 404.
    case liveSharingEmulator
    /// None: the command never calls Replicate, so no emulator is started for it.
    case offline
}

/// Runs `body` against the application configured for `command`, then shuts it (and the
/// emulator it started) down however `body` ends.
func withApplication(_ settings: Settings, command: String, replicate: ReplicateReach = .offline,
                     metrics: InteriorMetrics? = nil, backgroundWork: Bool = false,
                     migrations: MigrationPolicy = .automaticOutsideProduction,
                     _ body: (Application) async throws -> Void) async throws {
    let emulator = replicate == .offline ? nil : try await startEmulatorIfNeeded(settings, share: replicate == .liveSharingEmulator)
    let connection = replicate == .offline ? offlineReplicate(settings) : emulator?.connection
    let app = try await makeApplication(settings, command: command)
    do {
        try await configure(app, settings: settings,
                            dependencies: Dependencies(replicate: connection, metrics: metrics, backgroundWork: backgroundWork),
                            migrations: migrations)
        try await body(app)
    } catch {
        try? await app.asyncShutdown()
        await emulator?.running?.shutdown()
        throw error
    }
    try await app.asyncShutdown()
    await emulator?.running?.shutdown()
}

/// Settings for a command, with logging set up from them (a bad setting exits here).
func startCommand() -> Settings {
    let settings = loadSettingsOrExit()
    bootstrapLogging(settings)
    return settings
}

extension Interior {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's plan (what a billing webhook would do).")

        @ArgumentParser.Option(help: "The user's id (a UUID).")
        var user: String

        @ArgumentParser.Argument(help: "A plan id from the runtime config (free, starter, advanced by default).")
        var planId: String

        func validate() throws {
            guard UUID(uuidString: user) != nil else { throw ArgumentParser.ValidationError("--user must be a UUID") }
        }

        func run() async throws {
            let settings = startCommand()
            try await withApplication(settings, command: "plan") { app in
                guard settings.runtime.plans.contains(where: { $0.id == planId }) else {
                    let known = settings.runtime.plans.map(\.id).joined(separator: ", ")
                    throw CommandFailure("unknown plan \"\(planId)\" (plans: \(known))")
                }
                guard try await Operations.setPlan(app, user: UUID(uuidString: user)!, planId: planId) else {
                    throw CommandFailure("no profile \(user): it is created on the user's first request")
                }
                print("\(user.lowercased()) is now on \(planId)")
            }
        }
    }

    struct Credit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a user generations back this month (a ledger adjustment).")

        @ArgumentParser.Option(help: "The user's id (a UUID).")
        var user: String

        @ArgumentParser.Option(help: "How many generations to give back (1–10000).")
        var amount: Int

        @ArgumentParser.Option(help: "Why, for the ledger.")
        var reason: String

        func validate() throws {
            guard UUID(uuidString: user) != nil else { throw ArgumentParser.ValidationError("--user must be a UUID") }
            guard (1...10_000).contains(amount) else { throw ArgumentParser.ValidationError("--amount must be between 1 and 10000") }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 500 else {
                throw ArgumentParser.ValidationError("--reason must be 1–500 characters")
            }
        }

        func run() async throws {
            try await withApplication(startCommand(), command: "credit") { app in
                guard try await Operations.credit(app, user: UUID(uuidString: user)!, amount: amount, reason: reason) else {
                    throw CommandFailure("no profile \(user): it is created on the user's first request")
                }
                print("credited \(amount) to \(user.lowercased())")
            }
        }
    }
}

/// A command that could not do its work: printed as one line, without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The embedded Replicate emulator, started when no `REPLICATE_API_TOKEN` is set (never in
/// production: settings refuse that combination).
struct StartedEmulator {
    /// Nil when another process's emulator is used.
    let running: RunningEmulator?
    let connection: ReplicateConnection
}

func startEmulatorIfNeeded(_ settings: Settings, share: Bool = false) async throws -> StartedEmulator? {
    guard settings.replicate.usesEmulator else { return nil }
    let logger = Logger(label: "replicate-emulator")
    let dataDirectory = settings.dataDirectory.appendingPathComponent("emulator", isDirectory: true)
    if share, let shared = await RunningEmulatorAddress.find(in: dataDirectory) {
        logger.notice("using the Replicate EMULATOR already running at \(shared.baseURL.absoluteString)")
        return StartedEmulator(running: nil, connection: ReplicateConnection(
            baseURL: shared.baseURL, token: Secret(shared.token), webhookSecret: Secret(shared.webhookSecret), isEmulator: true))
    }
    // It serves every profile the server may use, the runtime config's own included, and keeps
    // its predictions under the data directory, so a restart (or a crash) loses no job.
    let configuration = EmulatorConfiguration(profiles: settings.runtime.modelProfiles, dataDirectory: dataDirectory)
    let running = try await ReplicateEmulator.start(configuration, logger: logger)
    logger.warning("Replicate EMULATOR running at \(running.baseURL.absoluteString): set REPLICATE_API_TOKEN to use the real Replicate")
    return StartedEmulator(running: running, connection: ReplicateConnection(
        baseURL: running.baseURL, token: Secret(running.token), webhookSecret: Secret(running.webhookSecret), isEmulator: true))
}

extension Interior {
    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the reconciler once: poll quiet in-flight jobs, time out stuck ones.")

        func run() async throws {
            try await withApplication(startCommand(), command: "sweep", replicate: .liveSharingEmulator) { app in
                let report = try await Operations.sweep(app)
                print("polled \(report.polled) job(s), timed out \(report.timedOut)")
            }
        }
    }

    struct Emulator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the Replicate emulator on its own (its API is under /v1).")

        @ArgumentParser.Option(help: "Address to listen on.")
        var host = "127.0.0.1"

        @ArgumentParser.Option(help: "Port to listen on (0 picks a free one).")
        var port = 8090

        @ArgumentParser.Option(help: "The bearer token clients must send (random when omitted).")
        var token: String?

        @ArgumentParser.Option(name: .customLong("webhook-secret"), help: "whsec_... to sign webhooks with (random when omitted).")
        var webhookSecret: String?

        @ArgumentParser.Option(name: .customLong("data-dir"),
                               help: "Where predictions are kept across restarts (\"\" keeps them in memory only).")
        var dataDirectory = "data/emulator-standalone"

        func validate() throws {
            guard (0...65535).contains(port) else { throw ArgumentParser.ValidationError("--port must be 0–65535") }
            if let webhookSecret { _ = try WebhookSecret(webhookSecret) }
        }

        func run() async throws {
            var configuration = EmulatorConfiguration(host: host, port: port)
            if !dataDirectory.isEmpty { configuration.dataDirectory = URL(fileURLWithPath: dataDirectory, isDirectory: true) }
            if let token { configuration.token = token }
            if let webhookSecret { configuration.webhookSecret = webhookSecret }
            try await ReplicateEmulator.run(configuration, logger: Logger(label: "replicate-emulator"))
        }
    }
}

/// Commands that never call Replicate (migrate, plan, credit) still build the whole
/// application; without a token they get a connection that is never used.
func offlineReplicate(_ settings: Settings) -> ReplicateConnection? {
    guard settings.replicate.usesEmulator else { return nil }
    return ReplicateConnection(baseURL: URL(string: "http://127.0.0.1:9/v1")!, token: Secret("unused"),
                               webhookSecret: Secret(WebhookSecret.generate()), isEmulator: true)
}
