import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

/// What must hold once a cluster has settled, read from the database and the bucket, never
/// from the instances' own answers: every job terminal; a net charge of 1 per succeeded job
/// and 0 otherwise; one render per succeeded job, none otherwise, with a variant for every
/// output its predictions stored; every variant's objects in the public bucket and nothing
/// else there or in the private one; every variant URL the API hands out readable without
/// credentials.
struct ClusterInvariants {
    struct Job {
        let id: String
        let status: String
        let variants: Int
        let charge: Int
        let renders: Int
        let variantRows: Int
        /// Outputs its succeeded predictions stored.
        let storedOutputs: Int
    }

    let jobs: [Job]
    let objectPaths: Set<String>
    let pendingEvents: Int

    static func read(_ cluster: Cluster) async throws -> ClusterInvariants {
        let connection = try await TestDatabase.connect(cluster.databaseURL)
        defer { Task { try? await connection.close() } }
        let logger = Logger(label: "cluster-invariants")
        let rows = try await connection.query("""
            SELECT j.id::text, j.status, j.variants,
              (SELECT COALESCE(SUM(CASE WHEN l.entry = 'refund' THEN -l.amount ELSE l.amount END), 0)::int
                 FROM usage_ledger l WHERE l.job_id = j.id),
              (SELECT COUNT(*)::int FROM renders r WHERE r.job_id = j.id AND r.deleted_at IS NULL),
              (SELECT COUNT(*)::int FROM render_variants v JOIN renders r ON r.id = v.render_id WHERE r.job_id = j.id),
              (SELECT COALESCE(SUM(p.outputs), 0)::int FROM generation_predictions p
                 WHERE p.job_id = j.id AND p.status = 'succeeded' AND p.stored IS NOT NULL)
            FROM generation_jobs j ORDER BY j.created_at
            """, logger: logger)
        var jobs: [Job] = []
        for try await (id, status, variants, charge, renders, variantRows, stored) in rows.decode((String, String, Int, Int, Int, Int, Int).self) {
            jobs.append(Job(id: id, status: status, variants: variants, charge: charge, renders: renders,
                            variantRows: variantRows, storedOutputs: stored))
        }
        var paths = Set<String>()
        for try await (image, thumb) in try await connection.query(
            "SELECT image_path, thumb_path FROM render_variants", logger: logger).decode((String, String).self) {
            paths.insert(image)
            paths.insert(thumb)
        }
        var pending = 0
        for try await count in try await connection.query(
            "SELECT COUNT(*)::int FROM webhook_events WHERE state = 'pending'", logger: logger).decode(Int.self) {
            pending = count
        }
        try await connection.close()
        return ClusterInvariants(jobs: jobs, objectPaths: paths, pendingEvents: pending)
    }

    /// Records an issue for every invariant that does not hold.
    func check(_ cluster: Cluster, tokens: [String: String], context: () -> String) async throws {
        #expect(!jobs.isEmpty)
        for job in jobs {
            #expect(["succeeded", "failed", "canceled"].contains(job.status), "job \(job.id) is \(job.status)\n\(context())")
            let succeeded = job.status == "succeeded"
            #expect(job.charge == (succeeded ? 1 : 0), "job \(job.id) (\(job.status)) is charged \(job.charge)")
            #expect(job.renders == (succeeded ? 1 : 0), "job \(job.id) (\(job.status)) has \(job.renders) render(s)")
            if succeeded {
                #expect(job.storedOutputs > 0 && job.variantRows == job.storedOutputs,
                        "job \(job.id): \(job.variantRows) variant(s) for \(job.storedOutputs) stored output(s)")
            } else {
                #expect(job.variantRows == 0, "job \(job.id) (\(job.status)) has \(job.variantRows) variant(s)")
            }
        }
        #expect(pendingEvents == 0, "\(pendingEvents) inbox event(s) still pending")

        // The buckets as S3 itself lists them (boto3 against SeaweedFS).
        let publicKeys = try Self.keys(cluster, bucket: cluster.buckets.public)
        let privateKeys = try Self.keys(cluster, bucket: cluster.buckets.private)
        #expect(objectPaths.isSubset(of: publicKeys), "missing objects: \(objectPaths.subtracting(publicKeys).sorted())")
        #expect(publicKeys.subtracting(objectPaths).isEmpty, "orphans in the public bucket: \(publicKeys.subtracting(objectPaths).sorted())")
        // Text-only jobs upload nothing, so the private bucket ends empty.
        #expect(privateKeys.isEmpty, "orphans in the private bucket: \(privateKeys.sorted())")

        // Every URL the API hands out, fetched without credentials.
        for job in jobs where job.status == "succeeded" {
            guard let token = tokens[job.id] else { Issue.record("no owner known for job \(job.id)"); continue }
            let summary = try await cluster.client.get("/api/v1/generations/\(job.id)", token: token).data
            let variants = summary["variants"] as? [[String: Any]] ?? []
            #expect(variants.count == job.variantRows, "job \(job.id): the API lists \(variants.count) variant(s)")
            for variant in variants {
                for key in ["url", "thumbUrl"] {
                    guard let url = variant[key] as? String else { Issue.record("job \(job.id): a variant lacks \(key)"); continue }
                    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                    let body = try await response.body.collect(upTo: 16 << 20)
                    #expect(response.status == .ok && body.readableBytes > 0, "\(url) answered \(response.status) without credentials")
                    #expect(response.headers.first(name: "Content-Type") == "image/webp", "\(url)")
                }
            }
        }
    }

    private static func keys(_ cluster: Cluster, bucket: String) throws -> Set<String> {
        let script = """
            import json, sys, boto3
            from botocore.config import Config
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2],
                              config=Config(s3={"addressing_style": "path"}))
            keys = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[3]):
                keys += [item["Key"] for item in page.get("Contents", [])]
            json.dump(keys, sys.stdout)
            """
        let output = try TestPython.run(script: script, [cluster.seaweed.endpoint.absoluteString, SeaweedFS.region, bucket],
                                        environment: ["AWS_ACCESS_KEY_ID": SeaweedFS.accessKeyId,
                                                      "AWS_SECRET_ACCESS_KEY": SeaweedFS.secretAccessKey])
        return Set(try JSONDecoder().decode([String].self, from: output))
    }
}
