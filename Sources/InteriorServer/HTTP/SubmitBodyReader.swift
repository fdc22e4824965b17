import Foundation
import InteriorAPI
import InteriorCore
import MultipartKit
import NIOCore
import Vapor

/// The fields of a submit (`POST /api/v1/generations`) as received, before validation:
/// text fields by name, uploaded files (`input1`, `input2`) or, from JSON, input URLs. They are
/// read and written through `openapi.yaml`'s names (the generated `SubmitJSON` coding keys), so
/// a field renamed there and not here does not build.
struct SubmitForm: Sendable, Equatable {
    typealias Field = Components.Schemas.SubmitJSON.CodingKeys

    var fields: [String: String] = [:]
    var files: [String: Data] = [:]

    subscript(_ field: Field) -> String? {
        get { fields[field.rawValue] }
        set { fields[field.rawValue] = newValue }
    }

    subscript(file image: Image) -> Data? {
        get { files[image.rawValue] }
        set { files[image.rawValue] = newValue }
    }

    /// The input images: a file part of a form (`SubmitForm` in the document), a URL field of
    /// JSON. The generator does not model binary parts of a form, so their names are written
    /// here, each beside the document's URL field it stands for.
    enum Image: String, CaseIterable, Sendable {
        case input1, input2

        var urlField: Field {
            switch self {
            case .input1: .input1Url
            case .input2: .input2Url
            }
        }
    }

    /// A form's text parts are the JSON body's fields other than the input URLs.
    static func isFormText(_ name: String) -> Bool {
        guard let field = Field(rawValue: name) else { return false }
        return !Image.allCases.contains { $0.urlField == field }
    }

    static func isFormFile(_ name: String) -> Bool { Image(rawValue: name) != nil }
}

/// Reads a submit body — multipart/form-data or JSON — without holding more than the
/// limits allow: the body is streamed, each file is capped at the upload limit and the whole
/// body at what the fields can need, and going over either stops reading at once with 413.
/// The bytes held count against the body budget (429/503 beyond it), and a body that stalls
/// for `timeouts.requestBodyIdle` is 408.
enum SubmitBodyReader {
    static let maxTextField = 16 * 1024
    static let maxJSONBody = 64 * 1024
    /// How much of a refused body is read and dropped before the connection is closed instead.
    static let maxDiscardedBytes = 32 * 1024 * 1024

    static func read(_ request: Request, limits: Limits, idle: Duration, claim: BodyClaim) async throws -> SubmitForm {
        guard let contentType = request.headers.contentType else {
            throw APIError(.unsupportedMediaType, "Send the request as multipart/form-data or application/json.")
        }
        if contentType.type == "multipart", contentType.subType == "form-data" {
            guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty, boundary.count <= 200 else {
                throw APIError.validation(field: "body", "The multipart body has no boundary.")
            }
            return try await readMultipart(request, boundary: boundary, limits: limits, idle: idle, claim: claim)
        }
        if contentType.type == "application", contentType.subType == "json" {
            return try await readJSON(request, idle: idle, claim: claim)
        }
        throw APIError(.unsupportedMediaType, "Send the request as multipart/form-data or application/json.")
    }

    // MARK: Multipart

    private static func readMultipart(_ request: Request, boundary: String, limits: Limits, idle: Duration,
                                      claim: BodyClaim) async throws -> SubmitForm {
        let maxBody = limits.maxSubmitBodyBytes
        let declaredLength = request.headers.first(name: .contentLength).flatMap(Int.init)
        if let declaredLength, declaredLength > maxBody + maxDiscardedBytes { throw bodyTooLarge(limits) }
        // What the body says it carries is claimed before a byte is read.
        try claim.grow(to: min(declaredLength ?? 0, maxBody))
        let reading = MultipartReading(boundary: boundary, limits: limits, claim: claim,
                                       refusal: (declaredLength ?? 0) > maxBody ? bodyTooLarge(limits) : nil)
        try await BodyStream.forEach(request, idle: idle) { reading.consume($0) }
        return try reading.finish()
    }

    /// The whole body is over what a submit can need.
    static func bodyTooLarge(_ limits: Limits) -> APIError {
        let megabytes = { (bytes: Int) in String(format: "%g", (Double(bytes) / 1_048_576 * 10).rounded() / 10) }
        return APIError(.payloadTooLarge,
                        "The request body is too large: a submit carries at most \(megabytes(limits.maxSubmitBodyBytes)) MB "
                            + "(two images of at most \(megabytes(limits.maxUploadBytes)) MB each and the text fields).")
    }

    static func imageTooLarge(_ maxFileBytes: Int) -> APIError {
        APIError(.payloadTooLarge, "Each image may be at most \(maxFileBytes / (1024 * 1024)) MB.")
    }

    /// The state of one multipart body being read: the parser, the parts so far and why it is
    /// refused, if it is. Used from one request's body loop at a time.
    private final class MultipartReading: @unchecked Sendable {
        let boundary: String
        let limits: Limits
        let claim: BodyClaim
        let parser: MultipartParser
        let collector: MultipartCollector
        var received = 0
        var refusal: APIError?

        init(boundary: String, limits: Limits, claim: BodyClaim, refusal: APIError?) {
            self.boundary = boundary
            self.limits = limits
            self.claim = claim
            self.refusal = refusal
            let parser = MultipartParser(boundary: boundary)
            let collector = MultipartCollector(maxFileBytes: limits.maxUploadBytes)
            parser.onHeader = { name, value in collector.header(name: name, value: value) }
            parser.onBody = { buffer in collector.body(&buffer) }
            parser.onPartComplete = { collector.partComplete() }
            self.parser = parser
            self.collector = collector
        }

        /// Takes one chunk; false when the rest of the body is not worth reading. Once the
        /// body is refused nothing more is kept, but the rest is read and dropped (up to a
        /// bound) so the client, still sending, gets to read the answer.
        func consume(_ chunk: ByteBuffer) -> Bool {
            received += chunk.readableBytes
            let maxBody = limits.maxSubmitBodyBytes
            if refusal != nil { return received <= maxBody + maxDiscardedBytes }
            if received > maxBody {
                refusal = bodyTooLarge(limits)
                return true
            }
            do {
                // A chunked body has declared nothing: it claims as it arrives, a MiB at a time.
                if received > claim.bytes { try claim.grow(to: min(maxBody, received + 1_048_576)) }
                try parser.execute(chunk)
            } catch let error as APIError {
                refusal = error
            } catch {
                refusal = APIError.validation(field: "body", "The multipart body is malformed.")
            }
            if refusal == nil, let failure = collector.failure { refusal = failure }
            return true
        }

        func finish() throws -> SubmitForm {
            if let refusal { throw refusal }
            if let failure = collector.failure { throw failure }
            guard collector.completedParts > 0 else {
                throw APIError.validation(field: "body", "The multipart body is empty or malformed.")
            }
            guard isTerminated else {
                throw APIError.validation(field: "body", "The multipart body ended before its closing boundary (--\(boundary)--); it was cut short.")
            }
            return collector.form
        }

        /// Whether the body's closing delimiter was read. The parser does not say, so it is
        /// asked: after the closing delimiter it is in the epilogue and ignores one more; anywhere
        /// else (inside a part, or between parts) one more completes or fails a part.
        private var isTerminated: Bool {
            let events = collector.events
            collector.probing = true
            defer { collector.probing = false }
            do {
                try parser.execute("\r\n--\(boundary)--\r\n")
            } catch {
                return false
            }
            return collector.events == events
        }
    }

    /// Accumulates parts as the parser reports them. Used from one request's body loop only.
    private final class MultipartCollector: @unchecked Sendable {
        let maxFileBytes: Int
        var form = SubmitForm()
        var failure: APIError?
        var completedParts = 0
        /// Every callback of the parser, and whether they are only being counted (see
        /// `isTerminated`).
        var events = 0
        var probing = false

        private var name: String?
        private var isFile = false
        private var buffer = Data()
        private var discarding = false

        init(maxFileBytes: Int) { self.maxFileBytes = maxFileBytes }

        func header(name header: String, value: String) {
            events += 1
            guard !probing, header.lowercased() == "content-disposition" else { return }
            let parameters = Self.parameters(of: value)
            name = parameters["name"]
            isFile = parameters["filename"] != nil
        }

        func body(_ chunk: inout ByteBuffer) {
            events += 1
            guard !probing, failure == nil, !discarding else { return }
            guard let name, SubmitForm.isFormText(name) || SubmitForm.isFormFile(name) else {
                // Parts we do not know are skipped; the body limit still bounds them.
                discarding = true
                return
            }
            let limit = SubmitForm.isFormFile(name) ? maxFileBytes : maxTextField
            if buffer.count + chunk.readableBytes > limit {
                failure = SubmitForm.isFormFile(name)
                    ? SubmitBodyReader.imageTooLarge(maxFileBytes)
                    : APIError.validation(field: name, "\(name) is too long: a text field carries at most \(maxTextField / 1024) KB.")
                return
            }
            buffer.append(contentsOf: chunk.readableBytesView)
        }

        func partComplete() {
            events += 1
            guard !probing else { return }
            defer {
                name = nil
                isFile = false
                buffer = Data()
                discarding = false
                completedParts += 1
            }
            guard failure == nil, let name, !discarding else { return }
            if SubmitForm.isFormFile(name) {
                if form.files[name] != nil { failure = .validation(field: name, "Send \(name) once."); return }
                if !buffer.isEmpty { form.files[name] = buffer }
            } else if SubmitForm.isFormText(name) {
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
            // The keys `openapi.yaml`'s `SubmitJSON` names; other keys are ignored.
            for key in container.allKeys where SubmitForm.Field(rawValue: key.stringValue) != nil {
                let name = key.stringValue
                // Numbers are accepted where the form has text (variants: 2 or "2"); any other
                // number or a boolean is passed on as written, for the field's own rule to refuse.
                if let text = try? container.decode(String.self, forKey: key) {
                    fields[name] = text
                } else if let number = try? container.decode(Int.self, forKey: key) {
                    fields[name] = String(number)
                } else if let number = try? container.decode(Double.self, forKey: key) {
                    fields[name] = String(number)
                } else if let flag = try? container.decode(Bool.self, forKey: key) {
                    fields[name] = String(flag)
                } else if try container.decodeNil(forKey: key) {
                    continue
                } else if name == "variants" {
                    throw APIError.validation(field: name, "variants must be a whole number.")
                } else {
                    throw APIError.validation(field: name, "\(name) must be a string.")
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

    private static func readJSON(_ request: Request, idle: Duration, claim: BodyClaim) async throws -> SubmitForm {
        let declared = request.headers.first(name: .contentLength).flatMap(Int.init)
        if let declared, declared > maxJSONBody + maxDiscardedBytes {
            throw APIError(.payloadTooLarge, "The request body is too large: a JSON submit carries at most \(maxJSONBody / 1024) KB.")
        }
        try claim.grow(to: maxJSONBody)
        let reading = JSONReading()
        try await BodyStream.forEach(request, idle: idle) { reading.consume($0) }
        if reading.received > maxJSONBody {
            throw APIError(.payloadTooLarge, "The request body is too large: a JSON submit carries at most \(maxJSONBody / 1024) KB.")
        }
        let data = Data(buffer: reading.body)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw APIError.validation(field: "body", "The request body must be a JSON object.")
        }
        let decoded = try JSONDecoder().decode(JSONSubmit.self, from: data)
        return SubmitForm(fields: decoded.fields, files: [:])
    }

    /// A JSON body being read: kept up to its limit, the rest dropped up to a bound.
    private final class JSONReading: @unchecked Sendable {
        var body = ByteBuffer()
        var received = 0

        func consume(_ chunk: ByteBuffer) -> Bool {
            received += chunk.readableBytes
            if received > maxJSONBody { return received <= maxJSONBody + maxDiscardedBytes }
            var chunk = chunk
            body.writeBuffer(&chunk)
            return true
        }
    }
}
