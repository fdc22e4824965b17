import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

/// The `OTEL_` variables (docs/configuration.md, "Traces").
@Suite("Tracing settings")
struct TracingSettingsTests {
    private func parse(_ environment: [String: String]) throws(ConfigError) -> TracingSettings? {
        try TracingSettings.parse { environment[$0] }
    }

    @Test("no endpoint, no tracing")
    func offByDefault() throws {
        #expect(try parse([:]) == nil)
        #expect(try parse(["OTEL_SERVICE_NAME": "interior"]) == nil)
    }

    @Test("the base endpoint gets v1/traces; the traces endpoint is used as it is and wins")
    func endpoints() throws {
        #expect(try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"])?.tracesEndpoint.absoluteString
            == "http://127.0.0.1:4318/v1/traces")
        #expect(try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example/otlp/"])?.tracesEndpoint.absoluteString
            == "https://collector.example/otlp/v1/traces")
        let both = try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:9/spans"])
        #expect(both?.tracesEndpoint.absoluteString == "http://b:9/spans")
        let defaults = try #require(try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318"]))
        #expect(defaults.serviceName == "interior")
        #expect(defaults.scheduleDelay == .seconds(5))
        let tuned = try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_SERVICE_NAME": "interior-syd",
                               "OTEL_BSP_SCHEDULE_DELAY": "250"])
        #expect(tuned?.serviceName == "interior-syd" && tuned?.scheduleDelay == .milliseconds(250))
    }

    @Test("the standard switches turn it off even with an endpoint")
    func switchedOff() throws {
        #expect(try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_SDK_DISABLED": "true"]) == nil)
        #expect(try parse(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_TRACES_EXPORTER": "none"]) == nil)
    }

    @Test("a bad value stops start-up with one line naming the variable", arguments: [
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"], "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL, not \"127.0.0.1:4318\""),
        (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "grpc://a:4317"], "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http(s) URL, not \"grpc://a:4317\""),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_BSP_SCHEDULE_DELAY": "5s"],
         "OTEL_BSP_SCHEDULE_DELAY: must be a whole number of milliseconds from 1 to 600000, not \"5s\""),
    ])
    func badValues(environment: [String: String], message: String) {
        #expect(throws: ConfigError.self) { try parse(environment) }
        do { _ = try parse(environment) } catch { #expect(error.description == message) }
    }

    @Test("Settings.load reads them (and .env), like every other variable")
    func throughSettings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tracing-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318\n".utf8).write(to: directory.appendingPathComponent(".env"))
        let settings = try Settings.load(environment: [:], workingDirectory: directory)
        #expect(settings.tracing?.tracesEndpoint.absoluteString == "http://127.0.0.1:4318/v1/traces")
        #expect(try Settings.load(environment: ["OTEL_SDK_DISABLED": "true"], workingDirectory: directory).tracing == nil)
    }
}
