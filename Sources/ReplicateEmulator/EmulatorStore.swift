import Foundation
import Replicate

/// One emulated prediction.
struct PredictionRecord: Sendable {
    let id: String
    let model: EmulatedModel
    /// The input as received, secret fields redacted.
    let input: JSONValue
    let job: ModelJob
    let plan: FaultPlan
    let webhook: URL?
    /// The events the caller asked for; `nil` means all of them.
    let eventsFilter: Set<WebhookEvent>?
    var status: PredictionStatus = .starting
    var logs = ""
    var outputURLs: [String] = []
    var error: String?
    let createdAt: Date
    var startedAt: Date?
    var completedAt: Date?
    var dataRemoved = false
    var getFaultsUsed = 0
    var cancelFaultsUsed = 0

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

/// An output file and when it stops being served.
struct StoredFile: Sendable {
    let data: Data
    let contentType: String
    let predictionID: String
    let mode: FaultPlan.FileMode
    let delay: Double
}

/// The emulator's state: predictions, files, queued faults and what happened.
actor EmulatorStore {
    private var predictions: [String: PredictionRecord] = [:]
    private var order: [String] = []
    private var files: [String: StoredFile] = [:]
    private var queuedPlans: [FaultPlan] = []
    /// How many create requests the head of the queue has rejected so far.
    private var queuedRejections = 0
    /// Marker-driven create faults are counted per prompt (a retry sends the same prompt).
    private var markerCreateFaults: [String: Int] = [:]
    private var requestLog: [RecordedRequest] = []
    private var deliveryLog: [WebhookDelivery] = []
    private let outputTTL: TimeInterval
    private let now: @Sendable () -> Date

    init(outputTTL: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.outputTTL = outputTTL
        self.now = now
    }

    // MARK: Predictions

    func insert(_ record: PredictionRecord) {
        predictions[record.id] = record
        order.append(record.id)
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
        predictions[id] = record
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
        predictions[id] = record
        return (record, true)
    }

    /// Counts one GET (or cancel) of a prediction against its endpoint fault; returns the
    /// fault when this request is one of the first `times`.
    func consumeEndpointFault(_ id: String, cancel: Bool) -> FaultPlan.EndpointFault? {
        guard var record = predictions[id] else { return nil }
        guard let fault = cancel ? record.plan.cancel : record.plan.get else { return nil }
        let used = cancel ? record.cancelFaultsUsed : record.getFaultsUsed
        guard used < fault.times else { return nil }
        if cancel { record.cancelFaultsUsed += 1 } else { record.getFaultsUsed += 1 }
        predictions[id] = record
        return fault
    }

    // MARK: Faults

    func enqueue(_ plan: FaultPlan) {
        queuedPlans.append(plan)
    }

    func clearFaults() {
        queuedPlans.removeAll()
        queuedRejections = 0
        markerCreateFaults.removeAll()
    }

    var pendingPlans: [FaultPlan] { queuedPlans }

    /// Decides whether this create request is rejected by a fault: first the queued plan's
    /// `create` fault, then the prompt's. Returns the fault to answer with, if any.
    func createFault(prompt: String, markers: FaultPlan) -> FaultPlan.EndpointFault? {
        if let fault = queuedPlans.first?.create, fault.status != nil, queuedRejections < fault.times {
            queuedRejections += 1
            return fault
        }
        if queuedPlans.first?.create == nil, let fault = markers.create {
            let seen = markerCreateFaults[prompt, default: 0]
            if seen < fault.times {
                markerCreateFaults[prompt] = seen + 1
                return fault
            }
        }
        return nil
    }

    /// Takes the queued plan for a create that goes ahead.
    func takeQueuedPlan() -> FaultPlan? {
        guard !queuedPlans.isEmpty else { return nil }
        queuedRejections = 0
        return queuedPlans.removeFirst()
    }

    // MARK: Files

    func storeFile(_ path: String, _ file: StoredFile) {
        files[path] = file
    }

    func file(_ path: String) -> StoredFile? {
        guard let file = files[path] else { return nil }
        expireIfDue(file.predictionID)
        return files[path]
    }

    /// Removes a prediction's outputs now, as Replicate does an hour after it ends.
    func removeData(_ id: String) {
        guard predictions[id] != nil else { return }
        predictions[id]?.dataRemoved = true
        predictions[id]?.outputURLs = []
        files = files.filter { $0.value.predictionID != id }
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
