import Foundation
import InteriorCore
@testable import InteriorServer
import SQLKit
import Testing

/// What the invariant check reads once a cell has run its fault: one installation's
/// database, its storage directory, every log line it (and its emulator) wrote, the secrets
/// that must never show in them, and what Replicate (the emulator) says of each prediction.
struct ChaosWorld {
    let sql: any SQLDatabase
    /// The local storage root: one directory per bucket.
    let storage: URL
    let logs: [String]
    let secrets: [String]
    /// Prediction id → status at Replicate.
    let replicate: [String: String]
    let timeouts: Timeouts
    /// The installation's time at the check.
    let now: Date
}

/// What a cell allows beyond the invariants: the 5xx answers the spec names for its fault
/// (502 `UPSTREAM_ERROR` when Replicate refuses a create), and the job's expected end.
struct ChaosExpectation: Sendable {
    /// Statuses of the cell's jobs, in the order they were created (nil: any terminal one).
    var statuses: [JobStatus]?
    /// Variants of each succeeded job, in order (nil: at least one).
    var variants: [Int]?
    var allowed5xx: Set<Int> = []
    /// A prediction Replicate keeps running because every cancel sent to it was refused.
    var replicateMayRun = false
}

/// The result of one check: which invariants held, and the slowest job's time to settle.
struct ChaosVerdict: Sendable {
    var failures: [String: [String]] = [:]
    /// Injected seconds from a job's creation to its first terminal state (the slowest job).
    var settled: TimeInterval = 0
    var jobs = 0

    var held: Bool { failures.isEmpty }

    mutating func fail(_ invariant: ChaosInvariant, _ message: String) {
        failures[invariant.rawValue, default: []].append(message)
    }
}

enum ChaosInvariant: String, CaseIterable, Sendable {
    case terminal = "every job terminal within cutoff + one sweep"
    case charge = "net charge 1 per succeeded job, 0 otherwise; no entry twice"
    case render = "one render per succeeded job, every variant stored"
    case orphans = "no orphan objects"
    case locks = "no lock outliving its job"
    case no5xx = "no 5xx to a client"
    case secrets = "no secret or signed-URL signature in a log line"
}

/// The one invariant check every chaos cell ends with.
enum ChaosInvariants {
    static func check(_ world: ChaosWorld, expect: ChaosExpectation, cell: String) async throws -> ChaosVerdict {
        var verdict = ChaosVerdict()
        let jobs = try await world.sql.select().column(SQLLiteral.all).from("generation_jobs").orderBy("created_at")
            .all(decoding: JobRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        let ledger = try await world.sql.select().columns("job_id", "entry", "amount", "created_at").from("usage_ledger")
            .all(decoding: LedgerEntry.self)
        let renders = try await world.sql.select().columns("id", "job_id", "deleted_at").from("renders").all(decoding: RenderEntry.self)
        let variants = try await world.sql.select().columns("render_id", "idx", "image_path", "thumb_path", "bytes")
            .from("render_variants").all(decoding: VariantEntry.self)
        let events = try await world.sql.select().columns("webhook_id", "job_id", "state", "locked_until").from("webhook_events")
            .all(decoding: EventEntry.self)
        let predictions = try await PredictionRepository.allRows(world.sql)
        verdict.jobs = jobs.count

        if let statuses = expect.statuses, statuses != jobs.map(\.status) {
            verdict.fail(.terminal, "jobs ended \(jobs.map(\.status.rawValue)), expected \(statuses.map(\.rawValue))")
        }
        var referenced = Set<String>()
        var succeededIndex = 0
        for job in jobs {
            let entries = ledger.filter { $0.job_id == job.id }
            // Terminal, and first so within the cutoff and one sweep (a refund marks a timeout
            // that a late success later turned round).
            let firstEnd = ([job.completedAt] + entries.filter { $0.entry == "refund" }.map(\.created_at)).compactMap { $0 }.min()
            if !job.status.isTerminal || firstEnd == nil {
                verdict.fail(.terminal, "job \(job.id.apiString) is \(job.status.rawValue)")
            } else if let firstEnd {
                let took = firstEnd.timeIntervalSince(job.createdAt)
                verdict.settled = max(verdict.settled, took)
                if took > world.timeouts.stuckCutoff + world.timeouts.sweeperInterval {
                    verdict.fail(.terminal, "job \(job.id.apiString) took \(Int(took)) s to end")
                }
            }

            for kind in ["debit", "refund", "redebit"] where entries.filter({ $0.entry == kind }).count > 1 {
                verdict.fail(.charge, "job \(job.id.apiString) has two \(kind)s")
            }
            let net = entries.reduce(0) { sum, entry in
                switch entry.entry {
                case "debit", "redebit": sum + entry.amount
                case "refund": sum - entry.amount
                default: sum
                }
            }
            let owed = job.status == .succeeded ? 1 : 0
            if net != owed { verdict.fail(.charge, "job \(job.id.apiString) \(job.status.rawValue) is charged \(net): \(entries.map(\.entry))") }

            let mine = renders.filter { $0.job_id == job.id }
            if job.status == .succeeded {
                let live = mine.filter { $0.deleted_at == nil }
                if live.count != 1 { verdict.fail(.render, "succeeded job \(job.id.apiString) has \(live.count) renders") }
                let stored = predictions.filter { $0.jobId == job.id }.flatMap(\.storedOutputs)
                let rows = variants.filter { row in live.contains { $0.id == row.render_id } }.sorted { $0.idx < $1.idx }
                if rows.isEmpty || rows.map(\.idx) != Array(0..<rows.count) || rows.count > job.variants {
                    verdict.fail(.render, "job \(job.id.apiString) has variants \(rows.map(\.idx)) of \(job.variants)")
                }
                if rows.count != stored.count {
                    verdict.fail(.render, "job \(job.id.apiString): \(rows.count) variants, \(stored.count) stored outputs")
                }
                if let wanted = expect.variants, succeededIndex < wanted.count, wanted[succeededIndex] != rows.count {
                    verdict.fail(.render, "job \(job.id.apiString) has \(rows.count) variants, expected \(wanted[succeededIndex])")
                }
                succeededIndex += 1
                for row in rows {
                    for path in [row.image_path, row.thumb_path] {
                        referenced.insert("public/\(path)")
                        let file = world.storage.appendingPathComponent("public/\(path)")
                        guard let data = FileManager.default.contents(atPath: file.path) else {
                            verdict.fail(.render, "variant \(row.idx) of job \(job.id.apiString): \(path) is not stored")
                            continue
                        }
                        if data.count < 12 || data.prefix(4) != Data("RIFF".utf8) || data[8..<12] != Data("WEBP".utf8) {
                            verdict.fail(.render, "\(path) is not a WebP image (\(data.count) bytes)")
                        }
                        if path == row.image_path, data.count != row.bytes {
                            verdict.fail(.render, "\(path) has \(data.count) bytes, the row says \(row.bytes)")
                        }
                    }
                }
            } else if !mine.isEmpty {
                verdict.fail(.render, "\(job.status.rawValue) job \(job.id.apiString) has a render")
            }
            for path in [job.input1Path, job.input2Path].compactMap({ $0 }) { referenced.insert("private/\(path)") }

            // The in-flight slot is the job's own status; what else could outlive it: a
            // prediction still running here or at Replicate, or an inbox claim still held.
            if job.status.isTerminal {
                for row in predictions where row.jobId == job.id && row.isRunning {
                    verdict.fail(.locks, "job \(job.id.apiString) ended but its prediction #\(row.idx) is \(row.status.rawValue)")
                }
                // A claim lapses within one lease whoever held it (a killed instance's too).
                for event in events where event.job_id == job.id {
                    if let until = event.locked_until, until > world.now.addingTimeInterval(world.timeouts.inboxLease + 1) {
                        verdict.fail(.locks, "event \(event.webhook_id) of ended job \(job.id.apiString) is claimed until \(until)")
                    }
                }
                for row in predictions where row.jobId == job.id && row.awaitsStorage {
                    verdict.fail(.locks, "job \(job.id.apiString) ended but its prediction #\(row.idx) still waits to be stored")
                }
            }
        }
        if !expect.replicateMayRun {
            for (id, status) in world.replicate where ["starting", "processing"].contains(status) {
                verdict.fail(.locks, "prediction \(id) still \(status) at Replicate")
            }
        }

        for object in objects(under: world.storage) where !referenced.contains(object) {
            verdict.fail(.orphans, object)
        }

        for line in world.logs {
            if let status = responseStatus(line), status >= 500, !expect.allowed5xx.contains(status) {
                verdict.fail(.no5xx, line)
            }
            if let leak = leak(in: line, secrets: world.secrets) {
                verdict.fail(.secrets, "\(leak): \(line)")
            }
        }

        for (invariant, messages) in verdict.failures.sorted(by: { $0.key < $1.key }) {
            Issue.record("\(cell): \(invariant): \(messages.prefix(5).joined(separator: " | "))")
        }
        return verdict
    }

    /// Every object of every bucket, as `bucket/path` (temporary files included: a kill can
    /// leave one, and nothing would ever remove it).
    static func objects(under root: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found = Set<String>()
        let prefix = root.standardizedFileURL.path + "/"
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            let path = url.standardizedFileURL.path
            var name = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            // A sidecar (`{path}%meta`) is part of its object: one left without it is that object's orphan.
            if name.hasSuffix("%meta") { name.removeLast("%meta".count) }
            found.insert(name)
        }
        return found.sorted()
    }

    /// The status of the line the server logs for every response it makes (`request
    /// route=… status=NNN`, in the test capture's format and in `interior serve`'s text
    /// format); the emulator's lines are its injected faults, not answers of ours.
    static func responseStatus(_ line: String) -> Int? {
        guard line.contains("route="), !line.contains("replicate-emulator"),
              let match = line.firstMatch(of: /status=(\d{3})\b/) else { return nil }
        return Int(match.1)
    }

    /// What in `line` is a secret: one of `secrets`, or anything shaped like a credential or a
    /// URL signature, whoever's it is.
    static func leak(in line: String, secrets: [String]) -> String? {
        for secret in secrets where secret.count >= 8 && line.contains(secret) {
            return "the secret \(secret.prefix(4))…"
        }
        let shapes: [(String, Regex<Substring>)] = [
            ("a signed-URL token", /token=v\d\.\d+\.[A-Za-z0-9_-]{16,}/),
            ("an S3 signature", /X-Amz-Signature=[0-9a-f]{16,}/),
            ("a bearer token", /Bearer [A-Za-z0-9._-]{16,}/),
            ("a JWT", /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/),
            ("a webhook secret", /whsec_[A-Za-z0-9+\/=]{16,}/),
            ("a webhook signature", /v1,[A-Za-z0-9+\/]{40,}={0,2}/),
        ]
        for (name, shape) in shapes where line.firstMatch(of: shape) != nil { return name }
        return nil
    }

    private struct LedgerEntry: Decodable {
        let job_id: UUID?
        let entry: String
        let amount: Int
        let created_at: Date
    }

    private struct RenderEntry: Decodable {
        let id: UUID
        let job_id: UUID
        let deleted_at: Date?
    }

    private struct VariantEntry: Decodable {
        let render_id: UUID
        let idx: Int
        let image_path: String
        let thumb_path: String
        let bytes: Int
    }

    private struct EventEntry: Decodable {
        let webhook_id: String
        let job_id: UUID?
        let state: String
        let locked_until: Date?
    }
}

extension PredictionRepository {
    /// Every prediction row of the database (the check reads them all).
    static func allRows(_ sql: any SQLDatabase) async throws -> [PredictionRow] {
        try await sql.select().column(SQLLiteral.all).from("generation_predictions").orderBy("idx")
            .all(decoding: PredictionRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
