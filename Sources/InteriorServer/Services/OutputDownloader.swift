import AsyncHTTPClient
import Foundation
import Imaging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Downloads model outputs, and only model outputs: from the allowed origins (scheme, host
/// and port — see `OutputOrigin`), following at most three redirects each re-checked against
/// the allowlist, at most 25 MB, with retries and backoff for what may pass (5xx, timeouts,
/// broken connections).
///
/// The bytes held at once are bounded by `budget` (permits are bytes): a download reserves
/// `expectedBytes` before it connects, then holds what it received until the caller releases
/// it, after the output is converted. A burst of webhooks therefore waits without connecting
/// rather than buffering every output while the image limiter works through them.
struct OutputDownloader: Sendable {
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// Will not get better by trying again: a host we do not trust, a 4xx, too big.
        case permanent(String)
        /// Might: the host is down or slow.
        case transient(String)

        var description: String {
            switch self {
            case let .permanent(reason), let .transient(reason): reason
            }
        }
    }

    let client: HTTPClient
    let allowedOrigins: [OutputOrigin]
    let maxBytes: Int
    let timeout: TimeAmount
    let attempts: Int
    let sleep: @Sendable (Duration) async throws -> Void
    let budget: AsyncLimiter
    let expectedBytes: Int

    static let maxRedirects = 3
    /// A 1536² photo as PNG is 3–5 MB; 48 MB lets a dozen downloads run ahead of the two
    /// renders a 2-core machine does at once.
    static let defaultBudget = 48 << 20
    static let defaultExpectedBytes = 4 << 20

    init(client: HTTPClient, allowedOrigins: [OutputOrigin], maxBytes: Int, timeout: TimeAmount, attempts: Int,
         sleep: @escaping @Sendable (Duration) async throws -> Void,
         budget: AsyncLimiter = AsyncLimiter(limit: OutputDownloader.defaultBudget),
         expectedBytes: Int = OutputDownloader.defaultExpectedBytes) {
        self.client = client
        self.allowedOrigins = allowedOrigins
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.attempts = attempts
        self.sleep = sleep
        self.budget = budget
        self.expectedBytes = max(1, expectedBytes)
    }

    /// A downloaded output and its share of the budget; `release` it once it is converted
    /// (releasing twice does nothing).
    final class Download: Sendable {
        let data: Data
        private let held: NIOLockedValueBox<Int>
        private let budget: AsyncLimiter

        init(data: Data, held: Int, budget: AsyncLimiter) {
            self.data = data
            self.held = NIOLockedValueBox(held)
            self.budget = budget
        }

        func release() {
            let permits = held.withLockedValue { held in defer { held = 0 }; return held }
            if permits > 0 { budget.release(permits) }
        }

        deinit { release() }
    }

    /// A client that never follows redirects by itself: we check each hop.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The output at `url`, holding its bytes' share of the budget until released.
    func download(_ url: URL) async throws(Failure) -> Download {
        let reserved = min(expectedBytes, budget.limit)
        await budget.acquire(reserved)
        let data: Data
        do {
            data = try await downloadWithRetries(url)
        } catch {
            budget.release(reserved)
            throw error
        }
        // Hold what arrived; an output larger than expected is counted as the reservation
        // (growing it while holding could wait on downloads that wait on us).
        let held = max(1, min(data.count, reserved))
        if held < reserved { budget.release(reserved - held) }
        return Download(data: data, held: held, budget: budget)
    }

    private func downloadWithRetries(_ url: URL) async throws(Failure) -> Data {
        var lastFailure = Failure.transient("not attempted")
        for attempt in 0..<attempts {
            if attempt > 0 {
                // 0.5 s, 2 s, 8 s …
                try? await sleep(.milliseconds(500 * Int(pow(4.0, Double(attempt - 1)))))
            }
            do {
                return try await fetch(url)
            } catch let failure as Failure {
                if case .permanent = failure { throw failure }
                lastFailure = failure
            } catch {
                lastFailure = .transient("\(error)")
            }
        }
        throw lastFailure
    }

    private func fetch(_ start: URL) async throws -> Data {
        var url = start
        for _ in 0...Self.maxRedirects {
            try check(url)
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .GET
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: timeout)
            } catch {
                throw Failure.transient("download failed: \(Self.describe(error))")
            }
            switch response.status.code {
            case 200:
                if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                    throw Failure.permanent("output is larger than \(maxBytes / (1024 * 1024)) MB")
                }
                do {
                    return Data(buffer: try await response.body.collect(upTo: maxBytes))
                } catch is NIOTooManyBytesError {
                    throw Failure.permanent("output is larger than \(maxBytes / (1024 * 1024)) MB")
                } catch {
                    throw Failure.transient("download was cut short: \(Self.describe(error))")
                }
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location"),
                      let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw Failure.permanent("redirect without a location")
                }
                url = next
            case 408, 429, 500...599:
                throw Failure.transient("output host answered \(response.status.code)")
            default:
                throw Failure.permanent("output host answered \(response.status.code)")
            }
        }
        throw Failure.permanent("too many redirects")
    }

    /// Only allowed origins (scheme, host and port), no credentials in the URL.
    func check(_ url: URL) throws(Failure) {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw .permanent("output URL scheme is not allowed")
        }
        guard url.user == nil, url.password == nil, let host = url.host?.lowercased(), !host.isEmpty else {
            throw .permanent("output URL is not allowed")
        }
        guard allowedOrigins.contains(where: { $0.admits(url) }) else {
            throw .permanent("output origin \(scheme)://\(host):\(url.port.map(String.init) ?? "default") is not allowed")
        }
    }

    private static func describe(_ error: any Error) -> String {
        String(describing: error).prefix(200).description
    }
}
