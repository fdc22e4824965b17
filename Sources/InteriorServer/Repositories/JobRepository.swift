import FluentKit
import Foundation
import InteriorCore
import SQLKit

/// A row of `generation_jobs`.
struct JobRow: Codable, Sendable, Equatable {
    var id: UUID
    var ownerId: UUID
    var mode: GenerationMode
    var roomType: String
    var style: String
    var aspectRatio: AspectRatio
    var quality: Quality
    var variants: Int
    var prompt: String?
    var finalPrompt: String?
    var input1Path: String?
    var input2Path: String?
    var model: String
    var predictionId: String?
    var status: JobStatus
    var errorCode: String?
    var error: String?
    var idempotencyKey: UUID?
    var requestFingerprint: String?
    var createdAt: Date
    var updatedAt: Date
    var lastPolledAt: Date?
    var completedAt: Date?
}

/// The outcome of trying to take an owner's in-flight slot.
enum JobInsertOutcome: Equatable, Sendable {
    case inserted
    /// The owner already has a job starting or processing (the partial unique index said so).
    case ownerHasJobInFlight
    /// The owner already used this idempotency key.
    case idempotencyKeyTaken
}

/// SQL for `generation_jobs`.
struct JobRepository {
    let db: any Database

    private var sql: any SQLDatabase { db as! any SQLDatabase }

    /// Inserts a new in-flight job and its debit in one transaction. The insert *is* the
    /// one-in-flight lock: a concurrent or existing in-flight job of the owner makes it fail
    /// in the database, and then nothing is charged.
    func insertWithDebit(_ job: JobRow, debitId: UUID) async throws -> JobInsertOutcome {
        precondition(job.status.isInFlight, "a new job starts in flight")
        do {
            try await db.transaction { transaction in
                let sql = transaction as! any SQLDatabase
                try await sql.insert(into: "generation_jobs")
                    .model(job, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
                    .run()
                try await UsageRepository(sql: sql).record(
                    .debit, id: debitId, owner: job.ownerId, job: job.id, reason: "generation submitted", now: job.createdAt)
            }
            return .inserted
        } catch {
            switch UniqueConstraint.violated(by: error) {
            case .inflightJob: return .ownerHasJobInFlight
            case .idempotencyKey: return .idempotencyKeyTaken
            default: throw error
            }
        }
    }

    /// The owner's job with this id; nil for another owner's job, so ids cannot be probed.
    func find(id: UUID, owner: UUID) async throws -> JobRow? {
        try await sql.select().column(SQLLiteral.all).from("generation_jobs")
            .where("id", .equal, SQLBind(id))
            .where("owner_id", .equal, SQLBind(owner))
            .first(decoding: JobRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
