import Foundation
import Logging
import NIOConcurrencyHelpers
import OTel
import ServiceLifecycle
import Tracing
import Vapor

/// The service's tracer, injected rather than bootstrapped process-wide, so each application
/// (and each test) has its own and one without an endpoint exports nothing. A job's spans all
/// hang off its trace context, stored on the job at submit (`trace_parent`), so the webhook
/// requests and background work of one job, in any instance, join the submit's trace.
struct Traces: Sendable {
    let tracer: any Tracer
    /// The exporter and batch processor; nil when tracing is off.
    let service: (any Service)?

    static let disabled = Traces(tracer: NoOpTracer(), service: nil)

    var isEnabled: Bool { service != nil }

    /// An OTLP/HTTP exporting tracer for `settings`, or the no-op one.
    static func make(_ settings: TracingSettings?, logger: Logger) throws -> Traces {
        guard let settings else { return .disabled }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.endpoint = settings.tracesEndpoint.absoluteString
        configuration.traces.batchSpanProcessor.scheduleDelay = settings.scheduleDelay
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return Traces(tracer: backend.factory, service: backend.service)
    }

    /// Runs `body` in a span, a child of `parent` (else of the current span), and records a
    /// thrown error on it.
    func span<T>(_ name: String, parent: ServiceContext? = nil, kind: SpanKind = .internal,
                 attributes: SpanAttributes = [:], _ body: (any Span) async throws -> T) async rethrows -> T {
        let span = tracer.startSpan(name, context: parent ?? .current ?? .topLevel, ofKind: kind)
        span.attributes = attributes
        defer { span.end() }
        do {
            return try await ServiceContext.withValue(span.context) { try await body(span) }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    /// The W3C `traceparent` of the current span, to store with what it started.
    func currentTraceParent() -> String? {
        guard let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: DictionaryPropagation())
        return carrier["traceparent"]
    }

    /// The context a stored `traceparent` names (nil when none is stored).
    func context(traceParent: String?) -> ServiceContext? {
        guard let traceParent else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract(["traceparent": traceParent], into: &context, using: DictionaryPropagation())
        return context
    }
}

/// A `traceparent` carried in a dictionary (the stored column, outgoing and incoming headers).
struct DictionaryPropagation: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }

    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}

/// Runs the exporter while the application runs; at shutdown, ends it gracefully, which
/// sends the spans still queued. Registered before the background work, so it starts first
/// and stops last (Vapor shuts handlers down in reverse).
final class TracingLifecycle: LifecycleHandler, Sendable {
    private let traces: Traces
    private let logger: Logger
    private let running = NIOLockedValueBox<(group: ServiceGroup, task: Task<Void, Never>)?>(nil)

    init(traces: Traces, logger: Logger) {
        self.traces = traces
        self.logger = logger
    }

    func didBootAsync(_ application: Application) async throws {
        guard let service = traces.service else { return }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger))
        let logger = self.logger
        let task = Task {
            do { try await group.run() } catch is CancellationError {
                // Cut short at shutdown (`shutdownAsync` said why).
            } catch {
                logger.warning("the trace exporter stopped", metadata: ["error": "\(error)"])
            }
        }
        running.withLockedValue { $0 = (group, task) }
    }

    /// With the collector unreachable the last export would hold shutdown for its retries
    /// (about ten seconds measured); telemetry never holds a deploy that long.
    static let shutdownLimit: Duration = .seconds(3)

    func shutdownAsync(_ application: Application) async {
        guard let (group, task) = running.withLockedValue({ state in defer { state = nil }; return state }) else { return }
        await group.triggerGracefulShutdown()
        // Whichever comes first: the exporter done, or the limit. Past the limit it is cancelled
        // and not waited for (an export in flight may take a while to notice).
        let finished = NIOLockedValueBox(false)
        let (first, signal) = AsyncStream<Void>.makeStream()
        let waiter = Task {
            await task.value
            finished.withLockedValue { $0 = true }
            signal.yield()
        }
        let timer = Task {
            try? await Task.sleep(for: Self.shutdownLimit)
            signal.yield()
        }
        for await _ in first { break }
        timer.cancel()
        if !finished.withLockedValue({ $0 }) {
            logger.warning("the last spans could not be sent in time; they are dropped")
            task.cancel()
            waiter.cancel()
        }
    }
}
