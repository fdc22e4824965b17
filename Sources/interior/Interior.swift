import ArgumentParser
import Foundation
import InteriorCore
import InteriorServer
import Logging
import Vapor

@main
struct Interior: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interior",
        abstract: "Interior — the generation engine of an AI interior-design app.",
        subcommands: [Serve.self, Migrate.self, Token.self],
        defaultSubcommand: Serve.self)
}

/// Loads the settings or stops the process with one line naming the key at fault.
func loadSettingsOrExit() -> Settings {
    do {
        let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return try Settings.load(environment: ProcessInfo.processInfo.environment, workingDirectory: directory)
    } catch {
        FileHandle.standardError.write(Data("interior: configuration error: \(error)\n".utf8))
        Foundation.exit(78)  // EX_CONFIG
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
            let settings = loadSettingsOrExit()
            bootstrapLogging(settings)
            let app = try await makeApplication(settings, command: "serve")
            do {
                try await configure(app, settings: settings)
                app.logger.notice("Interior listening on \(settings.publicBaseURL.absoluteString)")
                try await app.execute()
            } catch {
                app.logger.critical("could not start: \(error)")
                try? await app.asyncShutdown()
                throw ExitCode.failure
            }
            try await app.asyncShutdown()
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the database migrations.")

        func run() async throws {
            let settings = loadSettingsOrExit()
            bootstrapLogging(settings)
            let app = try await makeApplication(settings, command: "migrate")
            do {
                try await configure(app, settings: settings, migrations: .always)
                app.logger.notice("database is up to date")
            } catch {
                app.logger.critical("migration failed: \(error)")
                try? await app.asyncShutdown()
                throw ExitCode.failure
            }
            try await app.asyncShutdown()
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
                throw ArgumentParser.ValidationError("tokens can be minted only in dev auth mode (AUTH_MODE=dev, not in production)")
            }
            let secret = try DevAuth.loadOrCreateSecret(in: settings.dataDirectory)
            let token = try await DevAuth.mintToken(secret: secret, user: UUID(uuidString: user)!, email: email,
                                                    ttl: TimeInterval(ttl), now: Date())
            print(token)
        }
    }
}
