import Foundation
import InteriorCore

/// Where spans go (the OpenTelemetry variables). Tracing is on only when an OTLP endpoint is
/// set: with none, no tracer, exporter or background task exists.
public struct TracingSettings: Sendable, Equatable {
    /// The OTLP/HTTP traces URL spans are posted to.
    public var tracesEndpoint: URL
    public var serviceName: String
    /// How long finished spans wait to be sent in one batch.
    public var scheduleDelay: Duration

    /// Reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as it is) or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (a base: `v1/traces` is appended, as the OTLP spec says),
    /// `OTEL_SERVICE_NAME` and `OTEL_BSP_SCHEDULE_DELAY` (milliseconds). Nil when no endpoint
    /// is set, or `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`.
    static func parse(_ value: (String) -> String?) throws(ConfigError) -> TracingSettings? {
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" || value("OTEL_TRACES_EXPORTER")?.lowercased() == "none" {
            return nil
        }
        let endpoint: URL
        if let raw = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            endpoint = try url(raw, key: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        } else if let raw = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            let base = try url(raw, key: "OTEL_EXPORTER_OTLP_ENDPOINT").absoluteString
            endpoint = URL(string: base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces")!
        } else {
            return nil
        }
        var delay = Duration.seconds(5)
        if let raw = value("OTEL_BSP_SCHEDULE_DELAY") {
            guard let milliseconds = Int(raw), (1...600_000).contains(milliseconds) else {
                throw ConfigError("OTEL_BSP_SCHEDULE_DELAY", "must be a whole number of milliseconds from 1 to 600000, not \"\(raw)\"")
            }
            delay = .milliseconds(milliseconds)
        }
        return TracingSettings(tracesEndpoint: endpoint, serviceName: value("OTEL_SERVICE_NAME") ?? "interior", scheduleDelay: delay)
    }

    private static func url(_ raw: String, key: String) throws(ConfigError) -> URL {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ConfigError(key, "must be an http(s) URL, not \"\(raw)\"")
        }
        return url
    }
}
