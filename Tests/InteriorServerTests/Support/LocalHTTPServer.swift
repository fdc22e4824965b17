import Vapor

/// A small HTTP server for one test: `routes` registers what it answers, it binds a port the
/// kernel picks, and `body` gets its base URL (`http://127.0.0.1:<port>`). Shut down however
/// `body` ends.
func withLocalHTTPServer(_ routes: (Application) -> Void, _ body: (String) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .error
    routes(app)
    try await app.asyncBoot()
    try await whileServing(app) {
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress?.port ?? 0
        try await body("http://127.0.0.1:\(port)")
    }
}

/// Runs `body` (which starts `app`'s server), then stops the server and the application
/// however `body` ends.
func whileServing<T>(_ app: Application, _ body: () async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await app.server.shutdown()
        try? await app.asyncShutdown()
        throw error
    }
    await app.server.shutdown()
    try await app.asyncShutdown()
    return result
}
