import Foundation
import TestSupport

/// `Tests/TestSupport/Python/otlp_receiver.py`: an OTLP/HTTP trace receiver decoding with the
/// OpenTelemetry project's own protobuf classes; the spans it received, as it printed them.
final class OTLPReceiver: Sendable {
    let process: BackgroundProcess
    /// The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` names it.
    let endpoint: URL

    struct ReceivedSpan: Decodable, Sendable {
        let traceId: String
        let spanId: String
        let parentSpanId: String
        let name: String
        let kind: String
        let status: String
        let service: String?
        let attributes: [String: AttributeValue]

        enum CodingKeys: String, CodingKey {
            case traceId = "trace_id", spanId = "span_id", parentSpanId = "parent_span_id"
            case name, kind, status, service, attributes
        }
    }

    /// A span attribute as the receiver printed it (the kinds the server sets).
    enum AttributeValue: Decodable, Sendable, Equatable {
        case string(String), int(Int), bool(Bool), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Int.self) { self = .int(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else { self = .other }
        }
    }

    private static let script = ServeProcess.packageRoot.appendingPathComponent("Tests/TestSupport/Python/otlp_receiver.py").path

    init() async throws {
        process = try BackgroundProcess(name: "otlp-receiver", [TestPython.executable, Self.script], lifeline: true)
        let line = try await process.waitForLine(startingWith: "LISTENING ")
        endpoint = URL(string: "http://127.0.0.1:\(line.dropFirst("LISTENING ".count))")!
    }

    var spans: [ReceivedSpan] {
        process.output().split(separator: "\n").compactMap { line in
            guard line.hasPrefix("SPAN ") else { return nil }
            return try? JSONDecoder().decode(ReceivedSpan.self, from: Data(line.dropFirst("SPAN ".count).utf8))
        }
    }

    /// Bodies the receiver could not decode.
    var rejected: [String] {
        process.output().split(separator: "\n").filter { $0.hasPrefix("BAD ") }.map(String.init)
    }

    func stop() { process.stop() }
}
