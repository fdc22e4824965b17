import Foundation

/// Exponential backoff with full jitter: before retry `n` (0-based) the client waits a random
/// time in `0...min(cap, base × multiplier^n)`, or what `Retry-After` asks, up to `maxRetryAfter`.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var multiplier: Double
    public var cap: Duration
    public var maxRetries: Int
    public var maxRetryAfter: Duration

    public init(
        base: Duration = .milliseconds(100), multiplier: Double = 4, cap: Duration = .seconds(5),
        maxRetries: Int = 3, maxRetryAfter: Duration = .seconds(10)
    ) {
        self.base = base
        self.multiplier = multiplier
        self.cap = cap
        self.maxRetries = maxRetries
        self.maxRetryAfter = maxRetryAfter
    }

    /// No retries at all: one attempt per call.
    public static let none = RetryPolicy(maxRetries: 0)

    /// The upper bound of the jittered wait before retry `retry` (0-based).
    public func ceiling(forRetry retry: Int) -> Duration {
        let seconds = base.seconds * pow(multiplier, Double(retry))
        return .seconds(min(cap.seconds, seconds))
    }

    /// The wait before retry `retry`: `Retry-After` (capped) when the server sent one, else a
    /// jittered backoff drawn with `random`.
    public func delay(
        forRetry retry: Int, retryAfter: Duration?, random: (ClosedRange<Double>) -> Double
    ) -> Duration {
        if let retryAfter {
            return .seconds(min(max(retryAfter.seconds, 0), maxRetryAfter.seconds))
        }
        return .seconds(random(0...ceiling(forRetry: retry).seconds))
    }
}

extension Duration {
    /// The duration in seconds, with sub-second precision.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
