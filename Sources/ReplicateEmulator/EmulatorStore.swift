import Foundation
import Replicate

/// The model a prediction ran, as its JSON names it.
struct ModelName: Codable, Sendable, Equatable {
    let identifier: String
    let version: String
}

/// One emulated prediction; what the archive keeps of it, too.
struct PredictionRecord: Codable, Sendable {
    let id: String
    let model: ModelName
    /// The input as received, secret fields redacted.
    let input: JSONValue
    let job: ModelJob
    let plan: FaultPlan
    let webhook: URL?
    /// The events the caller asked for; `nil` means all of them.
    let eventsFilter: Set<WebhookEvent>?
    var status: PredictionStatus = .starting
    var logs = ""
    /// Its output files, as paths under `/files/` (`<id>/out-<n>.<ext>`).
    var outputs: [String] = []
    var error: String?
    let createdAt: Date
    var startedAt: Date?
    var completedAt: Date?
    var dataRemoved = false
    var getFaultsUsed = 0
    var cancelFaultsUsed = 0
    /// Webhook messages queued and not yet delivered or given up: what a restart sends again.
    var pendingWebhooks: [WebhookEvent] = []

    init(id: String, model: ModelName, input: JSONValue, job: ModelJob, plan: FaultPlan, webhook: URL?,
         eventsFilter: Set<WebhookEvent>?, createdAt: Date) {
        self.id = id
        self.model = model
        self.input = input
        self.job = job
        self.plan = plan
        self.webhook = webhook
        self.eventsFilter = eventsFilter
        self.createdAt = createdAt
    }

    func wants(_ event: WebhookEvent) -> Bool {
        eventsFilter?.contains(event) ?? true
    }
}

/// What a client asked the emulator, for tests that count attempts.
public struct RecordedRequest: Sendable, Equatable {
    public let method: String
    public let path: String
    public let status: Int
}

/// One webhook delivery attempt.
public struct WebhookDelivery: Sendable, Equatable {
    public let predictionID: String
    public let event: String
    public let webhookID: String
    /// 1-based attempt number of this message.
    public let attempt: Int
    /// The receiver's status; `nil` when the request failed or the message was dropped by a fault.
    public let status: Int?
    public let dropped: Bool
}

/// An output file as it is served.
struct StoredFile: Sendable {
    let data: Data
    let contentType: String
    let mode: FaultPlan.FileMode
    let delay: Double
}

/// The emulator's state: predictions, files, queued faults and what happened. With an
/// archive, every change of a prediction is written through to disk and the files live there.
actor EmulatorStore {
    private var predictions: [String: PredictionRecord] = [:]
    private var order: [String] = []
    /// Output files, when there is no archive (or it failed to take one).
    private var files: [String: Data] = [:]
    private var queuedPlans: [FaultPlan] = []
    /// How many create requests the head of the queue has rejected so far.
    private var queuedRejections = 0
    private var requestLog: [RecordedRequest] = []
    private var deliveryLog: [WebhookDelivery] = []
    private let outputTTL: TimeInterval
    private let now: @Sendable () -> Date
    private let archive: EmulatorArchive?

    /// How long a prediction's record is kept after it ended (its files go at `outputTTL`).
    static let recordRetention: TimeInterval = 24 * 3600

    init(outputTTL: TimeInterval, now: @escaping @Sendable () -> Date, archive: EmulatorArchive? = nil) {
        self.outputTTL = outputTTL
        self.now = now
        self.archive = archive
    }

    // MARK: Restoring

    /// Loads the archive's predictions: those that ended more than `recordRetention` (and
    /// their output TTL) ago are dropped, outputs past their TTL removed. Returns what is left.
    func restore() -> [PredictionRecord] {
        guard let archive else { return [] }
        let keepFor = max(outputTTL, Self.recordRetention)
        for var record in archive.loadRecords() {
            if let completed = record.completedAt, now().timeIntervalSince(completed) >= keepFor {
                archive.remove(record.id)
                continue
            }
            record.pendingWebhooks = record.status.isTerminal ? record.pendingWebhooks.filter { $0 == .completed } : []
            predictions[record.id] = record
            order.append(record.id)
            expireIfDue(record.id)
        }
        return order.compactMap { predictions[$0] }
    }

    // MARK: Predictions

    func insert(_ record: PredictionRecord) {
        predictions[record.id] = record
        order.append(record.id)
        archive?.save(record)
    }

    func prediction(_ id: String) -> PredictionRecord? {
        expireIfDue(id)
        return predictions[id]
    }

    func all() -> [PredictionRecord] {
        for id in order { expireIfDue(id) }
        return order.reversed().compactMap { predictions[$0] }
    }

    @discardableResult
    func update(_ id: String, _ change: @Sendable (inout PredictionRecord) -> Void) -> PredictionRecord? {
        guard var record = predictions[id] else { return nil }
        change(&record)
        store(record)
        return record
    }

    /// Ends a prediction unless it already ended; says whether this call ended it.
    func finish(
        _ id: String, status: PredictionStatus, error: String?, log: String?, at date: Date
    ) -> (record: PredictionRecord, changed: Bool)? {
        guard var record = predictions[id] else { return nil }
        guard !record.status.isTerminal else { return (record, false) }
        record.status = status
        record.error = error
        record.completedAt = date
        if record.startedAt == nil, status != .canceled { record.startedAt = date }
        if let log { record.logs += log + "\n" }
        store(record)
        return (record, true)
    }

    /// Forgets a prediction altogether, as an emulator that lost its store would have.
    func forget(_ id: String) {
        predictions[id] = nil
        order.removeAll { $0 == id }
        files = files.filter { !$0.key.hasPrefix("\(id)/") }
        archive?.remove(id)
    }

    /// Counts one GET (or cancel) of a prediction against its endpoint fault; returns the
    /// fault when this request is one of the first `times`.
    func consumeEndpointFault(_ id: String, cancel: Bool) -> FaultPlan.EndpointFault? {
        guard var record = predictions[id] else { return nil }
        guard let fault = cancel ? record.plan.cancel : record.plan.get else { return nil }
        let used = cancel ? record.cancelFaultsUsed : record.getFaultsUsed
        guard used < fault.times else { return nil }
        if cancel { record.cancelFaultsUsed += 1 } else { record.getFaultsUsed += 1 }
        store(record)
        return fault
    }

    private func store(_ record: PredictionRecord) {
        predictions[record.id] = record
        archive?.save(record)
    }

    // MARK: Webhooks owed

    func webhookQueued(_ id: String, _ event: WebhookEvent) {
        update(id) { $0.pendingWebhooks.append(event) }
    }

    /// A message was delivered, or given up after its retries.
    func webhookSettled(_ id: String, _ event: WebhookEvent) {
        update(id) { record in
            if let index = record.pendingWebhooks.firstIndex(of: event) { record.pendingWebhooks.remove(at: index) }
        }
    }

    // MARK: Faults

    func enqueue(_ plan: FaultPlan) {
        queuedPlans.append(plan)
    }

    func clearFaults() {
        queuedPlans.removeAll()
        queuedRejections = 0
    }

    var pendingPlans: [FaultPlan] { queuedPlans }

    /// The queued plan's `create` fault, when it rejects this create request.
    func createFault() -> FaultPlan.EndpointFault? {
        guard let fault = queuedPlans.first?.create, fault.status != nil, queuedRejections < fault.times else { return nil }
        queuedRejections += 1
        return fault
    }

    /// Takes the queued plan for a create that goes ahead.
    func takeQueuedPlan() -> FaultPlan? {
        guard !queuedPlans.isEmpty else { return nil }
        queuedRejections = 0
        return queuedPlans.removeFirst()
    }

    // MARK: Files

    /// Keeps an output (on disk with an archive) under `path` (`<id>/out-<n>.<ext>`).
    func storeFile(_ path: String, _ data: Data) {
        guard let archive else {
            files[path] = data
            return
        }
        do {
            try archive.writeFile(path, data)
        } catch {
            files[path] = data
        }
    }

    /// The file as it is served, while its prediction lists it and it has not expired.
    func file(_ path: String) -> StoredFile? {
        guard let slash = path.firstIndex(of: "/") else { return nil }
        let id = String(path[..<slash])
        expireIfDue(id)
        guard let record = predictions[id], !record.dataRemoved, record.outputs.contains(path),
              let data = files[path] ?? archive?.readFile(path)
        else { return nil }
        return StoredFile(
            data: data, contentType: Self.contentType(path), mode: record.plan.files ?? .normal,
            delay: record.plan.filesDelay ?? 5)
    }

    private static func contentType(_ path: String) -> String {
        let format = OutputFormat.allCases.first { path.hasSuffix(".\($0.fileExtension)") } ?? .png
        return format.contentType
    }

    /// Removes a prediction's outputs now, as Replicate does an hour after it ends.
    func removeData(_ id: String) {
        guard var record = predictions[id] else { return }
        record.dataRemoved = true
        record.outputs = []
        files = files.filter { !$0.key.hasPrefix("\(id)/") }
        archive?.removeFiles(of: id)
        store(record)
    }

    private func expireIfDue(_ id: String) {
        guard let record = predictions[id], !record.dataRemoved, let completed = record.completedAt,
              now().timeIntervalSince(completed) >= outputTTL
        else { return }
        removeData(id)
    }

    // MARK: Logs

    func record(_ request: RecordedRequest) {
        requestLog.append(request)
    }

    var requests: [RecordedRequest] { requestLog }

    func record(_ delivery: WebhookDelivery) {
        deliveryLog.append(delivery)
    }

    var deliveries: [WebhookDelivery] { deliveryLog }
}
