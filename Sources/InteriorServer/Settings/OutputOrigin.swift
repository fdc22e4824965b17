import Foundation

/// One place model outputs may be downloaded from: a scheme, a host and a port, so that
/// allowing "the emulator on 127.0.0.1" does not allow every other port of that machine
/// (the server's own routes among them).
///
/// `REPLICATE_OUTPUT_HOSTS` entries read as:
/// - `host` — https on 443, the host and its subdomains;
/// - `host:port` — https on that port, the host and its subdomains;
/// - `https://host[:port]` (or `http://…` outside production) — that scheme and port, the
///   host and its subdomains.
/// An IP address never has subdomains; the emulator's origin is admitted exactly.
public struct OutputOrigin: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    /// Lower case; an IPv6 address without its brackets.
    public let host: String
    public let port: Int
    public let includesSubdomains: Bool

    public init(scheme: String, host: String, port: Int? = nil, includesSubdomains: Bool) {
        self.scheme = scheme.lowercased()
        self.host = host.lowercased()
        self.port = port ?? (self.scheme == "http" ? 80 : 443)
        self.includesSubdomains = includesSubdomains && !Self.isIPAddress(self.host)
    }

    /// Replicate's output host: `replicate.delivery` and its subdomains, https on 443.
    public static let replicateDelivery = OutputOrigin(scheme: "https", host: "replicate.delivery", includesSubdomains: true)

    /// Exactly the origin of `url` (scheme, host, port), no subdomains: the emulator's.
    public static func exact(_ url: URL) -> OutputOrigin? {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty else { return nil }
        return OutputOrigin(scheme: scheme, host: host.trimmingCharacters(in: ["[", "]"]), port: url.port, includesSubdomains: false)
    }

    /// An entry of `REPLICATE_OUTPUT_HOSTS`; nil if it is none of the accepted shapes. URL
    /// reads it; refused first is what URL would take but an origin has not: a user, a path,
    /// a query, a wildcard, an escape, an empty port.
    public static func parse(_ entry: String) -> OutputOrigin? {
        let text = entry.trimmingCharacters(in: .whitespaces).lowercased()
        guard !text.hasSuffix(":"), !text.contains(where: { "?#@*\\% ".contains($0) }),
              let url = URL(string: text.contains("://") ? text : "https://\(text)"), ["", "/"].contains(url.path),
              let origin = exact(url), (1...65535).contains(origin.port),
              origin.host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else { return nil }
        return OutputOrigin(scheme: origin.scheme, host: origin.host, port: origin.port, includesSubdomains: true)
    }

    /// Whether `url` is at this origin: same scheme, same port, same host (or a subdomain).
    public func admits(_ url: URL) -> Bool {
        guard let other = Self.exact(url), other.scheme == scheme, other.port == port else { return false }
        return other.host == host || (includesSubdomains && other.host.hasSuffix("." + host))
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(includesSubdomains ? "(*.)" : "")\(shownHost):\(port)"
    }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." })
    }
}
