import Foundation
import Storage
import Vapor

/// The latest `StorageCheck` report, for health: a check runs at `serve` start-up and, when
/// health asks for a report that is missing or older than `maxAge`, once more in the
/// background — a health request never waits for storage, and checks never run more than
/// one at a time.
actor StorageAccessMonitor {
    struct Snapshot: Sendable {
        let report: StorageCheckReport
        let checkedAt: Date
    }

    private let check: StorageCheck
    private let now: @Sendable () -> Date
    private let maxAge: TimeInterval
    private var latest: Snapshot?
    private var running: Task<Snapshot, Never>?

    init(check: StorageCheck, now: @escaping @Sendable () -> Date, maxAge: TimeInterval = 60) {
        self.check = check
        self.now = now
        self.maxAge = maxAge
    }

    /// The latest report at once (nil until the first check has finished), starting a check
    /// in the background when there is none or it is stale.
    func cached() -> Snapshot? {
        let stale = latest.map { now().timeIntervalSince($0.checkedAt) >= maxAge } ?? true
        if stale { _ = start() }
        return latest
    }

    /// Runs a check (or joins the one running) and returns its report.
    func refresh() async -> Snapshot {
        await start().value
    }

    /// Waits for the check running in the background, if any (shutdown, so a check never
    /// outlives the application it uses).
    func finishRunningCheck() async {
        _ = await running?.value
    }

    private func start() -> Task<Snapshot, Never> {
        if let running { return running }
        let task = Task { [check, now] in
            let snapshot = Snapshot(report: await check.run(), checkedAt: now())
            self.record(snapshot)
            return snapshot
        }
        running = task
        return task
    }

    private func record(_ snapshot: Snapshot) {
        latest = snapshot
        running = nil
    }
}

extension StorageAccessMonitor {
    /// The check for this application. Its anonymous reads of URLs on `PUBLIC_BASE_URL` (the
    /// local backend's routes) go through the application's own responder — the real routes
    /// and middleware, answering before the server listens and from one-shot commands; every
    /// other URL (an S3 endpoint, a CDN) is fetched over HTTP. Neither sends credentials.
    static func make(app: Application, store: any BlobStore, settings: Settings,
                     now: @escaping @Sendable () -> Date, makeID: @escaping @Sendable () -> UUID) -> StorageAccessMonitor {
        let http = StorageCheck.anonymousFetch()
        var base = settings.publicBaseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let ownPrefix = base + "/"
        let fetch: StorageCheck.Fetch = { url in
            let text = url.absoluteString
            guard text.hasPrefix(ownPrefix) else { return try await http(url) }
            return try await respondInProcess(app, pathAndQuery: "/" + text.dropFirst(ownPrefix.count))
        }
        let check = StorageCheck(store: store, publicBucket: settings.publicBucket, privateBucket: settings.privateBucket,
                                 fetch: fetch, makeID: makeID)
        return StorageAccessMonitor(check: check, now: now)
    }

    private static func respondInProcess(_ app: Application, pathAndQuery: String) async throws -> (status: Int, body: Data) {
        let eventLoop = app.eventLoopGroup.any()
        let request = Request(application: app, method: .GET, url: URI(string: pathAndQuery), logger: app.logger, on: eventLoop)
        let response = try await app.responder.respond(to: request).get()
        let body = try await response.body.collect(on: eventLoop).get()
        return (Int(response.status.code), body.map { Data($0.readableBytesView) } ?? Data())
    }
}
