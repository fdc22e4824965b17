import Foundation
import Imaging
import SQLKit
import Storage
import Vapor

/// `GET /api/v1/health`: can this instance reach its database and its storage? And what it
/// runs on: the storage backend and what the installed libvips can decode.
enum HealthController {
    struct Health: Content {
        let status: String
        let db: String
        let storage: String
        let storageBackend: String
        let replicate: String
        let imaging: ImagingInfo
        let storageAccess: StorageAccess
        /// `served` when the try-it page's files are there, else `missing` (the API works either way).
        let webPage: String
    }

    /// The storage check's latest report (`StorageAccessMonitor`), never run for this request.
    struct StorageAccess: Content {
        /// ok, refused (the public bucket does not serve objects anonymously) or error;
        /// pending until the first check has finished.
        let publicRead: String
        /// ok, exposed (the private bucket serves objects to anyone) or error; pending at first.
        let privateRead: String
        let checkedAt: Date?
    }

    struct ImagingInfo: Content {
        let libvips: String
        /// Formats uploads may be decoded from (HEIC and AVIF only with libheif and codecs).
        let formats: [String]
    }

    @Sendable
    static func health(_ request: Request) async throws -> Response {
        let context = request.interior
        async let db = check { try await request.sql.raw("SELECT 1").run() }
        async let storage = check { try await context.checkStorage() }
        let (dbOK, storageOK) = await (db, storage)
        let access = await context.storageAccess.cached()
        let health = Health(
            status: dbOK && storageOK ? "ok" : "degraded",
            db: dbOK ? "ok" : "error",
            storage: storageOK ? "ok" : "error",
            storageBackend: context.store.kind,
            replicate: context.settings.replicate.usesEmulator ? "emulator" : "live",
            imaging: imaging,
            storageAccess: StorageAccess(publicRead: access?.report.publicRead.status.rawValue ?? "pending",
                                         privateRead: access?.report.privateRead.status.rawValue ?? "pending",
                                         checkedAt: access?.checkedAt),
            webPage: context.settings.webRoot.map(WebRoot.hasIndex) == true ? "served" : "missing")
        guard dbOK, storageOK else {
            throw APIError(.serviceUnavailable, "The service cannot reach its database or storage.",
                           details: ["db": health.db, "storage": health.storage, "replicate": health.replicate])
        }
        return try Envelope(health).encodeResponse(status: .ok)
    }

    private static var imaging: ImagingInfo {
        let capabilities = ImageProcessor.capabilities
        let formats = ImageFormat.allCases.filter(capabilities.supports).map(\.rawValue)
        return ImagingInfo(libvips: capabilities.libvipsVersion, formats: formats)
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
