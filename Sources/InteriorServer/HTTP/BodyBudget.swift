import Foundation
import NIOConcurrencyHelpers

/// Bounds the bytes of submit bodies this process holds at once, in all and per user, so that
/// many large uploads in parallel (the rate limiter admits bursts) cannot make the server hold
/// gigabytes. A submit claims what its body declares before reading it (or, for a chunked
/// body, what has arrived so far) and keeps the claim until its answer is made, because the
/// body's bytes live that long. Past a limit the submit is refused at once with `Retry-After`:
/// 429 when it is this user's uploads, 503 when it is everyone's.
final class BodyBudget: Sendable {
    enum Refusal: Error, Equatable {
        case user
        case everyone
    }

    /// Seconds a refused client is asked to wait: about what a large upload takes to be read
    /// and answered, so a claim is likely to have been given back by then.
    static let retryAfterSeconds = 5

    let limit: Int
    let perUserLimit: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var held = 0
        var byUser: [UUID: Int] = [:]
        var peak = 0
    }

    init(limit: Int, perUserLimit: Int) {
        self.limit = limit
        self.perUserLimit = perUserLimit
    }

    /// Claims `bytes` more for `user`, or nothing when either limit would be passed.
    func claim(_ bytes: Int, user: UUID) throws(Refusal) {
        guard bytes > 0 else { return }
        let refusal: Refusal? = state.withLockedValue { state in
            let mine = state.byUser[user, default: 0]
            if mine + bytes > perUserLimit { return .user }
            if state.held + bytes > limit { return .everyone }
            state.byUser[user] = mine + bytes
            state.held += bytes
            state.peak = max(state.peak, state.held)
            return nil
        }
        if let refusal { throw refusal }
    }

    func release(_ bytes: Int, user: UUID) {
        guard bytes > 0 else { return }
        state.withLockedValue { state in
            let mine = state.byUser[user, default: 0] - bytes
            state.byUser[user] = mine > 0 ? mine : nil
            state.held -= bytes
        }
    }

    /// Bytes claimed now, and the most ever claimed at once (tests and metrics read them).
    var held: Int { state.withLockedValue { $0.held } }
    var peak: Int { state.withLockedValue { $0.peak } }

    /// The answer to a refused claim.
    static func apiError(for refusal: Refusal) -> APIError {
        let headers = ["Retry-After": String(retryAfterSeconds)]
        switch refusal {
        case .user:
            return APIError(.rateLimited, "Your other uploads are still being received. Please wait \(retryAfterSeconds) s and try again.",
                            headers: headers)
        case .everyone:
            return APIError(.serviceUnavailable, "The service is busy receiving other uploads. Please try again in \(retryAfterSeconds) s.",
                            headers: headers)
        }
    }
}

/// One request's claim on the budget: grown as its body arrives, given back once (by
/// `release`, or when it is dropped). Used by one request at a time.
final class BodyClaim: @unchecked Sendable {
    private let budget: BodyBudget
    private let user: UUID
    private(set) var bytes = 0

    init(budget: BodyBudget, user: UUID) {
        self.budget = budget
        self.user = user
    }

    /// Holds at least `total` bytes; a refusal leaves the claim as it was.
    func grow(to total: Int) throws(APIError) {
        guard total > bytes else { return }
        do {
            try budget.claim(total - bytes, user: user)
        } catch {
            throw BodyBudget.apiError(for: error)
        }
        bytes = total
    }

    func release() {
        budget.release(bytes, user: user)
        bytes = 0
    }

    deinit { release() }
}
