import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Vapor

/// Reads a streamed request body chunk by chunk, with a bound on how long the body may stall:
/// a body that stops arriving for `idle` is answered 408 rather than holding the request (and
/// what it has read) open forever. A body that fails underneath — the client closed the
/// connection or broke the framing — is a `ClientAbort`, not a server error.
enum BodyStream {
    /// Calls `consume` with each chunk until the body ends or `consume` returns false.
    static func forEach(_ request: Request, idle: Duration, _ consume: @escaping @Sendable (ByteBuffer) -> Bool) async throws {
        let watch = IdleWatch()
        let idleSeconds = max(1, Int((Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18).rounded()))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await chunk in request.body {
                        watch.touch()
                        if !consume(chunk) { break }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    throw ClientAbort(underlying: error)
                }
            }
            group.addTask {
                while true {
                    let due = watch.last + idle
                    try await Task.sleep(until: due, clock: .continuous)
                    if watch.last + idle <= .now {
                        throw APIError(.requestTimeout, "The request body stopped arriving for \(idleSeconds) s; send it again.")
                    }
                }
            }
            // The first to end decides: the body was read, it stalled, or it failed. The other
            // is cancelled (a cancelled read ends its loop; a cancelled watch stops sleeping).
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    private final class IdleWatch: Sendable {
        private let instant = NIOLockedValueBox(ContinuousClock.now)
        var last: ContinuousClock.Instant { instant.withLockedValue { $0 } }
        func touch() { instant.withLockedValue { $0 = .now } }
    }
}

/// The client went away (or broke the HTTP framing) while its request was being read: nobody
/// is left to answer, and it is not the server's fault, so it is logged low and counted as
/// 499 (nginx's "client closed request"), never as a 5xx.
struct ClientAbort: Error, CustomStringConvertible {
    let underlying: any Error

    static let status = HTTPResponseStatus(statusCode: 499, reasonPhrase: "Client Closed Request")

    var description: String { "client closed the connection: \(String(describing: underlying).prefix(200))" }

    /// Whether an error raised while a body was being collected is the connection failing
    /// underneath (Vapor's own `.collect` bodies surface these unwrapped).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        switch error {
        case is ClientAbort:
            return true
        case let error as HTTPParserError:
            return error == .invalidEOFState
        case let error as ChannelError:
            return error == .ioOnClosedChannel || error == .eof || error == .alreadyClosed || error == .outputClosed
        case let error as IOError:
            return [ECONNRESET, EPIPE, ECONNABORTED].contains(error.errnoCode)
        default:
            return false
        }
    }
}
