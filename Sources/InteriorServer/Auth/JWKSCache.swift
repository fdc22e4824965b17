import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore

/// The signing keys of the identity provider, fetched from its JWKS URL and cached.
///
/// A token whose `kid` is unknown triggers a refresh (keys rotate), but never more than
/// once per `minimumRefreshInterval`, so a stream of tokens with made-up key ids cannot
/// turn this service into a request amplifier against the provider. Concurrent callers
/// share one fetch. A cache older than `maximumAge` is refreshed on its next use, so a key
/// removed from the set stops being trusted.
public actor JWKSCache {
    public typealias Fetch = @Sendable (URL) async throws -> Data

    private let url: URL
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let minimumRefreshInterval: TimeInterval
    private let maximumAge: TimeInterval

    private var keys: JWTKeyCollection?
    private var kids: Set<String> = []
    private var fetchedAt: Date?
    private var lastAttempt: Date?
    private var inFlight: Task<Void, any Error>?
    /// How many times the set was fetched (tests assert the rate limit with it).
    public private(set) var fetchCount = 0

    public init(url: URL, fetch: @escaping Fetch, now: @escaping @Sendable () -> Date, logger: Logger,
                minimumRefreshInterval: TimeInterval = 60, maximumAge: TimeInterval = 600) {
        self.url = url
        self.fetch = fetch
        self.now = now
        self.logger = logger
        self.minimumRefreshInterval = minimumRefreshInterval
        self.maximumAge = maximumAge
    }

    /// Fetches over HTTP with a short timeout and a size cap.
    public static func httpFetch(client: HTTPClient) -> Fetch {
        { url in
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: .seconds(5))
            guard response.status == .ok else {
                throw JWKSFetchError(message: "JWKS answered HTTP \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: 512 * 1024)
            return Data(buffer: body)
        }
    }

    /// The key collection, refreshed first if `kid` is not in it and a refresh is allowed.
    /// Throws `AuthFailure.unknownKey` when the key is still not known.
    func keys(containing kid: String) async throws(AuthFailure) -> JWTKeyCollection {
        let stale = fetchedAt.map { now().timeIntervalSince($0) >= maximumAge } ?? true
        if stale || !kids.contains(kid) {
            await refreshIfAllowed()
        }
        guard let keys, kids.contains(kid) else { throw .unknownKey }
        return keys
    }

    private func refreshIfAllowed() async {
        if let inFlight {
            _ = try? await inFlight.value
            return
        }
        if let lastAttempt, now().timeIntervalSince(lastAttempt) < minimumRefreshInterval { return }
        lastAttempt = now()
        let task = Task { try await self.load() }
        inFlight = task
        do {
            try await task.value
        } catch {
            logger.warning("could not refresh the JWKS", metadata: ["error": "\(error)"])
        }
        inFlight = nil
    }

    private func load() async throws {
        fetchCount += 1
        let data = try await fetch(url)
        let set = try JSONDecoder().decode(JWKS.self, from: data)
        let collection = JWTKeyCollection()
        var identifiers = Set<String>()
        for key in set.keys {
            guard let kid = key.keyIdentifier?.string else { continue }
            // Only the asymmetric algorithms this service accepts; an odd key is skipped, not fatal.
            guard key.keyType == .rsa || key.keyType == .ecdsa else { continue }
            do {
                try await collection.add(jwk: key)
                identifiers.insert(kid)
            } catch {
                logger.warning("skipping a JWKS key that could not be loaded", metadata: ["kid": "\(kid)"])
            }
        }
        keys = collection
        kids = identifiers
        fetchedAt = now()
    }
}

struct JWKSFetchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
