import Configuration
import Foundation
import InteriorCore
import Logging
import NIOConcurrencyHelpers
import SystemPackage

/// What requests read from the runtime config, as one value. It is swapped whole when the
/// file changes, so a request that reads it once sees the presets, plans, limits and model
/// profile of one version, and a job keeps the profile it was submitted with.
struct RuntimeState: Sendable {
    let config: RuntimeConfig
    /// The profile `REPLICATE_MODEL` names in `config`.
    let profile: ModelProfile
    /// Values for the profile's secret inputs, by environment variable.
    let modelSecrets: [String: String]
    let validator: GenerationRequestValidator
    /// `GET /openapi.json`: its submit schemas carry the presets and limits.
    let openAPIDocument: Data

    /// The state of `config`, checked against the running one: values bound when the server
    /// started (`timeouts`, `boundLimits`) keep their running value, and the result must validate.
    init(_ config: RuntimeConfig, running: RuntimeConfig, settings: Settings) throws(ConfigError) {
        var config = config
        config.timeouts = running.timeouts
        for (_, key) in Self.boundLimits { config[keyPath: key] = running[keyPath: key] }
        try config.validate()
        var replicate = settings.replicate
        try replicate.resolveModel(in: config, environment: settings.environment)
        self.config = config
        profile = replicate.profile
        modelSecrets = replicate.modelSecrets.mapValues(\.value)
        validator = GenerationRequestValidator(config: config, profile: profile)
        let devAuth = if case .dev = settings.auth { true } else { false }
        openAPIDocument = OpenAPIDocument.served(.init(devAuth: devAuth, validator: validator))
    }

    /// The limits the server binds once, at start-up (the rate limiter, the body budget), as
    /// are all `timeouts` (timers, clients); an edit of them applies at the next start.
    static let boundLimits: [(String, WritableKeyPath<RuntimeConfig, Int>)] = [
        ("limits.requestsPerMinute", \.limits.requestsPerMinute), ("limits.maxBodyBytesInFlight", \.limits.maxBodyBytesInFlight),
        ("limits.maxBodyBytesInFlightPerUser", \.limits.maxBodyBytesInFlightPerUser),
    ]

    /// The keys bound at start-up that `new` changes.
    static func restartOnly(_ new: RuntimeConfig, _ running: RuntimeConfig) -> [String] {
        (new.timeouts == running.timeouts ? [] : ["timeouts"]) + boundLimits.filter { new[keyPath: $1] != running[keyPath: $1] }.map(\.0)
    }
}

/// The runtime state in force, and the watch that replaces it when the file changes.
final class LiveRuntime: Sendable {
    private let state: NIOLockedValueBox<RuntimeState>
    private let settings: Settings
    private let logger: Logger

    init(settings: Settings, logger: Logger) throws(ConfigError) {
        self.settings = settings
        self.logger = logger
        state = NIOLockedValueBox(try RuntimeState(settings.runtime, running: settings.runtime, settings: settings))
    }

    /// The state in force; read it once per request or job.
    var current: RuntimeState { state.withLockedValue { $0 } }

    /// Makes `file` the state in force if it validates; otherwise logs why and keeps the old.
    /// One watch calls it, a version at a time; the lock is held for the swap only, so a
    /// request never waits for a version to be checked.
    func apply(_ file: RuntimeConfigFile) {
        let source = settings.runtimeConfigPath ?? "runtime config"
        let running = current.config
        do {
            let config = try file.parsed.get()
            let next = try RuntimeState(config, running: running, settings: settings)
            let pinned = RuntimeState.restartOnly(config, running)
            if !pinned.isEmpty {
                logger.notice("runtime config: \(pinned.joined(separator: ", ")) changed; that applies at the next start", metadata: ["file": "\(source)"])
            }
            guard next.config != running else { return }
            state.withLockedValue { $0 = next }
            logger.notice("runtime config reloaded", metadata: ["file": "\(source)"])
        } catch {
            let line = error.key.hasPrefix(source) ? error : ConfigError("\(source): \(error.key)", error.message)
            logger.error("runtime config refused, the previous one stays in force: \(line)")
        }
    }

    /// Watches the runtime config file until the task is canceled: every `pollInterval`, and
    /// on SIGHUP, the library checks the file's modification time and hands each new version
    /// to `apply`. Nothing to watch without a file.
    func watch(pollInterval: Duration) async {
        guard let url = settings.runtimeConfigURL, let source = settings.runtimeConfigPath else { return }
        do {
            let provider = try await ReloadingFileProvider<RuntimeConfigFile>(
                parsingOptions: .init(source: source), filePath: FilePath(url.path), pollInterval: pollInterval, logger: logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await provider.run() }
                try await provider.watchSnapshot { updates in
                    for await snapshot in updates {
                        if let file = snapshot as? RuntimeConfigFile { apply(file) }
                    }
                }
                group.cancelAll()
            }
        } catch is CancellationError {
        } catch {
            logger.error("runtime config: watching \(source) stopped: \(error)")
        }
    }
}
