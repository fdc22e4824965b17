import Foundation

/// A token bucket per key: `perMinute` requests a minute on average, bursts of up to
/// `perMinute` at once. It lives in memory, so each server process limits on its own —
/// a bound against runaway clients, not a billing rule (quotas and the one-job-in-flight
/// rule are the database's).
public final class RateLimiter<Key: Hashable & Sendable>: @unchecked Sendable {
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Refused; a token is back after this many whole seconds.
        case limited(retryAfter: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    public let perMinute: Int
    private let capacity: Double
    private let refillPerSecond: Double
    /// Beyond this many keys, buckets that have refilled completely are forgotten.
    private let pruneThreshold: Int
    /// When the next prune runs: after one, not before the map has doubled, so many busy
    /// keys cost one pass per doubling rather than one per request.
    private var nextPrune: Int
    private let lock = NSLock()
    private var buckets: [Key: Bucket] = [:]

    /// `perMinute` 0 admits everything.
    public init(perMinute: Int, pruneThreshold: Int = 10_000) {
        self.perMinute = perMinute
        self.capacity = Double(perMinute)
        self.refillPerSecond = Double(perMinute) / 60
        self.pruneThreshold = pruneThreshold
        self.nextPrune = pruneThreshold
    }

    public func admit(_ key: Key, now: Date) -> Decision {
        guard perMinute > 0 else { return .allowed }
        return lock.withLock {
            var bucket = buckets[key].map { refilled($0, now: now) } ?? Bucket(tokens: capacity, updated: now)
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                decision = .limited(retryAfter: max(1, Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up))))
            }
            buckets[key] = bucket
            if buckets.count > nextPrune {
                prune(now: now)
                nextPrune = max(pruneThreshold, buckets.count * 2)
            }
            return decision
        }
    }

    /// How many keys are tracked (for tests of the pruning).
    public var trackedKeys: Int { lock.withLock { buckets.count } }

    private func refilled(_ bucket: Bucket, now: Date) -> Bucket {
        // A clock that steps back refills nothing rather than draining.
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        return Bucket(tokens: min(capacity, bucket.tokens + elapsed * refillPerSecond), updated: max(now, bucket.updated))
    }

    private func prune(now: Date) {
        buckets = buckets.filter { refilled($0.value, now: now).tokens < capacity }
    }
}
