import FluentKit
import Foundation
import SQLKit

/// Where an event of the inbox came from.
enum EventSource: String, Codable, Sendable {
    /// A signed delivery from Replicate.
    case webhook
    /// Learnt by the status endpoint polling Replicate.
    case poll
    /// Learnt by the reconciler polling Replicate.
    case reconciler
}

enum EventState: String, Codable, Sendable {
    case pending, done, dead
}

/// A row of `webhook_events`.
struct InboxEvent: Codable, Sendable, Equatable {
    var webhookId: String
    var jobId: UUID?
    var predictionId: String?
    var status: String?
    /// The prediction as JSON, exactly as received.
    var payload: String
    var source: EventSource
    var state: EventState
    var attempts: Int
    var nextAttemptAt: Date
    var lockedUntil: Date?
    var lastError: String?
    var receivedAt: Date
    var processedAt: Date?
    var createdAt: Date
}

/// SQL for the durable inbox (`webhook_events`, SPEC §8.3).
struct InboxRepository {
    let sql: any SQLDatabase

    /// Records an event; false when an event with this id is already there (a redelivery).
    @discardableResult
    func record(_ event: InboxEvent) async throws -> Bool {
        let rows = try await sql.insert(into: "webhook_events")
            .model(event, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
            .ignoringConflicts()
            .returning("webhook_id")
            .all()
        return !rows.isEmpty
    }

    /// Claims up to `limit` due events for `lease` seconds and counts the attempt. On
    /// PostgreSQL, `FOR UPDATE SKIP LOCKED` lets instances claim side by side without
    /// waiting on or double-claiming each other's rows; SQLite has a single writer, which
    /// gives the same guarantee. A claim whose worker died expires with its lease.
    func claim(now: Date, lease: TimeInterval, limit: Int) async throws -> [InboxEvent] {
        let skipLocked: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
        return try await sql.raw("""
            UPDATE webhook_events SET locked_until = \(bind: now.addingTimeInterval(lease)), attempts = attempts + 1
            WHERE webhook_id IN (
                SELECT webhook_id FROM webhook_events
                WHERE state = 'pending' AND next_attempt_at <= \(bind: now)
                  AND (locked_until IS NULL OR locked_until <= \(bind: now))
                ORDER BY next_attempt_at
                LIMIT \(bind: limit)
                \(skipLocked))
            RETURNING *
            """).all(decoding: InboxEvent.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Extends the claim that made attempt number `attempt` to `until`, while its worker is
    /// still at it. False when the claim was lost (it expired and another worker took it).
    func renew(_ id: String, attempt: Int, until: Date) async throws -> Bool {
        let rows = try await sql.update("webhook_events")
            .set("locked_until", to: SQLBind(until))
            .where("webhook_id", .equal, SQLBind(id))
            .where("state", .equal, SQLBind(EventState.pending.rawValue))
            .where("attempts", .equal, SQLBind(attempt))
            .where("locked_until", .isNot, SQLLiteral.null)
            .returning("webhook_id")
            .all()
        return !rows.isEmpty
    }

    func markDone(_ id: String, now: Date) async throws {
        try await sql.update("webhook_events")
            .set("state", to: SQLBind(EventState.done.rawValue))
            .set("processed_at", to: SQLBind(now))
            .set("locked_until", to: SQLLiteral.null)
            .where("webhook_id", .equal, SQLBind(id))
            .run()
    }

    /// Releases failed attempt number `attempt` for another try at `nextAttemptAt`, or, when
    /// `dead`, gives up. Only the latest claim decides: when the lease ran out and the event was
    /// claimed again meanwhile, this late report changes nothing.
    /// - Returns: whether the report was recorded.
    @discardableResult
    func markFailed(_ id: String, attempt: Int, error: String, nextAttemptAt: Date, dead: Bool, now: Date) async throws -> Bool {
        let rows = try await sql.update("webhook_events")
            .set("state", to: SQLBind((dead ? EventState.dead : .pending).rawValue))
            .set("last_error", to: SQLBind(String(error.prefix(500))))
            .set("next_attempt_at", to: SQLBind(nextAttemptAt))
            .set("locked_until", to: SQLLiteral.null)
            .set("processed_at", to: dead ? SQLBind(now) : SQLLiteral.null)
            .where("webhook_id", .equal, SQLBind(id))
            .where("state", .equal, SQLBind(EventState.pending.rawValue))
            .where("attempts", .equal, SQLBind(attempt))
            .returning("webhook_id")
            .all()
        return !rows.isEmpty
    }

    /// Takes up news learnt again: a dead event gets a fresh set of attempts (its retries ran
    /// out, e.g. a storage outage that outlasted them), and a pending one no worker holds is due
    /// now instead of at its backoff. With `lockedUntil` the caller claims it (counting the
    /// attempt); a live claim is never taken from its worker.
    /// - Returns: the event as taken up, or nil when another worker holds it (or it is done).
    func rearm(_ id: String, now: Date, lockedUntil: Date?) async throws -> InboxEvent? {
        let claim = lockedUntil == nil ? 0 : 1
        return try await sql.raw("""
            UPDATE webhook_events SET
                attempts = CASE WHEN state = 'dead' THEN \(bind: claim) ELSE attempts + \(bind: claim) END,
                state = 'pending', next_attempt_at = \(bind: now), processed_at = NULL,
                locked_until = \(lockedUntil.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
            WHERE webhook_id = \(bind: id)
              AND (state = 'dead' OR (state = 'pending' AND (locked_until IS NULL OR locked_until <= \(bind: now))))
            RETURNING *
            """).first(decoding: InboxEvent.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    func find(_ id: String) async throws -> InboxEvent? {
        try await sql.select().column(SQLLiteral.all).from("webhook_events")
            .where("webhook_id", .equal, SQLBind(id))
            .first(decoding: InboxEvent.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    func events(job: UUID) async throws -> [InboxEvent] {
        try await sql.select().column(SQLLiteral.all).from("webhook_events")
            .where("job_id", .equal, SQLBind(job))
            .orderBy("received_at")
            .all(decoding: InboxEvent.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    func count(state: EventState) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("webhook_events")
            .where("state", .equal, SQLBind(state.rawValue))
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
