import Foundation
import Vapor

/// What operators do from the command line (`interior plan`, `interior credit`).
public enum Operations {
    /// Sets a profile's plan; false when the user has no profile yet.
    public static func setPlan(_ app: Application, user: UUID, planId: String) async throws -> Bool {
        try await ProfileRepository(sql: app.sql).setPlan(id: user, planId: planId)
    }

    /// Records an `adjustment` giving `amount` generations back; false when there is no profile.
    public static func credit(_ app: Application, user: UUID, amount: Int, reason: String) async throws -> Bool {
        guard try await ProfileRepository(sql: app.sql).find(id: user) != nil else { return false }
        let context = app.interior
        try await UsageRepository(sql: app.sql).recordAdjustment(
            id: context.dependencies.makeID(), owner: user, amount: amount, reason: reason, now: context.dependencies.now())
        return true
    }
}

extension Operations {
    /// One reconciler pass (`interior sweep`).
    public static func sweep(_ app: Application) async throws -> (polled: Int, timedOut: Int) {
        let report = try await app.interior.reconciler.sweep()
        return (report.polled, report.timedOut)
    }
}
