import ArgumentParser
import Foundation
import InteriorServer

extension Interior {
    struct StorageCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "storage",
            abstract: "Check the storage buckets, or set them up.",
            subcommands: [Check.self, Init.self])

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check both buckets exist, the public one serves objects without credentials and the private one does not.")

            func run() async throws {
                var passed = false
                try await withApplication(startCommand(), command: "storage", migrations: .never) { app in
                    let report = await Operations.checkStorage(app)
                    report.lines.forEach { print($0) }
                    if !report.passed, let hint = Operations.storageHint(app, report) { print(hint) }
                    passed = report.passed
                }
                if !passed { throw ExitCode.failure }
            }
        }

        struct Init: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create missing buckets and make the public one readable without credentials (where the service has bucket policies); then check.")

            func run() async throws {
                var passed = false
                try await withApplication(startCommand(), command: "storage", migrations: .never) { app in
                    let setup = try await Operations.initStorage(app)
                    setup.actions.forEach { print($0) }
                    setup.report.lines.forEach { print($0) }
                    passed = setup.report.passed
                }
                if !passed { throw ExitCode.failure }
            }
        }
    }
}
