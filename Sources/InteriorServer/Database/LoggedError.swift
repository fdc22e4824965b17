import FluentPostgresDriver

/// How an error reads in a log line. A `PSQLError` describes itself with one generic line (it
/// hides the query and its values), which tells an operator nothing; this names the SQLSTATE
/// and the constraint, and for the failures that mean the database cannot take work now, the
/// server's message (`DatabaseUnavailable.reason`). Never the query, its values, or the
/// server's message or detail otherwise (at run time they can quote a user's row; start-up
/// failures, `StartupFailure`, print them). Any other error reads as it describes itself.
enum LoggedError {
    static func text(_ error: any Error) -> String {
        if let reason = DatabaseUnavailable.reason(error) { return reason }
        guard let error = error as? PSQLError else { return "\(error)" }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return "PostgreSQL \(error.code)" }
        return "PostgreSQL \(state)" + (error.serverInfo?[.constraintName].map { ", constraint \($0)" } ?? "")
    }
}
