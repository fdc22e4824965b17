import Foundation
import SQLKit

/// A row type read column by column. The status read (a page polls it) decodes a job, a
/// render and its variants per request; through SQLKit's `Codable` decoding each column cost a
/// keyed container, a key conversion and a generic lookup, 10% of the server's CPU on that
/// route, more than reading the values. Rows are still written through `Encodable`, so a
/// type's column names come from one place: `RowDecodingTests` reads every field of a row
/// written that way back through this decoder.
protocol DecodableRow: Sendable {
    init(_ columns: RowColumns) throws
}

/// The columns of one row, under the prefix the query put before their names (`r_` in a join).
struct RowColumns {
    let row: any SQLRow
    let prefix: String

    init(_ row: any SQLRow, prefix: String = "") {
        self.row = row
        self.prefix = prefix
    }

    func callAsFunction<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row.decode(column: prefix + column, as: T.self)
    }

    /// NULL as nil.
    func optional<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try row.decodeNil(column: prefix + column) ? nil : row.decode(column: prefix + column, as: T.self)
    }

    /// A column holding an enum's raw value.
    func raw<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text = try row.decode(column: prefix + column, as: String.self)
        guard let value = T(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(prefix + column): unknown value \"\(text)\""))
        }
        return value
    }
}

extension SQLQueryFetcher {
    func first<R: DecodableRow>(row type: R.Type) async throws -> R? {
        try await first().map { try R(RowColumns($0)) }
    }

    func all<R: DecodableRow>(rows type: R.Type) async throws -> [R] {
        try await all().map { try R(RowColumns($0)) }
    }
}

extension JobRow: DecodableRow {
    init(_ c: RowColumns) throws {
        self.init(id: try c("id"), ownerId: try c("owner_id"), mode: try c.raw("mode"), roomType: try c("room_type"),
                  style: try c("style"), aspectRatio: try c.raw("aspect_ratio"), quality: try c.raw("quality"),
                  variants: try c("variants"), prompt: try c.optional("prompt"), finalPrompt: try c.optional("final_prompt"),
                  input1Path: try c.optional("input1_path"), input2Path: try c.optional("input2_path"), model: try c("model"),
                  predictionId: try c.optional("prediction_id"), status: try c.raw("status"), errorCode: try c.optional("error_code"),
                  error: try c.optional("error"), idempotencyKey: try c.optional("idempotency_key"),
                  requestFingerprint: try c.optional("request_fingerprint"), createdAt: try c("created_at"),
                  updatedAt: try c("updated_at"), lastPolledAt: try c.optional("last_polled_at"),
                  completedAt: try c.optional("completed_at"), traceParent: try c.optional("trace_parent"))
    }
}

extension RenderRow: DecodableRow {
    init(_ c: RowColumns) throws {
        self.init(id: try c("id"), jobId: try c("job_id"), ownerId: try c("owner_id"), mode: try c.raw("mode"),
                  roomType: try c("room_type"), style: try c("style"), coverVariant: try c("cover_variant"),
                  createdAt: try c("created_at"), deletedAt: try c.optional("deleted_at"))
    }
}

extension VariantRow: DecodableRow {
    init(_ c: RowColumns) throws {
        self.init(id: try c("id"), renderId: try c("render_id"), ownerId: try c("owner_id"), idx: try c("idx"),
                  imagePath: try c("image_path"), thumbPath: try c("thumb_path"), width: try c("width"),
                  height: try c("height"), bytes: try c("bytes"), createdAt: try c("created_at"))
    }
}
