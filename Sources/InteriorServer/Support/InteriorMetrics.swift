import Foundation
import InteriorCore
import Prometheus

/// The service's own metrics (SPEC §11), in a Prometheus registry served at `/metrics`.
/// Label values are bounded sets (modes, error codes, HTTP status classes), never ids.
public final class InteriorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    private static let latencyBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func jobSubmitted(mode: GenerationMode) {
        registry.makeCounter(descriptor: Self.name("jobs_submitted", unit: "total", help: "Generation jobs accepted (202)."), labels: [("mode", mode.rawValue)]).increment()
    }

    func jobSucceeded(mode: GenerationMode) {
        registry.makeCounter(descriptor: Self.name("jobs_succeeded", unit: "total", help: "Generation jobs that stored their images."), labels: [("mode", mode.rawValue)]).increment()
    }

    func jobFailed(mode: GenerationMode, code: String) {
        registry.makeCounter(descriptor: Self.name("jobs_failed", unit: "total", help: "Generation jobs that ended failed or canceled, by error code."), labels: [("mode", mode.rawValue), ("code", code)]).increment()
    }

    func submitLatency(_ duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.name("submit_duration", unit: "seconds", help: "Time to answer a submit."), buckets: Self.latencyBuckets).record(duration)
    }

    func webhookProcessing(_ duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.name("event_processing_duration", unit: "seconds", help: "Time to apply one inbox event (webhook or poll)."), buckets: Self.latencyBuckets).record(duration)
    }

    func imagePipeline(_ duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.name("image_pipeline_duration", unit: "seconds", help: "Time to download, convert and store one variant."), buckets: Self.latencyBuckets).record(duration)
    }

    func replicateRequest(status: Int?) {
        let label = status.map { "\($0 / 100)xx" } ?? "error"
        registry.makeCounter(descriptor: Self.name("replicate_requests", unit: "total", help: "HTTP requests made to Replicate, by status class."), labels: [("status", label)]).increment()
    }

    func replicateRetry() {
        registry.makeCounter(descriptor: Self.name("replicate_retries", unit: "total", help: "Retried Replicate requests.")).increment()
    }

    func sweeperTimeout() {
        registry.makeCounter(descriptor: Self.name("sweeper_timeouts", unit: "total", help: "Jobs failed by the reconciler as stuck.")).increment()
    }

    func inboxOutcome(_ outcome: String) {
        registry.makeCounter(descriptor: Self.name("inbox_events", unit: "total", help: "Inbox events processed, by outcome (done, retry, dead)."), labels: [("outcome", outcome)]).increment()
    }

    /// Gauges read from the database at scrape time, so every instance reports the truth.
    func setGauges(inFlight: Int, inboxPending: Int) {
        registry.makeGauge(descriptor: Self.name("jobs_in_flight", unit: "", help: "Jobs starting or processing.")).set(Double(inFlight))
        registry.makeGauge(descriptor: Self.name("inbox_pending", unit: "", help: "Inbox events waiting to be processed.")).set(Double(inboxPending))
    }

    func render() -> String { registry.emitToString() }

    private static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "interior", metricName: metric, unitName: unit, helpText: help)
    }
}
