import Foundation
import InteriorCore
import Storage
import Vapor

/// `interior storage check`, `interior storage init`, and the check `serve` runs at start-up.
extension Operations {
    /// What `storage init` did, then what the check found afterwards.
    public struct StorageSetup: Sendable {
        public var actions: [String]
        public var report: StorageCheckReport
    }

    /// Runs the storage check now (health's cached report is replaced by it).
    public static func checkStorage(_ app: Application) async -> StorageCheckReport {
        await app.interior.storageAccess.refresh().report
    }

    /// A line to print after a failed check, when the tool can do something about it.
    public static func storageHint(_ app: Application, _ report: StorageCheckReport) -> String? {
        let missing = report.publicBucket.status == .missing || report.privateBucket.status == .missing
        let refused = report.publicRead.status == .refused && app.interior.s3Store?.isSupabaseStorage == false
        guard missing || refused else { return nil }
        return "`interior storage init` creates missing buckets and sets a public-read policy on the public bucket"
    }

    /// Creates the buckets that are missing and, where the service has bucket policies, lets
    /// anyone read the public bucket's objects. Never loosens the private bucket, and never
    /// tightens it either: an exposed private bucket is reported, for its owner to fix.
    public static func initStorage(_ app: Application) async throws -> StorageSetup {
        let context = app.interior
        let settings = context.settings
        let buckets = [settings.publicBucket, settings.privateBucket]
        var actions: [String] = []
        var report = await checkStorage(app)

        let missing = zip(buckets, [report.publicBucket, report.privateBucket]).filter { $0.1.status == .missing }.map(\.0)
        if let s3 = context.s3Store {
            if !missing.isEmpty {
                try await s3.ensureBuckets(missing)
                actions += missing.map { "created bucket \"\($0)\"" }
                report = await checkStorage(app)
            }
        } else {
            // Local buckets are directories, made (and checked writable) by the health check.
            try await context.store.checkHealth(buckets: buckets)
        }

        guard report.publicRead.status == .refused else { return StorageSetup(actions: actions, report: report) }
        guard let s3 = context.s3Store else {
            actions.append("public objects are served through PUBLIC_ASSET_BASE_URL, which refused: point it at this "
                + "server's /storage/v1/object/public route")
            return StorageSetup(actions: actions, report: report)
        }
        if s3.isSupabaseStorage {
            actions.append("Supabase Storage has no bucket policies: in the dashboard, open Storage, edit bucket "
                + "\"\(settings.publicBucket)\" and switch on \"Public bucket\"")
            return StorageSetup(actions: actions, report: report)
        }
        do {
            try await s3.allowAnonymousRead(bucket: settings.publicBucket)
            actions.append("set a bucket policy on \"\(settings.publicBucket)\" letting anyone read its objects (s3:GetObject)")
            report = await checkStorage(app)
        } catch {
            actions.append("could not set a public-read policy on \"\(settings.publicBucket)\" (\(error)): allow anonymous "
                + "s3:GetObject on it in the storage provider's console")
        }
        return StorageSetup(actions: actions, report: report)
    }

    /// The check `serve` runs before it listens, logged once. Only an exposed private bucket
    /// in production stops start-up; anything else is a warning, so development always starts.
    public static func checkStorageAtStartup(_ app: Application) async throws {
        let context = app.interior
        let report = await checkStorage(app)
        if report.passed {
            app.logger.notice("storage check passed: \(context.store.kind), public read ok, private read ok")
        } else {
            let problems = report.lines.filter { !$0.contains(": ok — ") }
            app.logger.warning("storage check failed: \(problems.joined(separator: "; "))")
        }
        if context.settings.isProduction, report.privateRead.status == .exposed {
            throw ConfigError("STORAGE_PRIVATE_BUCKET",
                              "bucket \"\(context.settings.privateBucket)\" is publicly readable (\(report.privateRead.detail)); "
                                + "production refuses to start with uploads exposed")
        }
    }
}
