import Foundation

/// A counting semaphore for async code: `acquire` suspends the task (it never blocks a
/// thread) until a permit is free; permits are handed to waiters first come, first served.
/// It also records how many holders there are and the most there have ever been.
final class AsyncLimiter: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var waitersHead = 0
    private var holders = 0
    private var peakHolders = 0

    init(limit: Int) {
        precondition(limit > 0, "a limiter needs at least one permit")
        self.limit = limit
        self.available = limit
    }

    var inFlight: Int { lock.withLock { holders } }
    var peakInFlight: Int { lock.withLock { peakHolders } }
    var waiting: Int { lock.withLock { waiters.count - waitersHead } }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = lock.withLock {
                guard available > 0 else {
                    waiters.append(continuation)
                    return false
                }
                available -= 1
                recordHolder()
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            holders -= 1
            guard waitersHead < waiters.count else {
                available += 1
                return nil
            }
            let next = waiters[waitersHead]
            waitersHead += 1
            if waitersHead == waiters.count {
                waiters.removeAll(keepingCapacity: true)
                waitersHead = 0
            }
            recordHolder()
            return next
        }
        next?.resume()
    }

    /// Runs `body` holding one permit.
    func withPermit<T: Sendable, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func recordHolder() {
        holders += 1
        peakHolders = max(peakHolders, holders)
    }
}
