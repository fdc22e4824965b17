import AsyncKit
import FluentPostgresDriver

/// Database failures that say the database cannot take work now, not that the request or our
/// code is wrong: every pooled connection busy for the pool's whole wait; PostgreSQL refusing a
/// new connection (too many clients, a database's connection limit, starting up or shutting
/// down) or out of resources; a connection lost mid-request. They answer 503 with
/// `Retry-After`, an overload or an outage to wait out; each transaction they cut short rolls
/// back as any failed one does.
enum DatabaseUnavailable {
    /// Why the database is unavailable, for the log (`PSQLError`'s own description is a
    /// generic line), or nil when `error` is not such a failure. It names the state and the
    /// server's message, never the query or its values.
    static func reason(_ error: any Error) -> String? {
        if error is ConnectionPoolTimeoutError { return "no pooled connection free within the wait" }
        guard let error = error as? PSQLError else { return nil }
        switch error.code {
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return nil }
            // Class 08 connection exception, class 53 insufficient resources, and
            // admin_shutdown, crash_shutdown, cannot_connect_now.
            guard state.hasPrefix("08") || state.hasPrefix("53") || ["57P01", "57P02", "57P03"].contains(state) else { return nil }
            return "PostgreSQL \(state): \(error.serverInfo?[.message] ?? "")"
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return "PostgreSQL connection: \(error.code)" + (error.underlying.map { " (\($0))" } ?? "")
        default:
            return nil
        }
    }
}
