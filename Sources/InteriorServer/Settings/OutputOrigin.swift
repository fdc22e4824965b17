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
        self.port = port ?? Self.defaultPort(of: self.scheme)
        self.includesSubdomains = includesSubdomains && !Self.isIPAddress(self.host)
    }

    /// Replicate's output host: `replicate.delivery` and its subdomains, https on 443.
    public static let replicateDelivery = OutputOrigin(scheme: "https", host: "replicate.delivery", includesSubdomains: true)

    /// Exactly the origin of `url` (scheme, host, port), no subdomains: the emulator's.
    public static func exact(_ url: URL) -> OutputOrigin? {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty else { return nil }
        return OutputOrigin(scheme: scheme, host: Self.unbracketed(host), port: url.port, includesSubdomains: false)
    }

    /// An entry of `REPLICATE_OUTPUT_HOSTS`; nil if it is none of the accepted shapes.
    public static func parse(_ entry: String) -> OutputOrigin? {
        var rest = entry.trimmingCharacters(in: .whitespaces).lowercased()
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = String(rest[..<range.lowerBound])
            guard scheme == "https" || scheme == "http" else { return nil }
            rest = String(rest[range.upperBound...])
            if rest.hasSuffix("/") { rest.removeLast() }
        }
        guard !rest.isEmpty, !rest.contains(where: { "/?#@*\\ ".contains($0) }) else { return nil }
        var host = rest
        var port: Int?
        if rest.hasPrefix("[") {
            // [v6] or [v6]:port
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard rest.firstIndex(of: ":") == colon, let number = Int(rest[rest.index(after: colon)...]) else { return nil }
            host = String(rest[..<colon])
            port = number
        }
        if let port, !(1...65535).contains(port) { return nil }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else { return nil }
        return OutputOrigin(scheme: scheme, host: host, port: port, includesSubdomains: true)
    }

    /// Whether `url` is at this origin: same scheme, same port, same host (or a subdomain).
    public func admits(_ url: URL) -> Bool {
        guard let scheme = url.scheme?.lowercased(), scheme == self.scheme,
              let rawHost = url.host, !rawHost.isEmpty else { return false }
        let host = Self.unbracketed(rawHost).lowercased()
        guard (url.port ?? Self.defaultPort(of: scheme)) == port else { return false }
        return host == self.host || (includesSubdomains && host.hasSuffix("." + self.host))
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(includesSubdomains ? "(*.)" : "")\(shownHost):\(port)"
    }

    private static func defaultPort(of scheme: String) -> Int { scheme == "http" ? 80 : 443 }

    private static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." })
    }
}
