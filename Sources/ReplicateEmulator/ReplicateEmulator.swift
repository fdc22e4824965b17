import AsyncHTTPClient
import Foundation
import Imaging
import Logging
import Replicate
import Vapor

/// A local server that speaks Replicate's HTTP API (the part Interior uses) so the whole
/// pipeline runs without an account: predictions with Replicate's JSON and status codes,
/// `Prefer: wait`, signed webhooks, real output images, expiring output files, and faults
/// injected on request. It says it is an emulator in every response header and log line.
public enum ReplicateEmulator {
    /// Every response carries `X-Replicate-Emulator: true`.
    public static let responseHeader = "X-Replicate-Emulator"

    /// Starts the emulator and returns once it is listening.
    public static func start(_ configuration: EmulatorConfiguration, logger: Logger) async throws -> RunningEmulator {
        var logger = logger
        logger[metadataKey: "component"] = "replicate-emulator"
        // Refuse a bad secret before anything listens.
        _ = try WebhookSecret(configuration.webhookSecret)

        await OutputImages.warmUp()

        let environment = Environment(name: "emulator", arguments: ["emulator"])
        let app = try await Application.make(environment, .singleton, logger: logger)
        let box = CoreBox()
        app.http.server.configuration.hostname = configuration.host
        app.http.server.configuration.port = configuration.port
        app.http.server.configuration.serverName = "replicate-emulator"
        app.routes.defaultMaxBodySize = "32mb"
        app.middleware = Middlewares()
        app.middleware.use(EmulatorMiddleware(box: box, logger: logger))
        EmulatorRoutes.register(on: app, box: box, token: configuration.token)

        let archive = configuration.dataDirectory.flatMap { EmulatorArchive.open($0, logger: logger) }
        // A restarted emulator listens where it did before when it can, so the output URLs it
        // gave out (which a client may hold, unfetched) still work.
        let previousPort = configuration.port == 0 ? archive?.readControl()?.port : nil
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .follow(max: 3, allowCycles: false)))
        do {
            try await app.asyncBoot()
            do {
                try await app.server.start(address: .hostname(configuration.host, port: previousPort ?? configuration.port))
            } catch where previousPort != nil {
                logger.notice("the emulator's previous port is taken; listening on another", metadata: [
                    "port": "\(previousPort ?? 0)", "error": "\(error)",
                ])
                try await app.server.start(address: .hostname(configuration.host, port: 0))
            }
        } catch {
            archive?.release()
            try? await httpClient.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        guard let port = app.http.server.shared.localAddress?.port else {
            archive?.release()
            await app.server.shutdown()
            try? await httpClient.shutdown()
            try? await app.asyncShutdown()
            throw EmulatorStartError(message: "the emulator's server did not report its port")
        }

        let root: String
        if let publicBase = configuration.publicBaseURL {
            var text = publicBase.absoluteString
            while text.hasSuffix("/") { text.removeLast() }
            root = text
        } else {
            let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
            root = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
        let addresses = Addresses(apiBase: root + "/v1", fileBase: root + "/files")
        let core = try EmulatorCore(
            configuration: configuration, addresses: addresses, httpClient: httpClient, archive: archive, logger: logger)
        // What a previous run kept is back before the first request is answered.
        if let archive {
            let restored = await core.store.restore()
            let resumed = await core.runner.restore(restored)
            logger.notice("the emulator keeps its predictions on disk", metadata: [
                "directory": "\(archive.directory.path)", "restored": "\(restored.count)", "resumed": "\(resumed)",
            ])
        }
        box.set(core)
        archive?.writeControl(.init(baseURL: addresses.apiBase, token: configuration.token, port: port))

        logger.notice("Replicate EMULATOR listening — this is not the real Replicate; images are drawn locally", metadata: [
            "base_url": "\(addresses.apiBase)",
        ])
        return RunningEmulator(app: app, core: core, port: port, root: root)
    }

    /// Runs the emulator until SIGINT or SIGTERM: what `interior emulator` calls.
    public static func run(_ configuration: EmulatorConfiguration, logger: Logger) async throws {
        let emulator = try await start(configuration, logger: logger)
        logger.notice("Replicate EMULATOR ready; stop with Ctrl-C", metadata: [
            "base_url": "\(emulator.baseURL.absoluteString)",
        ])
        await waitForTerminationSignal()
        logger.notice("Replicate EMULATOR stopping")
        await emulator.shutdown()
    }

    private static func waitForTerminationSignal() async {
        let signals = [SIGINT, SIGTERM]
        let stream = AsyncStream<Void> { continuation in
            let sources = SignalSources(signals.map { number -> DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield() }
                source.resume()
                return source
            })
            continuation.onTermination = { _ in sources.cancel() }
        }
        for await _ in stream { break }
    }
}

/// Dispatch signal sources, kept alive until the wait ends (they are only cancelled after).
private final class SignalSources: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}

struct EmulatorStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A started emulator. Call `shutdown()` when done.
public final class RunningEmulator: Sendable {
    /// `http://127.0.0.1:<port>/v1` — what `ReplicateClient.Configuration.baseURL` takes.
    public let baseURL: URL
    /// `http://127.0.0.1:<port>` — Replicate's Python client takes this as `base_url`
    /// (it adds `/v1` itself).
    public let rootURL: URL
    public let port: Int
    public let token: String
    public let webhookSecret: String

    private let app: Application
    private let core: EmulatorCore
    private let stopped = LockedFlag()

    init(app: Application, core: EmulatorCore, port: Int, root: String) {
        self.app = app
        self.core = core
        self.port = port
        self.rootURL = URL(string: root)!
        self.baseURL = URL(string: root + "/v1")!
        self.token = core.configuration.token
        self.webhookSecret = core.configuration.webhookSecret
    }

    /// Stops predictions and webhook deliveries, then the server.
    public func shutdown() async {
        guard stopped.setOnce() else { return }
        await core.runner.shutdown()
        await app.server.shutdown()
        try? await core.httpClient.shutdown()
        try? await app.asyncShutdown()
        core.archive?.release()
    }

    /// Queues a fault plan for the next create request (same as `POST /v1/_emulator/faults`).
    public func enqueueFault(_ plan: FaultPlan) async {
        await core.store.enqueue(plan)
    }

    /// Forgets queued plans.
    public func clearFaults() async {
        await core.store.clearFaults()
    }

    /// Forgets a prediction altogether — it answers 404 from now on — as an emulator that lost
    /// its store would (tests of what a client does when Replicate no longer knows one).
    public func forget(predictionID: String) async {
        await core.store.forget(predictionID)
    }

    /// Every API request so far, in order (files included).
    public func requests() async -> [RecordedRequest] {
        await core.store.requests
    }

    /// Every webhook delivery attempt so far, in order.
    public func deliveries() async -> [WebhookDelivery] {
        await core.store.deliveries
    }

    /// The ids of every prediction made, newest first.
    public func predictionIDs() async -> [String] {
        await core.store.all().map(\.id)
    }

    /// Removes a prediction's outputs now, as Replicate does an hour after the end
    /// (`data_removed: true`, files 404).
    public func expireOutputs(predictionID: String) async {
        await core.store.removeData(predictionID)
    }

    /// Waits until a prediction's queued webhooks have been delivered or given up.
    public func waitForWebhooks(predictionID: String) async {
        await core.runner.drainWebhooks(predictionID)
    }
}

/// Everything a request handler needs.
final class EmulatorCore: Sendable {
    let configuration: EmulatorConfiguration
    let addresses: Addresses
    let store: EmulatorStore
    let runner: PredictionRunner
    let catalog: ModelCatalog
    let httpClient: HTTPClient
    let archive: EmulatorArchive?
    let logger: Logger

    init(configuration: EmulatorConfiguration, addresses: Addresses, httpClient: HTTPClient, archive: EmulatorArchive?,
         logger: Logger) throws {
        self.configuration = configuration
        self.addresses = addresses
        self.httpClient = httpClient
        self.archive = archive
        self.logger = logger
        catalog = ModelCatalog(profiles: configuration.profiles)
        store = EmulatorStore(outputTTL: configuration.outputTTL.seconds, now: configuration.now, archive: archive)
        let secret = try WebhookSecret(configuration.webhookSecret)
        let webhooks = WebhookEnvironment(
            httpClient: httpClient, signer: WebhookSigner(secret: secret), store: store,
            retry: configuration.webhookRetry, timeout: configuration.webhookTimeout, now: configuration.now,
            logger: logger)
        runner = PredictionRunner(
            store: store, configuration: configuration, httpClient: httpClient, webhooks: webhooks,
            images: OutputImages(), addresses: addresses, logger: logger)
    }
}

/// The core, set once the server knows its port (requests before that get 503).
final class CoreBox: @unchecked Sendable {
    private let lock = NSLock()
    private var core: EmulatorCore?

    func set(_ core: EmulatorCore) {
        lock.withLock { self.core = core }
    }

    func get() -> EmulatorCore? {
        lock.withLock { core }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// True the first time only.
    func setOnce() -> Bool {
        lock.withLock {
            defer { value = true }
            return !value
        }
    }
}
