import FluentPostgresDriver
import Foundation

/// One line saying why something failed, for start-up and command failures. PostgresNIO's
/// `PSQLError` describes itself as "Generic description…" on purpose (its full form can hold
/// queries and bound values); this says what PostgreSQL said (message and SQLSTATE) or why the
/// connection failed, and nothing else: no query, no values, no connection string.
public enum ErrorDescription {
    public static func of(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            var text = "PostgreSQL: \(info[.message] ?? "an error")"
            if let state = info[.sqlState] { text += " (SQLSTATE \(state))" }
            if let hint = info[.hint] { text += "; hint: \(hint)" }
            return text
        }
        var text = "PostgreSQL \(error.code)"
        if let underlying = error.underlying { text += ": \(of(underlying))" }
        return text
    }
}
