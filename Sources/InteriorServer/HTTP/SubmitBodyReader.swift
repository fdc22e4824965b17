import Foundation
import MultipartKit
import NIOCore
import Vapor

/// The fields of a submit (`POST /api/v1/generations`) as received, before validation:
/// text fields by name, uploaded files (`input1`, `input2`) or, from JSON, input URLs.
struct SubmitForm: Sendable, Equatable {
    var fields: [String: String] = [:]
    var files: [String: Data] = [:]
}

/// Reads a submit body — multipart/form-data or JSON — without holding more than the
/// limits allow: the body is streamed, each file is capped at the upload limit and the whole
/// body at what the fields can need, and going over either stops reading at once with 413.
enum SubmitBodyReader {
    static let textFields: Set = ["mode", "prompt", "roomType", "style", "aspectRatio", "quality", "variants", "idempotencyKey"]
    static let fileFields: Set = ["input1", "input2"]
    static let urlFields: Set = ["input1Url", "input2Url"]
    /// Room for the text fields and multipart framing besides the files.
    static let overhead = 64 * 1024
    static let maxTextField = 16 * 1024
    static let maxJSONBody = 64 * 1024
    /// How much of a refused body is read and dropped before the connection is closed instead.
    static let maxDiscardedBytes = 32 * 1024 * 1024

    static func read(_ request: Request, maxFileBytes: Int) async throws -> SubmitForm {
        guard let contentType = request.headers.contentType else {
            throw APIError(.unsupportedMediaType, "Send the request as multipart/form-data or application/json.")
        }
        if contentType.type == "multipart", contentType.subType == "form-data" {
            guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty, boundary.count <= 200 else {
                throw APIError.validation(field: "body", "The multipart body has no boundary.")
            }
            return try await readMultipart(request, boundary: boundary, maxFileBytes: maxFileBytes)
        }
        if contentType.type == "application", contentType.subType == "json" {
            return try await readJSON(request)
        }
        throw APIError(.unsupportedMediaType, "Send the request as multipart/form-data or application/json.")
    }

    // MARK: Multipart

    private static func readMultipart(_ request: Request, boundary: String, maxFileBytes: Int) async throws -> SubmitForm {
        let maxBody = maxFileBytes * fileFields.count + overhead
        let declaredLength = request.headers.first(name: .contentLength).flatMap(Int.init)
        if let declaredLength, declaredLength > maxBody + maxDiscardedBytes { throw tooLarge(maxFileBytes) }
        let collector = MultipartCollector(maxFileBytes: maxFileBytes)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name: name, value: value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.partComplete() }

        // Once the body is refused nothing more is kept, but the rest is read and dropped (up
        // to a bound) so the client, still sending, gets to read the answer.
        var received = 0
        var refusal: APIError? = (declaredLength ?? 0) > maxBody ? tooLarge(maxFileBytes) : nil
        for try await chunk in request.body {
            received += chunk.readableBytes
            if refusal != nil {
                if received > maxBody + maxDiscardedBytes { break }
                continue
            }
            if received > maxBody {
                refusal = tooLarge(maxFileBytes)
                continue
            }
            do {
                try parser.execute(chunk)
            } catch {
                refusal = APIError.validation(field: "body", "The multipart body is malformed.")
            }
            if refusal == nil, let failure = collector.failure { refusal = failure }
        }
        if let refusal { throw refusal }
        if let failure = collector.failure { throw failure }
        guard collector.completedParts > 0 else {
            throw APIError.validation(field: "body", "The multipart body is empty or malformed.")
        }
        return collector.form
    }

    private static func tooLarge(_ maxFileBytes: Int) -> APIError {
        APIError(.payloadTooLarge, "Each image may be at most \(maxFileBytes / (1024 * 1024)) MB.")
    }

    /// Accumulates parts as the parser reports them. Used from one request's body loop only.
    private final class MultipartCollector: @unchecked Sendable {
        let maxFileBytes: Int
        var form = SubmitForm()
        var failure: APIError?
        var completedParts = 0

        private var name: String?
        private var isFile = false
        private var buffer = Data()
        private var discarding = false

        init(maxFileBytes: Int) { self.maxFileBytes = maxFileBytes }

        func header(name header: String, value: String) {
            guard header.lowercased() == "content-disposition" else { return }
            let parameters = Self.parameters(of: value)
            name = parameters["name"]
            isFile = parameters["filename"] != nil
        }

        func body(_ chunk: inout ByteBuffer) {
            guard failure == nil, !discarding else { return }
            guard let name, textFields.contains(name) || fileFields.contains(name) else {
                // Parts we do not know are skipped; the body limit still bounds them.
                discarding = true
                return
            }
            let limit = fileFields.contains(name) ? maxFileBytes : maxTextField
            if buffer.count + chunk.readableBytes > limit {
                failure = fileFields.contains(name)
                    ? SubmitBodyReader.tooLarge(maxFileBytes)
                    : APIError.validation(field: name, "\(name) is too long.")
                return
            }
            buffer.append(contentsOf: chunk.readableBytesView)
        }

        func partComplete() {
            defer {
                name = nil
                isFile = false
                buffer = Data()
                discarding = false
                completedParts += 1
            }
            guard failure == nil, let name, !discarding else { return }
            if fileFields.contains(name) {
                if form.files[name] != nil { failure = .validation(field: name, "Send \(name) once."); return }
                if !buffer.isEmpty { form.files[name] = buffer }
            } else if textFields.contains(name) {
                if form.fields[name] != nil { failure = .validation(field: name, "Send \(name) once."); return }
                guard let text = String(data: buffer, encoding: .utf8) else {
                    failure = .validation(field: name, "\(name) must be UTF-8 text.")
                    return
                }
                form.fields[name] = text
            }
        }

        /// `form-data; name="input1"; filename="room.jpg"` → ["name": "input1", "filename": "room.jpg"].
        static func parameters(of value: String) -> [String: String] {
            var result: [String: String] = [:]
            for piece in value.split(separator: ";").dropFirst() {
                let pair = piece.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
                var text = pair[1].trimmingCharacters(in: .whitespaces)
                if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
                result[key] = text
            }
            return result
        }
    }

    // MARK: JSON

    private struct JSONSubmit: Decodable {
        let fields: [String: String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            var fields: [String: String] = [:]
            for key in container.allKeys where SubmitBodyReader.textFields.contains(key.stringValue) || SubmitBodyReader.urlFields.contains(key.stringValue) {
                // Numbers are accepted where the form has text (variants: 2 or "2").
                if let text = try? container.decode(String.self, forKey: key) {
                    fields[key.stringValue] = text
                } else if let number = try? container.decode(Int.self, forKey: key) {
                    fields[key.stringValue] = String(number)
                } else if try container.decodeNil(forKey: key) {
                    continue
                } else {
                    throw APIError.validation(field: key.stringValue, "\(key.stringValue) must be a string.")
                }
            }
            self.fields = fields
        }

        struct AnyKey: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    private static func readJSON(_ request: Request) async throws -> SubmitForm {
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > maxJSONBody + maxDiscardedBytes {
            throw APIError(.payloadTooLarge, "The request body is too large.")
        }
        var body = ByteBuffer()
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            if received > maxJSONBody {
                if received > maxJSONBody + maxDiscardedBytes { break }
                continue
            }
            var chunk = chunk
            body.writeBuffer(&chunk)
        }
        if received > maxJSONBody {
            throw APIError(.payloadTooLarge, "The request body is too large.")
        }
        let data = Data(buffer: body)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw APIError.validation(field: "body", "The request body must be a JSON object.")
        }
        let decoded = try JSONDecoder().decode(JSONSubmit.self, from: data)
        return SubmitForm(fields: decoded.fields, files: [:])
    }
}
