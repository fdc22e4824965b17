import AsyncHTTPClient
import Foundation
@testable import InteriorServer
import InteriorCore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import TestSupport
import Testing

/// Three `interior serve` processes behind a round-robin balancer, on one PostgreSQL and one
/// SeaweedFS, with one shared emulator dropping and duplicating webhooks: submits spread over
/// the instances, one instance is killed while it holds inbox leases and another while it
/// holds submits, both restart, and then every invariant is checked from the database and the
/// bucket. The figure that matters is how long the system takes to settle after the last kill.
@Suite("N instances behind a balancer")
struct InstancesTests {
    static let settleGoal: Duration = .seconds(30)

    @Test("three instances, webhooks dropped and duplicated, kill -9 of one holding inbox leases and of another mid-submit: every job settles and every invariant holds",
          .enabled(if: TestDatabase.isPostgres, "needs PostgreSQL (DATABASE_URL=postgres://…); make test's PostgreSQL pass runs it"))
    func threeInstancesSurviveKills() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.withFresh(in: directory) { databaseURL in
                try await Cluster.with(instances: 3, databaseURL: databaseURL, directory: directory) { cluster in
                    try await Self.run(cluster)
                }
            }
        }
    }

    static func run(_ cluster: Cluster) async throws {
        let run = Run(cluster: cluster)
        let began = ContinuousClock.now

        // Round 1: twelve users submit at once; the emulator's faults go to the creates in turn
        // (two predictions per job): webhooks dropped, duplicated, outputs slow to download
        // (so the worker storing them holds its inbox lease for seconds), one prediction failed.
        try await run.queue(Array(repeating: #"{"webhooks":"drop"}"#, count: 3)
            + Array(repeating: #"{"webhooks":"duplicate"}"#, count: 5)
            + Array(repeating: #"{"files":"slow","files_delay":5}"#, count: 4)
            + [#"{"outcome":"fail"}"#])
        let first = try await run.submitAll(users: 12, round: 1)

        // Kill 1: the instance that received a webhook whose event it has held for over a
        // second (a slow download), while it holds it.
        let held = try await run.heldWebhookEvent(heldFor: .seconds(1), timeout: .seconds(30))
        let victim1 = cluster.instances[held.backend]
        victim1.kill()
        let kill1 = ContinuousClock.now
        try victim1.start()

        // Round 2: six more users submit while every create is slow to answer (the prediction is
        // made at once; only Replicate's answer is late), and an instance holding some of those
        // submits is killed. Their clients get 502 from the balancer and retry with the same
        // idempotency key.
        try await run.queue(Array(repeating: #"{"create":{"delay":4}}"#, count: 12))
        let second = Task { try await run.submitAll(users: 6, round: 2) }
        let victim2Index = try await run.instanceHoldingSubmits(besides: held.backend, heldFor: .milliseconds(1500), timeout: .seconds(20))
        let victim2 = cluster.instances[victim2Index]
        victim2.kill()
        let kill2 = ContinuousClock.now
        try victim2.start()
        try await victim1.waitUntilServing()
        try await victim2.waitUntilServing()
        let restarted = ContinuousClock.now - kill2
        let jobs = try await first + second.value

        // Settle: every job terminal (the clients poll as the web page does) and the inbox empty.
        let settledAt = try await run.waitUntilSettled(jobs, timeout: settleGoal + .seconds(15))
        let settle = settledAt - kill2
        let invariants = try await ClusterInvariants.read(cluster)
        try await invariants.check(cluster, tokens: run.owners(), context: { run.logs() })

        let event = try await run.event(held.webhookId)
        let statuses = Dictionary(grouping: invariants.jobs, by: \.status).mapValues(\.count)
        print("""
            measured: 3 instances, \(jobs.count) jobs (\(statuses.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))); \
            kill 1 (instance \(held.backend), holding \(held.webhookId) since \(held.heldFor)) → its event done after \(event.attempts) attempts; \
            kill 2 (instance \(victim2Index), holding \(run.submitsCut.withLockedValue { $0 }) submit(s) cut with 502); \
            restarts serving \(restarted) after kill 2; \
            settled \(settle) after the last kill (\(settledAt - kill1) after the first); whole run \(ContinuousClock.now - began)
            """)
        if ProcessInfo.processInfo.environment["INTERIOR_TEST_CLUSTER_LOGS"] != nil { print(run.logs()) }
        #expect(event.state == "done" && event.attempts >= 2, "the killed instance's claim was taken up by another: \(event)")
        #expect(settle < settleGoal, "settled \(settle) after the last kill\n\(run.logs())")
    }
}

/// The state of one run: the users, their jobs, and the ways to watch the cluster.
private final class Run: Sendable {
    let cluster: Cluster
    private let tokens = NIOLockedValueBox<[String: String]>([:])
    let submitsCut = NIOLockedValueBox(0)

    init(cluster: Cluster) { self.cluster = cluster }

    func owners() -> [String: String] { tokens.withLockedValue { $0 } }

    /// Queues fault plans at the emulator, one per create to come.
    func queue(_ plans: [String]) async throws {
        for plan in plans {
            let queued = try await cluster.emulatorControl(.POST, "/_emulator/faults", json: plan)
            guard queued.status == .created else { throw ToolFailure("the emulator refused \(plan): \(queued.text)") }
        }
    }

    /// `users` new users each submit one two-variant job through the balancer, all at once;
    /// returns the jobs' ids. A 502 (the instance died holding the request) is retried with the
    /// same idempotency key, as a client that lost its answer does.
    func submitAll(users: Int, round: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for user in 0..<users {
                group.addTask { [self] in
                    let token = try await DevAuth.mintToken(secret: Secret(TokenFixtures.shared.hs256Secret), user: UUID(),
                                                            email: nil, ttl: 3600, now: Date())
                    let key = UUID().uuidString
                    let body: [String: Any] = ["mode": "imagine", "prompt": "A Federation bungalow sunroom, round \(round) user \(user)",
                                               "variants": 2]
                    for _ in 0..<5 {
                        let response = try await cluster.client.postJSON("/api/v1/generations", body, token: token,
                                                                          headers: [("Idempotency-Key", key)])
                        if response.status == .badGateway {
                            submitsCut.withLockedValue { $0 += 1 }
                            try await Task.sleep(for: .milliseconds(200))
                            continue
                        }
                        guard response.status == .accepted || response.status == .ok, let id = response.data["id"] as? String else {
                            throw ToolFailure("submit answered \(response.status): \(response.text)\n\(logs())")
                        }
                        tokens.withLockedValue { $0[id] = token }
                        return id
                    }
                    throw ToolFailure("the balancer answered 502 five times\n\(logs())")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Waits for a webhook event that a worker has held (claimed, still pending) for at least
    /// `heldFor`, and names the instance the balancer gave that webhook to.
    func heldWebhookEvent(heldFor: Duration, timeout: Duration) async throws -> (webhookId: String, backend: Int, heldFor: Duration) {
        let lease = Double(Timeouts().inboxLease)
        let connection = try await TestDatabase.connect(cluster.databaseURL)
        defer { Task { try? await connection.close() } }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let rows = try await connection.query("""
                SELECT webhook_id, EXTRACT(EPOCH FROM (now() - (locked_until - make_interval(secs => \(lease)))))::float8
                FROM webhook_events
                WHERE state = 'pending' AND source = 'webhook' AND locked_until > now()
                """, logger: Logger(label: "instances-test"))
            let routes = cluster.routes()
            for try await (id, held) in rows.decode((String, Double).self) where held >= Double(heldFor.components.seconds) {
                if let route = routes.first(where: { $0.webhookId == id && $0.status == 200 }), let backend = route.backend {
                    try await connection.close()
                    return (id, backend, .milliseconds(Int(held * 1000)))
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ToolFailure("no webhook event was held for \(heldFor) within \(timeout)\n\(logs())")
    }

    /// Waits until an instance other than `besides` has held a submit for `heldFor` — past
    /// validation and the job's insert, inside the create Replicate is slow to answer — and
    /// returns it.
    func instanceHoldingSubmits(besides: Int, heldFor: Duration, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var firstSeen: [String: ContinuousClock.Instant] = [:]
        while ContinuousClock.now < deadline {
            for (request, held) in cluster.inFlight(method: "POST", pathPrefix: "/api/v1/generations")
            where held.backend != besides && cluster.instances[held.backend].isRunning {
                let seen = firstSeen[request] ?? ContinuousClock.now
                firstSeen[request] = seen
                if ContinuousClock.now - seen >= heldFor { return held.backend }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ToolFailure("no instance held a submit for \(heldFor) within \(timeout)\n\(logs())")
    }

    /// Polls every job through the balancer every 250 ms, as the web page does, until all are
    /// terminal and the inbox holds nothing pending; returns when that was first seen.
    func waitUntilSettled(_ jobs: [String], timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        let connection = try await TestDatabase.connect(cluster.databaseURL)
        defer { Task { try? await connection.close() } }
        var open = Set(jobs)
        while ContinuousClock.now < deadline {
            for id in open {
                guard let token = tokens.withLockedValue({ $0[id] }),
                      let status = try? await cluster.client.get("/api/v1/generations/\(id)", token: token).data["status"] as? String
                else { continue }
                if ["succeeded", "failed", "canceled"].contains(status) { open.remove(id) }
            }
            if open.isEmpty {
                let rows = try await connection.query("SELECT COUNT(*)::int FROM webhook_events WHERE state = 'pending'",
                                                      logger: Logger(label: "instances-test"))
                var pending = 0
                for try await count in rows.decode(Int.self) { pending = count }
                if pending == 0 {
                    try await connection.close()
                    return ContinuousClock.now
                }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("not settled within \(timeout): \(open.count) job(s) still in flight: \(open.sorted())\n\(logs())")
        return ContinuousClock.now
    }

    func event(_ id: String) async throws -> (state: String, attempts: Int) {
        let connection = try await TestDatabase.connect(cluster.databaseURL)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT state, attempts FROM webhook_events WHERE webhook_id = \(id)",
                                              logger: Logger(label: "instances-test"))
        for try await (state, attempts) in rows.decode((String, Int).self) {
            try await connection.close()
            return (state, attempts)
        }
        return ("missing", 0)
    }

    /// The instances' output, the balancer's routes and the emulator's log, for failure messages.
    func logs() -> String {
        let instances = cluster.instances.map { "=== instance \($0.index) ===\n\(String($0.log().suffix(6000)))" }
        return (instances + ["=== emulator ===\n\(String(cluster.emulator.output().suffix(3000)))"]).joined(separator: "\n")
    }
}
