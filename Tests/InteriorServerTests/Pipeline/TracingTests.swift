import Foundation
@testable import InteriorServer
import SQLKit
import Testing

extension PipelineSuite {
    /// Traces (issue 14): one job's life — submit, Replicate calls, webhooks, inbox
    /// processing, downloads, renders, storage writes — as one trace, exported over OTLP/HTTP
    /// to a receiver that decodes it with the OpenTelemetry project's own protobuf classes.
    @Suite("Pipeline: traces")
    struct TracingTests {
        typealias ReceivedSpan = OTLPReceiver.ReceivedSpan

        @Test("one job's spans arrive at an OTLP receiver as one trace, each under the right parent")
        func oneJobIsOneTrace() async throws {
            let receiver = try await OTLPReceiver()
            defer { receiver.stop() }
            let environment = [
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint.absoluteString,
                "OTEL_SERVICE_NAME": "interior-test",
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            ]
            try await withPipeline(environment: environment) { p in
                #expect(p.t.app.interior.traces.isEnabled)
                let variants = 2
                let submitted = try await p.submit(["mode": "redesign", "style": "coastal_au", "variants": "\(variants)"],
                                                   files: ["input1": try await TestImages.photo()])
                #expect(submitted.status == .accepted)
                let id = try #require(submitted.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")

                // The job's stored context names the trace and its root, the submit request.
                let traceParent = try #require(try await storedTraceParent(p, job: id))
                let parts = traceParent.split(separator: "-").map(String.init)
                try #require(parts.count == 4 && parts[0] == "00" && parts[1].count == 32 && parts[2].count == 16,
                             "a W3C traceparent: \(traceParent)")
                let traceId = parts[1]
                let rootId = parts[2]

                let predictions = p.predictionCount(variants: variants)
                var trace: [ReceivedSpan] = []
                try await p.eventually("the job's spans reach the receiver", timeout: .seconds(20)) {
                    trace = receiver.spans.filter { $0.traceId == traceId }
                    // A parent ends (and is sent) after its children: wait for every parent.
                    let ids = Set(trace.map(\.spanId))
                    return trace.filter { $0.name == "output.render" }.count == variants
                        && trace.filter { isPut($0, bucket: "public") }.count == 2 * variants
                        && trace.allSatisfy { $0.parentSpanId.isEmpty || ids.contains($0.parentSpanId) }
                        && ids.contains(rootId)
                }
                #expect(receiver.rejected.isEmpty, "every export decodes: \(receiver.rejected)")
                let spans = Dictionary(trace.map { ($0.spanId, $0) }, uniquingKeysWith: { first, _ in first })
                func parent(of span: ReceivedSpan) -> ReceivedSpan? { spans[span.parentSpanId] }

                // The root: the submit request, a server span with no parent.
                let root = try #require(spans[rootId])
                #expect(root.name == "POST /api/v1/generations")
                #expect(root.kind == "SERVER" && root.parentSpanId.isEmpty)
                #expect(root.service == "interior-test")
                #expect(root.attributes["http.response.status_code"] == .int(202))

                // In the submit: the upload's private write and one create per prediction.
                let uploads = trace.filter { isPut($0, bucket: "private") }
                #expect(uploads.count == 1 && uploads.allSatisfy { $0.parentSpanId == rootId }, "the upload is written in the submit")
                let creates = trace.filter { $0.name.hasPrefix("replicate POST") && !$0.name.hasSuffix("/cancel") }
                #expect(creates.count == predictions, "one create per prediction: \(trace.map(\.name))")
                #expect(creates.allSatisfy { $0.kind == "CLIENT" && $0.parentSpanId == rootId })

                // Replicate's webhooks: server spans in the job's trace, under the submit.
                let webhooks = trace.filter { $0.name == "POST /api/v1/webhooks/replicate" }
                #expect(webhooks.count >= predictions, "at least the completion of each prediction")
                #expect(webhooks.allSatisfy { $0.kind == "SERVER" && $0.parentSpanId == rootId })

                // The inbox processing of the news, under the submit too, and under it the
                // downloads, renders and public writes of the outputs.
                let applies = trace.filter { $0.name == "inbox.apply" }
                #expect(!applies.isEmpty && applies.allSatisfy { $0.parentSpanId == rootId })
                #expect(applies.contains { $0.attributes["interior.prediction.status"] == .string("succeeded") })
                for name in ["output.download", "output.render"] {
                    let work = trace.filter { $0.name == name }
                    #expect(work.count == variants, "\(name) once per variant")
                    #expect(work.allSatisfy { parent(of: $0)?.name == "inbox.apply" }, "\(name) is inbox work")
                }
                let outputs = trace.filter { isPut($0, bucket: "public") }
                #expect(outputs.count == 2 * variants, "an image and a thumbnail per variant")
                #expect(outputs.allSatisfy { parent(of: $0)?.name == "inbox.apply" })
                #expect(trace.allSatisfy { $0.status != "ERROR" }, "nothing failed: \(trace.filter { $0.status == "ERROR" }.map(\.name))")

                // Every span of this job's work is in this trace, none in another one.
                let elsewhere = receiver.spans.filter {
                    $0.traceId != traceId && ["inbox.apply", "output.download", "output.render", "POST /api/v1/webhooks/replicate"].contains($0.name)
                }
                #expect(elsewhere.isEmpty, "job work outside the job's trace: \(elsewhere.map(\.name))")

                // The log lines of the job's work carry its trace id.
                #expect(p.t.logs.all.contains { $0.contains("trace_id=\(traceId)") }, "a log line names the trace")
                // The request line of the submit (written outside its span) and of each webhook names it too.
                let requestLines = p.t.logs.all.filter { $0.contains(" request ") && $0.contains("trace_id=\(traceId)") }
                #expect(requestLines.contains { $0.contains("route=/api/v1/generations") && $0.contains("span_id=\(rootId)") })
                #expect(requestLines.filter { $0.contains("route=/api/v1/webhooks/replicate") }.count == webhooks.count)
            }
        }

        @Test("a request that sends a traceparent continues the caller's trace")
        func continuesCallersTrace() async throws {
            let receiver = try await OTLPReceiver()
            defer { receiver.stop() }
            try await withPipeline(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint.absoluteString,
                                                 "OTEL_BSP_SCHEDULE_DELAY": "50"]) { p in
                let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
                let callerSpan = "00f067aa0ba902b7"
                let response = try await p.client.send(.GET, "/api/v1/usage", token: p.token,
                                                       headers: [("traceparent", "00-\(traceId)-\(callerSpan)-01")])
                #expect(response.status == .ok)
                var span: ReceivedSpan?
                try await p.eventually("the request's span arrives") {
                    span = receiver.spans.first { $0.name == "GET /api/v1/usage" }
                    return span != nil
                }
                #expect(span?.traceId == traceId && span?.parentSpanId == callerSpan && span?.kind == "SERVER")
                #expect(span?.attributes["http.response.status_code"] == .int(200))
            }
        }

        @Test("without an OTLP endpoint nothing is traced: no exporter, no stored context, no trace ids in the logs")
        func offWithoutEndpoint() async throws {
            try await withPipeline { p in
                #expect(!p.t.app.interior.traces.isEnabled)
                #expect(p.t.app.interior.traces.service == nil, "no exporter runs")
                let submitted = try await p.submit(["mode": "imagine", "prompt": "A quiet study with a green wall", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                #expect(try await p.waitUntilFinished(id)["status"] as? String == "succeeded")
                #expect(try await storedTraceParent(p, job: id) == nil)
                #expect(!p.t.logs.all.contains { $0.contains("trace_id=") })
            }
        }

        private func isPut(_ span: ReceivedSpan, bucket: String) -> Bool {
            span.name == "storage.put" && span.attributes["interior.storage.bucket"] == .string(bucket)
        }

        private func storedTraceParent(_ p: Pipeline, job: String) async throws -> String? {
            struct Row: Decodable { let trace_parent: String? }
            return try await p.t.sql.select().column("trace_parent").from("generation_jobs")
                .where("id", .equal, SQLBind(UUID(uuidString: job)!)).first(decoding: Row.self)?.trace_parent
        }
    }
}
