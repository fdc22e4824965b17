import Foundation

/// A counting semaphore for async code: `acquire` suspends the task (it never blocks a
/// thread) until enough permits are free; waiters are served first come, first served, so a
/// large request is never overtaken by smaller ones behind it. A request for more than the
/// limit takes every permit (it waits for all of them, and never forever). It also records
/// how many permits are held and the most there have ever been.
public final class AsyncLimiter: @unchecked Sendable {
    public let limit: Int
    private let lock = NSLock()
    private var available: Int
    private var waiters: [(permits: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var waitersHead = 0
    private var held = 0
    private var peakHeld = 0

    public init(limit: Int) {
        precondition(limit > 0, "a limiter needs at least one permit")
        self.limit = limit
        self.available = limit
    }

    /// Permits held now, and the most ever held at once.
    public var inFlight: Int { lock.withLock { held } }
    public var peakInFlight: Int { lock.withLock { peakHeld } }
    /// Requests waiting for permits.
    public var waiting: Int { lock.withLock { waiters.count - waitersHead } }

    public func acquire(_ permits: Int = 1) async {
        let wanted = clamped(permits)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = lock.withLock {
                // Nobody passes a waiter, even a request that would fit now.
                guard waitersHead == waiters.count, available >= wanted else {
                    waiters.append((wanted, continuation))
                    return false
                }
                take(wanted)
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Gives back what one `acquire(permits)` took (the same number, clamped the same way).
    public func release(_ permits: Int = 1) {
        let returned = clamped(permits)
        let next: [CheckedContinuation<Void, Never>] = lock.withLock {
            held -= returned
            available += returned
            var served: [CheckedContinuation<Void, Never>] = []
            while waitersHead < waiters.count, waiters[waitersHead].permits <= available {
                take(waiters[waitersHead].permits)
                served.append(waiters[waitersHead].continuation)
                waitersHead += 1
            }
            if waitersHead == waiters.count {
                waiters.removeAll(keepingCapacity: true)
                waitersHead = 0
            }
            return served
        }
        for continuation in next { continuation.resume() }
    }

    /// Runs `body` holding `permits` permits.
    public func withPermit<T: Sendable, E: Error>(_ permits: Int = 1, _ body: () async throws(E) -> T) async throws(E) -> T {
        await acquire(permits)
        defer { release(permits) }
        return try await body()
    }

    private func clamped(_ permits: Int) -> Int {
        precondition(permits > 0, "a request takes at least one permit")
        return min(permits, limit)
    }

    private func take(_ permits: Int) {
        available -= permits
        held += permits
        peakHeld = max(peakHeld, held)
    }
}
