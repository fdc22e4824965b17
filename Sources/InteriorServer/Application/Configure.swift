import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import InteriorCore
import SQLKit
import Vapor

/// Side effects the service depends on, injected so tests control them.
public struct Dependencies: Sendable {
    public var now: @Sendable () -> Date
    public var makeID: @Sendable () -> UUID

    public init(now: @escaping @Sendable () -> Date, makeID: @escaping @Sendable () -> UUID) {
        self.now = now
        self.makeID = makeID
    }

    public static let live = Dependencies(now: { Date() }, makeID: { UUID() })
}

/// What every route and service of one application shares.
final class InteriorContext: Sendable {
    let settings: Settings
    let dependencies: Dependencies
    let verifier: AccessTokenVerifier
    let knownProfiles: KnownProfiles

    init(settings: Settings, dependencies: Dependencies, verifier: AccessTokenVerifier) {
        self.settings = settings
        self.dependencies = dependencies
        self.verifier = verifier
        self.knownProfiles = KnownProfiles()
    }

    /// Storage is reachable and writable.
    func checkStorage() async throws {
        switch settings.storage {
        case let .local(root):
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            guard FileManager.default.isWritableFile(atPath: root.path) else {
                throw CocoaError(.fileWriteNoPermission)
            }
        case .s3:
            throw CocoaError(.featureUnsupported)
        }
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
public func configure(_ app: Application, settings: Settings, dependencies: Dependencies = .live,
                      migrations: MigrationPolicy = .automaticOutsideProduction) async throws {
    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    app.http.server.configuration.serverName = nil
    app.routes.defaultMaxBodySize = "64kb"
    app.logger.logLevel = settings.logLevel

    try configureDatabase(app, settings.database)
    app.migrations.add(InteriorMigrations.all)

    let verifier = try await makeVerifier(app, settings: settings, dependencies: dependencies)
    let context = InteriorContext(settings: settings, dependencies: dependencies, verifier: verifier)
    app.setInterior(context)

    app.middleware = Middlewares()
    app.middleware.use(RequestContextMiddleware())
    let methods = AllowedMethods()
    app.middleware.use(ErrorEnvelopeMiddleware(allowedMethods: { methods.lookup($0) }))

    try routes(app)
    methods.load(from: app.routes)

    if case .sqlite = settings.database {
        // WAL lets readers proceed while one writer commits; the setting persists in the file.
        try await app.sql.raw("PRAGMA journal_mode=WAL").run()
    }
    switch migrations {
    case .always: try await app.autoMigrate()
    case .automaticOutsideProduction where !settings.isProduction: try await app.autoMigrate()
    case .automaticOutsideProduction, .never: break
    }
}

private func configureDatabase(_ app: Application, _ location: Settings.DatabaseLocation) throws {
    switch location {
    case let .sqlite(path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
    case .sqliteInMemory:
        app.databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
    case let .postgres(url):
        let configuration = try SQLPostgresConfiguration(url: url.value)
        app.databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 8, sqlLogLevel: .trace), as: .psql)
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
