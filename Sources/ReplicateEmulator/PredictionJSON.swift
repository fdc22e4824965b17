import Foundation
import InteriorCore
import Replicate

/// Replicate's JSON for a prediction, written by the emulator itself (not through the
/// client's `Prediction` type, so the client's decoder is tested against a separate writer).
enum PredictionJSON {
    /// Output URLs are made from where the emulator listens now, so a restarted emulator
    /// gives working ones for the outputs it made before.
    static func object(_ record: PredictionRecord, addresses: Addresses) -> JSONValue {
        let apiBase = addresses.apiBase
        let urls = record.outputs.map { JSONValue.string("\(addresses.fileBase)/\($0)") }
        let output: JSONValue
        if record.dataRemoved || urls.isEmpty && record.status != .succeeded {
            output = .null
        } else if record.job.singleOutput {
            output = urls.first ?? .null
        } else {
            output = .array(urls)
        }

        var metrics: [String: JSONValue] = [:]
        if let started = record.startedAt, let completed = record.completedAt {
            metrics["predict_time"] = .number(rounded(completed.timeIntervalSince(started)))
        }
        if let completed = record.completedAt {
            metrics["total_time"] = .number(rounded(completed.timeIntervalSince(record.createdAt)))
        }
        if record.status == .succeeded {
            metrics["image_count"] = .number(Double(record.outputs.count))
        }

        return .object([
            "id": .string(record.id),
            "model": .string(record.model.identifier),
            "version": .string(record.model.version),
            "input": record.dataRemoved ? .object([:]) : record.input,
            "logs": .string(record.logs),
            "output": output,
            "data_removed": .bool(record.dataRemoved),
            "error": record.error.map(JSONValue.string) ?? .null,
            "status": .string(record.status.rawValue),
            "source": .string("api"),
            "created_at": timestamp(record.createdAt),
            "started_at": record.startedAt.map(timestamp) ?? .null,
            "completed_at": record.completedAt.map(timestamp) ?? .null,
            "urls": .object([
                "get": .string("\(apiBase)/predictions/\(record.id)"),
                "cancel": .string("\(apiBase)/predictions/\(record.id)/cancel"),
            ]),
            "metrics": .object(metrics),
        ])
    }

    static func data(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// A problem body as Replicate sends it (RFC 7807).
    static func problem(status: Int, title: String, detail: String, invalidFields: [ModelInputRejection.Problem] = []) -> Data {
        var object: [String: JSONValue] = [
            "title": .string(title), "detail": .string(detail), "status": .number(Double(status)),
        ]
        if !invalidFields.isEmpty {
            object["invalid_fields"] = .array(invalidFields.map {
                .object(["type": .string($0.type), "field": .string($0.field), "description": .string($0.description)])
            })
        }
        return data(.object(object))
    }

    private static func timestamp(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    private static func rounded(_ seconds: TimeInterval) -> Double {
        (seconds * 1000).rounded() / 1000
    }
}
