import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import InteriorCore
import NIOCore
import NIOPosix

/// The one line an operator reads when a command cannot start: what failed, then the outside
/// system's own words. PostgreSQL's errors describe themselves generically (so queries and
/// data cannot leak by accident); the server's message fields are what an operator needs, and
/// they never carry the connection's password. Every configured secret is masked on top.
public enum StartupFailure {
    public static func line(for error: any Error, settings: Settings) -> String {
        mask(text(error), secrets: settings.secretValues)
    }

    static func text(_ error: any Error) -> String {
        switch error {
        case let failure as MigrationsFailed:
            return "migrations: \(text(failure.underlying))"
        case let error as PSQLError:
            return postgres(error)
        case let error as SQLiteError:
            return "SQLite: \(error.message)"
        case let error as NIOConnectionError:
            let cause = error.connectionErrors.first.map { text($0.error) }
                ?? error.dnsAError.map(text) ?? error.dnsAAAAError.map(text) ?? "no address answered"
            return "cannot connect to \(error.host):\(error.port): \(cause)"
        case let error as IOError:
            // NIO's own description names the syscall and a reason beside the system's words.
            return String(cString: strerror(error.errnoCode))
        case let error as URLError:
            // Its user info holds the whole URL, password included.
            return "a URL could not be used (URLError \(error.code.rawValue))"
        case let error as ConfigError:
            return error.description
        default:
            return String(describing: error)
        }
    }

    private static func postgres(_ error: PSQLError) -> String {
        if let info = error.serverInfo, let message = info[.message] {
            var text = "PostgreSQL: \(message)"
            if let detail = info[.detail] { text += ". \(detail)" }
            if let hint = info[.hint] { text += " (hint: \(hint))" }
            if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
            return text
        }
        let cause = error.underlying.map { ": \(text($0))" } ?? ""
        switch error.code {
        case .connectionError:
            return "cannot connect to PostgreSQL\(cause)"
        case .sslUnsupported:
            return "PostgreSQL does not offer TLS here (add ?tlsmode=disable to DATABASE_URL on a trusted network)"
        case .authMechanismRequiresPassword:
            return "PostgreSQL wants a password and DATABASE_URL has none"
        default:
            return "PostgreSQL: \(error.code)\(cause)"
        }
    }

    /// `text` with each secret replaced; secrets shorter than four characters are left alone
    /// (masking them would garble ordinary words).
    static func mask(_ text: String, secrets: [String]) -> String {
        secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }.reduce(text) {
            $0.replacingOccurrences(of: $1, with: "<redacted>")
        }
    }
}

extension Settings {
    /// Every secret value the settings hold, in each spelling it may appear in.
    var secretValues: [String] {
        var values = [storageSigningSecret, replicate.token, replicate.webhookSecret, metricsToken].compactMap { $0?.value }
        values += replicate.modelSecrets.values.map(\.value)
        if case let .supabase(secret, _) = auth, let secret { values.append(secret.value) }
        if case let .s3(configuration) = storage { values.append(configuration.secretAccessKey) }
        if case let .postgres(url) = database {
            values.append(url.value)
            if let components = URLComponents(string: url.value) {
                values += [components.percentEncodedPassword, components.password].compactMap { $0 }
            }
        }
        return values
    }
}
