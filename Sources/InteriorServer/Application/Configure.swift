import AsyncHTTPClient
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Imaging
import InteriorCore
import Logging
import NIOConcurrencyHelpers
import Replicate
import SQLKit
import Storage
import Vapor

/// Side effects and outside systems the service depends on, injected so tests control them.
public struct Dependencies: Sendable {
    public var now: @Sendable () -> Date
    public var makeID: @Sendable () -> UUID
    /// How the server reaches Replicate. Nil: the real API with `REPLICATE_API_TOKEN`; the
    /// executable passes the emulator it started when no token is configured.
    public var replicate: ReplicateConnection?
    /// Wraps the configured store (tests inject storage faults with it).
    public var wrapStore: @Sendable (any BlobStore) -> any BlobStore
    /// Sleeps between download retries.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// The metrics registry (`interior serve` shares it with swift-metrics).
    public var metrics: InteriorMetrics?
    /// Inbox workers, the reconciler loop and the runtime config file's watch; off for one-shot commands.
    public var backgroundWork: Bool
    /// How often the runtime config file is checked for changes (it is on SIGHUP too).
    public var runtimeConfigPoll: Duration = .seconds(2)

    public init(now: @escaping @Sendable () -> Date = { Date() }, makeID: @escaping @Sendable () -> UUID = { UUID() },
                replicate: ReplicateConnection? = nil,
                wrapStore: @escaping @Sendable (any BlobStore) -> any BlobStore = { $0 },
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                metrics: InteriorMetrics? = nil, backgroundWork: Bool = true) {
        self.now = now
        self.makeID = makeID
        self.replicate = replicate
        self.wrapStore = wrapStore
        self.sleep = sleep
        self.metrics = metrics
        self.backgroundWork = backgroundWork
    }

    public static let live = Dependencies()

    /// `date` rounded to the microsecond, the precision PostgreSQL keeps and SQLite round-trips.
    static func storable(_ date: Date) -> Date {
        Date(timeIntervalSinceReferenceDate: (date.timeIntervalSinceReferenceDate * 1_000_000).rounded() / 1_000_000)
    }
}

/// What every route and service of one application shares.
final class InteriorContext: Sendable {
    let settings: Settings
    let dependencies: Dependencies
    let verifier: AccessTokenVerifier
    let knownProfiles = KnownProfiles()
    let requestLimiter: RateLimiter<UUID>
    /// The status read's memory of ended jobs (`SettledJobs`).
    let settledJobs = SettledJobs()
    let bodyBudget: BodyBudget
    let metrics: InteriorMetrics
    let store: any BlobStore
    /// Set when storage is local: the server serves its objects.
    let localStore: LocalBlobStore?
    /// Set when storage is S3: `interior storage init` creates buckets and policies through it.
    let s3Store: S3BlobStore?
    /// The storage check's latest report, for health.
    let storageAccess: StorageAccessMonitor
    let images: ImageProcessor
    let replicate: ReplicateGateway
    /// The runtime config in force (presets, plans, limits, the model profile): read it once
    /// per request or job, as `runtime.current`.
    let runtime: LiveRuntime
    let inputs: InputResolver
    let assets: AssetService
    let applier: PredictionApplier
    let inbox: InboxProcessor
    let reconciler: Reconciler
    let downloadClient: HTTPClient
    let traces: Traces

    init(app: Application, settings: Settings, dependencies: Dependencies, verifier: AccessTokenVerifier,
         traces: Traces = .disabled) throws {
        self.traces = traces
        self.settings = settings
        self.dependencies = dependencies
        self.verifier = verifier
        self.requestLimiter = RateLimiter(perMinute: settings.runtime.limits.requestsPerMinute)
        self.bodyBudget = BodyBudget(limit: settings.runtime.limits.maxBodyBytesInFlight,
                                     perUserLimit: settings.runtime.limits.maxBodyBytesInFlightPerUser)
        let metrics = dependencies.metrics ?? InteriorMetrics()
        self.metrics = metrics
        let logger = app.logger

        // Storage
        let baseStore: any BlobStore
        switch settings.storage {
        case let .local(root):
            let signer: LocalURLSigner
            if let secret = settings.storageSigningSecret {
                signer = LocalURLSigner(secret: secret.value)
            } else {
                logger.warning("STORAGE_SIGNING_SECRET is not set: signed URLs use a random key and die with this process")
                signer = .random()
            }
            let local = LocalBlobStore(root: root, urlSigner: signer, publicBaseURL: settings.publicBaseURL,
                                       publicAssetBaseURL: settings.publicAssetBaseURL, now: dependencies.now)
            // The serving process owns the root; one-off commands beside it leave its writes alone.
            let leftovers = dependencies.backgroundWork ? local.removeLeftoverTemporaryFiles() : 0
            if leftovers > 0 { logger.notice("removed temporary files of interrupted writes", metadata: ["files": "\(leftovers)"]) }
            localStore = local
            s3Store = nil
            baseStore = local
        case let .s3(configuration):
            localStore = nil
            let s3 = S3BlobStore(configuration: configuration, httpClient: app.http.client.shared, now: dependencies.now)
            s3Store = s3
            baseStore = s3
        }
        let wrapped = dependencies.wrapStore(baseStore)
        let store: any BlobStore = traces.isEnabled ? TracedBlobStore(base: wrapped, traces: traces) : wrapped
        self.store = store
        self.storageAccess = .make(app: app, store: store, settings: settings, now: dependencies.now, makeID: dependencies.makeID)

        // Images
        let images = ImageProcessor()
        self.images = images

        // Replicate
        guard let connection = dependencies.replicate ?? Self.liveConnection(settings) else {
            throw ConfigError("REPLICATE_API_TOKEN", "not set, and no emulator was started")
        }
        let replicate = try ReplicateGateway(connection: connection, settings: settings, httpClient: app.http.client.shared,
                                             metrics: metrics, now: dependencies.now, logger: logger, traces: traces)
        self.replicate = replicate
        self.runtime = try LiveRuntime(settings: settings, logger: logger)

        var storageHosts: Set<String> = [settings.publicBaseURL.host?.lowercased()].compactMap { $0 }.reduce(into: []) { $0.insert($1) }
        if case let .s3(configuration) = settings.storage, let host = configuration.endpoint.host?.lowercased() {
            storageHosts.insert(host)
        }
        self.inputs = InputResolver(images: images, store: store, settings: settings, storageHosts: storageHosts)

        // Outputs
        // The emulator serves its outputs itself: its exact origin, no other port of its host.
        var outputOrigins = settings.replicate.outputOrigins
        if connection.isEmulator, let origin = OutputOrigin.exact(connection.baseURL) {
            outputOrigins.append(origin)
        }
        let downloadClient = OutputDownloader.makeClient()
        self.downloadClient = downloadClient
        let downloader = OutputDownloader(
            client: downloadClient, allowedOrigins: outputOrigins,
            maxBytes: 25 * 1024 * 1024, timeout: .seconds(30), attempts: 3, sleep: dependencies.sleep)
        let assets = AssetService(downloader: downloader, images: images, store: store, bucket: settings.publicBucket,
                                  maxPixels: settings.runtime.limits.maxPixels, metrics: metrics, logger: logger, traces: traces)
        self.assets = assets

        // The inbox and the reconciler
        let database: @Sendable () -> any Database = { app.db }
        let applier = PredictionApplier(db: app.db, assets: assets, metrics: metrics, now: dependencies.now,
                                        makeID: dependencies.makeID, logger: logger)
        self.applier = applier
        let cancelUnowned: @Sendable (String) async -> Void = { [client = replicate.client] id in
            do { _ = try await client.cancelPrediction(id: id) } catch {
                logger.notice("cancel of a prediction no job owns failed", metadata: ["predictionId": "\(id)", "error": "\(LoggedError.text(error))"])
            }
        }
        let inbox = InboxProcessor(database: database, applier: applier, cancelUnowned: cancelUnowned, metrics: metrics,
                                   now: dependencies.now, logger: logger, lease: settings.runtime.timeouts.inboxLease,
                                   traces: traces)
        self.inbox = inbox
        self.reconciler = Reconciler(database: database, replicate: replicate, inbox: inbox, applier: applier,
                                     timeouts: settings.runtime.timeouts,
                                     metrics: metrics, now: dependencies.now, makeID: dependencies.makeID, logger: logger,
                                     traces: traces)
    }

    private static func liveConnection(_ settings: Settings) -> ReplicateConnection? {
        guard let token = settings.replicate.token, let secret = settings.replicate.webhookSecret else { return nil }
        return ReplicateConnection(baseURL: settings.replicate.baseURL, token: token, webhookSecret: secret, isEmulator: false)
    }

    /// Storage is reachable and both buckets are usable.
    func checkStorage() async throws {
        try await store.checkHealth(buckets: [settings.publicBucket, settings.privateBucket])
    }
}

extension Application {
    private struct ContextKey: StorageKey { typealias Value = InteriorContext }

    var interior: InteriorContext {
        guard let context = storage[ContextKey.self] else {
            preconditionFailure("configure(_:settings:) has not run on this application")
        }
        return context
    }

    fileprivate func setInterior(_ context: InteriorContext) {
        storage[ContextKey.self] = context
    }

    /// The database as SQL: repositories speak SQLKit on every driver.
    var sql: any SQLDatabase { db as! any SQLDatabase }
}

extension Request {
    var interior: InteriorContext { application.interior }
    var sql: any SQLDatabase { db as! any SQLDatabase }
}

/// When `configure` applies migrations.
public enum MigrationPolicy: Sendable {
    /// Outside production only: production migrates with `interior migrate`, deliberately.
    case automaticOutsideProduction
    case always
    case never
}

/// Builds the application: the one function `interior serve`, `interior migrate` and the
/// tests all call, so tests run exactly the service production runs.
public func configure(_ app: Application, settings: Settings, dependencies given: Dependencies = .live,
                      migrations: MigrationPolicy = .automaticOutsideProduction) async throws {
    // Every timestamp the service makes is one both databases store exactly (microseconds),
    // so a time read back equals the time written — cursors and comparisons depend on it.
    var dependencies = given
    let clock = given.now
    dependencies.now = { Dependencies.storable(clock()) }
    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    app.http.server.configuration.serverName = nil
    // A backstop for connections nobody uses (a stalled body the routes do not read themselves,
    // an idle keep-alive): well above any answer's time, and above the body idle limit.
    app.http.server.configuration.idleTimeout = .seconds(Int64(max(300, settings.runtime.timeouts.requestBodyIdle * 2)))
    app.routes.defaultMaxBodySize = "64kb"
    app.logger.logLevel = settings.logLevel

    try configureDatabase(app, settings.database, poolSize: settings.databasePoolSize)
    app.migrations.add(InteriorMigrations.all)

    let verifier = try await makeVerifier(app, settings: settings, dependencies: dependencies)
    let traces = try Traces.make(settings.tracing, logger: app.logger)
    if traces.isEnabled {
        app.logger = app.logger.withTraceMetadata()
        app.traceAutoPropagation = true
    }
    let context = try InteriorContext(app: app, settings: settings, dependencies: dependencies, verifier: verifier, traces: traces)
    app.setInterior(context)
    // Registered at once, so shutting the application down stops what the context owns (the
    // download client above all) even when a later step of this function fails. The exporter
    // first: it starts before the background work and stops after it.
    app.lifecycle.use(TracingLifecycle(traces: traces, logger: app.logger))
    app.lifecycle.use(BackgroundWork(context: context, enabled: dependencies.backgroundWork, runtimeConfigPoll: dependencies.runtimeConfigPoll))
    if context.replicate.connection.isEmulator {
        app.logger.warning("Replicate: using the local EMULATOR at \(context.replicate.connection.baseURL.absoluteString) — images are stand-ins, not model outputs")
    }

    app.middleware = Middlewares()
    app.middleware.use(RequestContextMiddleware())
    if traces.isEnabled { app.middleware.use(RequestTracingMiddleware(traces: traces)) }
    let methods = AllowedMethods()
    app.middleware.use(ErrorEnvelopeMiddleware(allowedMethods: { methods.lookup($0) }))
    if let webRoot = settings.webRoot {
        app.middleware.use(WebPageMiddleware(publicDirectory: webRoot.path + "/", context: context))
    } else {
        app.logger.warning("web page: no Public/ found beside the executable, so the try-it page is not served; set WEB_ROOT to its directory")
    }

    try routes(app)
    methods.load(from: app.routes)

    if case .sqlite = settings.database {
        // WAL lets readers proceed while one writer commits; the setting persists in the file.
        try await app.sql.raw("PRAGMA journal_mode=WAL").run()
    }
    switch migrations {
    case .always: try await LockedMigrations.run(app, settings.database)
    case .automaticOutsideProduction where !settings.isProduction: try await LockedMigrations.run(app, settings.database)
    case .automaticOutsideProduction, .never: break
    }
}

/// Starts the inbox workers, the reconciler and the runtime config file's watch when the
/// application boots, and stops them (and the download client) when it shuts down.
private final class BackgroundWork: LifecycleHandler, Sendable {
    let context: InteriorContext
    let enabled: Bool
    let runtimeConfigPoll: Duration
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    init(context: InteriorContext, enabled: Bool, runtimeConfigPoll: Duration) {
        self.context = context
        self.enabled = enabled
        self.runtimeConfigPoll = runtimeConfigPoll
    }

    func didBootAsync(_ application: Application) async throws {
        guard enabled else { return }
        context.inbox.start()
        let reconciler = context.reconciler
        let interval = context.settings.runtime.timeouts.sweeperInterval
        let (runtime, poll) = (context.runtime, runtimeConfigPoll)
        tasks.withLockedValue {
            $0 = [Task { await reconciler.run(every: .seconds(interval)) }, Task { await runtime.watch(pollInterval: poll) }]
        }
    }

    func shutdownAsync(_ application: Application) async {
        for task in tasks.withLockedValue({ $0 }) {
            task.cancel()
            await task.value
        }
        await context.inbox.stop()
        await context.storageAccess.finishRunningCheck()
        try? await context.downloadClient.shutdown()
    }
}

func configureDatabase(_ app: Application, _ location: Settings.DatabaseLocation,
                       poolSize: Int = Settings.defaultDatabasePoolSize) throws {
    switch location {
    case let .sqlite(path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        useSQLiteThreadPool(app)
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
    case .sqliteInMemory:
        useSQLiteThreadPool(app)
        app.databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
    case let .postgres(url):
        // Fluent pools per event loop; the plan makes the instance's total exactly `poolSize`.
        let configuration = try SQLPostgresConfiguration(url: url.value)
        let plan = PostgresPoolPlan(total: poolSize, eventLoops: Array(app.eventLoopGroup.makeIterator()).count)
        let pooled = DatabaseConfigurationFactory.postgres(
            configuration: configuration, maxConnectionsPerEventLoop: plan.connectionsPerLoop, sqlLogLevel: .trace).make()
        app.databases.use(LoopLimitedConfiguration(base: pooled, plan: plan), as: .psql)
    }
}

private func makeVerifier(_ app: Application, settings: Settings, dependencies: Dependencies) async throws -> AccessTokenVerifier {
    switch settings.auth {
    case .dev:
        let secret = try DevAuth.loadOrCreateSecret(in: settings.dataDirectory)
        app.logger.warning("auth: dev mode — tokens come from `interior token`; never use this in production")
        return await AccessTokenVerifier(hs256Secret: secret, jwks: nil, now: dependencies.now)
    case let .supabase(hs256Secret, jwksURL):
        let jwks = jwksURL.map {
            JWKSCache(url: $0, fetch: JWKSCache.httpFetch(client: app.http.client.shared),
                      now: dependencies.now, logger: app.logger)
        }
        return await AccessTokenVerifier(hs256Secret: hs256Secret, jwks: jwks, now: dependencies.now)
    }
}

/// SQLite runs every statement on the application's blocking thread pool, and a connection
/// waiting for the write lock spins on its thread until the lock is free. Vapor's default
/// pool has one thread per core and is shared by every application in the process, so the
/// waiting connections can occupy every thread while the connection holding the lock waits
/// for a thread to run its next statement or its COMMIT: a deadlock, not a delay. The
/// application gets a pool of its own with more threads than it has SQLite connections (one
/// per event loop), so the holder always finds a thread.
private func useSQLiteThreadPool(_ app: Application) {
    let connections = Array(app.eventLoopGroup.makeIterator()).count
    app.threadPool = NIOThreadPool(numberOfThreads: connections + 2)
}
