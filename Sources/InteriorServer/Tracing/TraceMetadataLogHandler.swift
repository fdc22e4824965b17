import Logging
import OTel

/// Adds the current span's `trace_id` and `span_id` to every line a handler writes, whatever
/// the handler (JSON, text, a test's), so a job's log lines can be found from its trace and
/// the other way round. Lines logged outside a span are unchanged.
struct TraceMetadataLogHandler: LogHandler {
    var base: any LogHandler
    private static let provider = OTel.makeLoggingMetadataProvider()

    /// `trace_id` and `span_id` of the current span (empty outside one).
    static func current() -> Logger.Metadata { provider.get() }

    init(wrapping base: any LogHandler) {
        self.base = base
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        let trace = Self.current()
        guard !trace.isEmpty else { return base.log(event: event) }
        var event = event
        event.metadata = trace.merging(event.metadata ?? [:]) { _, own in own }
        base.log(event: event)
    }
}

extension Logger {
    /// This logger, its lines carrying the current trace and span ids.
    func withTraceMetadata() -> Logger {
        var logger = Logger(label: label) { _ in TraceMetadataLogHandler(wrapping: handler) }
        logger.logLevel = logLevel
        return logger
    }
}
