import Foundation
import SQLKit
import Vapor

/// `GET /api/v1/health`: can this instance reach its database and its storage?
enum HealthController {
    struct Health: Content {
        let status: String
        let db: String
        let storage: String
        let replicate: String
    }

    @Sendable
    static func health(_ request: Request) async throws -> Response {
        let context = request.interior
        async let db = check { try await request.sql.raw("SELECT 1").run() }
        async let storage = check { try await context.checkStorage() }
        let (dbOK, storageOK) = await (db, storage)
        let health = Health(
            status: dbOK && storageOK ? "ok" : "degraded",
            db: dbOK ? "ok" : "error",
            storage: storageOK ? "ok" : "error",
            replicate: context.settings.replicate.usesEmulator ? "emulator" : "live")
        guard dbOK, storageOK else {
            throw APIError(.serviceUnavailable, "The service cannot reach its database or storage.",
                           details: ["db": health.db, "storage": health.storage, "replicate": health.replicate])
        }
        return try Envelope(health).encodeResponse(status: .ok)
    }

    private static func check(_ probe: @Sendable () async throws -> Void) async -> Bool {
        do {
            try await probe()
            return true
        } catch {
            return false
        }
    }
}
