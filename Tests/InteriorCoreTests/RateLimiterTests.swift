import Foundation
import Testing
import InteriorCore

@Suite("Rate limiter")
struct RateLimiterTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a burst of the per-minute number, then one every 60/n seconds, with the wait to the next token")
    func burstThenRefill() {
        let limiter = RateLimiter<String>(perMinute: 6)
        for _ in 0..<6 { #expect(limiter.admit("a", now: start) == .allowed) }
        #expect(limiter.admit("a", now: start) == .limited(retryAfter: 10))
        #expect(limiter.admit("a", now: start.addingTimeInterval(4)) == .limited(retryAfter: 6))
        #expect(limiter.admit("a", now: start.addingTimeInterval(10)) == .allowed)
        #expect(limiter.admit("a", now: start.addingTimeInterval(10)) == .limited(retryAfter: 10))
        // A long pause refills to the burst, not beyond it.
        let later = start.addingTimeInterval(3600)
        for _ in 0..<6 { #expect(limiter.admit("a", now: later) == .allowed) }
        #expect(limiter.admit("a", now: later) != .allowed)
    }

    @Test("keys are independent")
    func keysAreIndependent() {
        let limiter = RateLimiter<String>(perMinute: 1)
        #expect(limiter.admit("a", now: start) == .allowed)
        #expect(limiter.admit("a", now: start) != .allowed)
        #expect(limiter.admit("b", now: start) == .allowed)
    }

    @Test("0 per minute admits everything")
    func zeroIsOff() {
        let limiter = RateLimiter<String>(perMinute: 0)
        for _ in 0..<1000 { #expect(limiter.admit("a", now: start) == .allowed) }
    }

    @Test("a clock that steps back neither refills nor drains")
    func clockStepsBack() {
        let limiter = RateLimiter<String>(perMinute: 2)
        #expect(limiter.admit("a", now: start) == .allowed)
        #expect(limiter.admit("a", now: start.addingTimeInterval(-100)) == .allowed)
        #expect(limiter.admit("a", now: start.addingTimeInterval(-100)) == .limited(retryAfter: 30))
        #expect(limiter.admit("a", now: start.addingTimeInterval(30)) == .allowed)
    }

    @Test("many keys: buckets that have refilled are forgotten, busy ones kept")
    func pruning() {
        let limiter = RateLimiter<Int>(perMinute: 60, pruneThreshold: 100)
        for key in 0..<100 { #expect(limiter.admit(key, now: start) == .allowed) }
        #expect(limiter.trackedKeys == 100)
        for _ in 0..<59 { _ = limiter.admit(7, now: start.addingTimeInterval(0.5)) }
        // Key 100 arrives a second later: every bucket but 7's has refilled and goes.
        #expect(limiter.admit(100, now: start.addingTimeInterval(1.5)) == .allowed)
        #expect(limiter.trackedKeys == 2)
        // Key 7 kept its bucket: one token refilled in that second, not a fresh burst.
        #expect(limiter.admit(7, now: start.addingTimeInterval(1.5)) == .allowed)
        #expect(limiter.admit(7, now: start.addingTimeInterval(1.5)) != .allowed)
    }

    @Test("a prune that frees nothing waits for the map to double instead of running on each request")
    func pruningBacksOff() {
        let limiter = RateLimiter<Int>(perMinute: 60, pruneThreshold: 10)
        // Eleven keys, all mid-burst: the prune at the eleventh can forget none of them.
        for key in 0..<11 { #expect(limiter.admit(key, now: start) == .allowed) }
        #expect(limiter.trackedKeys == 11)
        // An hour on, those have refilled, but the next prune waits until past 22 keys.
        let later = start.addingTimeInterval(3600)
        for key in 11..<22 { #expect(limiter.admit(key, now: later) == .allowed) }
        #expect(limiter.trackedKeys == 22)
        // The 23rd key prunes: the refilled eleven go, the eleven busy ones and itself stay.
        #expect(limiter.admit(22, now: later) == .allowed)
        #expect(limiter.trackedKeys == 12)
    }

    @Test("concurrent admits of one key never exceed the burst")
    func concurrentAdmits() async {
        let limiter = RateLimiter<String>(perMinute: 50)
        let start = self.start
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 { group.addTask { limiter.admit("a", now: start) == .allowed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 50)
    }
}
