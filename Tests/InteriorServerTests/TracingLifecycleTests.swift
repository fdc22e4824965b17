import Foundation
@testable import InteriorServer
import Testing
import TestSupport
import Vapor

/// The exporter's lifetime: it never holds a shutdown for long.
@Suite("Tracing lifecycle")
struct TracingLifecycleTests {
    @Test("with the collector unreachable, shutdown drops the last spans after the limit instead of waiting out the retries")
    func unreachableCollectorDoesNotHoldShutdown() async throws {
        try await withRefusingPort { port in
            let app = try await Application.make(.testing)
            let logs = LogCapture()
            let settings = TracingSettings(tracesEndpoint: URL(string: "http://127.0.0.1:\(port)/v1/traces")!,
                                           serviceName: "interior-test", scheduleDelay: .seconds(60))
            let traces = try Traces.make(settings, logger: logs.logger(level: .warning))
            let lifecycle = TracingLifecycle(traces: traces, logger: logs.logger(level: .warning))
            try await lifecycle.didBootAsync(app)
            await traces.span("queued") { _ in }
            let started = ContinuousClock.now
            await lifecycle.shutdownAsync(app)
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= TracingLifecycle.shutdownLimit, "the queued span was tried: \(elapsed)")
            // Waiting out the exporter's retries took 10.7 s; a loaded machine may add a few seconds.
            #expect(elapsed < TracingLifecycle.shutdownLimit + .seconds(6), "\(elapsed)")
            #expect(logs.all.contains { $0.contains("the last spans could not be sent in time") }, "\(logs.all)")
            try await app.asyncShutdown()
        }
    }
}
