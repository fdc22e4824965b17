import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

extension PipelineSuite {
    /// Bad input gets a clear error naming the field, and nothing is created or charged.
    @Suite("Pipeline: invalid submits")
    struct ValidationTests {
        struct Case: Sendable, CustomTestStringConvertible {
            let name: String
            let fields: [String: String]
            let files: [String]
            let status: Int
            let code: String
            let field: String
            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "mode missing", fields: ["prompt": "x"], files: [], status: 400, code: "VALIDATION_ERROR", field: "mode"),
            Case(name: "mode unknown", fields: ["mode": "paint"], files: [], status: 400, code: "VALIDATION_ERROR", field: "mode"),
            Case(name: "redesign without a photo", fields: ["mode": "redesign"], files: [], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "staging without a photo", fields: ["mode": "staging"], files: [], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "compose with one photo", fields: ["mode": "compose"], files: ["input1"], status: 400, code: "VALIDATION_ERROR", field: "input2"),
            Case(name: "compose without photos", fields: ["mode": "compose"], files: [], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "imagine without a prompt", fields: ["mode": "imagine"], files: [], status: 400, code: "VALIDATION_ERROR", field: "prompt"),
            Case(name: "imagine with an image", fields: ["mode": "imagine", "prompt": "a den"], files: ["input1"], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "bad aspect ratio", fields: ["mode": "imagine", "prompt": "a den", "aspectRatio": "7:5"], files: [], status: 400, code: "VALIDATION_ERROR", field: "aspectRatio"),
            Case(name: "match without a photo", fields: ["mode": "imagine", "prompt": "a den", "aspectRatio": "match"], files: [], status: 400, code: "VALIDATION_ERROR", field: "aspectRatio"),
            Case(name: "bad quality", fields: ["mode": "imagine", "prompt": "a den", "quality": "ultra"], files: [], status: 400, code: "VALIDATION_ERROR", field: "quality"),
            Case(name: "variants 0", fields: ["mode": "imagine", "prompt": "a den", "variants": "0"], files: [], status: 400, code: "VALIDATION_ERROR", field: "variants"),
            Case(name: "variants 4", fields: ["mode": "imagine", "prompt": "a den", "variants": "4"], files: [], status: 400, code: "VALIDATION_ERROR", field: "variants"),
            Case(name: "variants not a number", fields: ["mode": "imagine", "prompt": "a den", "variants": "two"], files: [], status: 400, code: "VALIDATION_ERROR", field: "variants"),
            Case(name: "unknown style", fields: ["mode": "imagine", "prompt": "a den", "style": "baroque"], files: [], status: 400, code: "VALIDATION_ERROR", field: "style"),
            Case(name: "unknown room type", fields: ["mode": "imagine", "prompt": "a den", "roomType": "garage"], files: [], status: 400, code: "VALIDATION_ERROR", field: "roomType"),
            Case(name: "prompt too long", fields: ["mode": "imagine", "prompt": String(repeating: "timber ", count: 150)], files: [], status: 400, code: "VALIDATION_ERROR", field: "prompt"),
            Case(name: "moderated prompt", fields: ["mode": "imagine", "prompt": "a bedroom full of p0rn posters"], files: [], status: 400, code: "VALIDATION_ERROR", field: "prompt"),
            Case(name: "bad idempotency key", fields: ["mode": "imagine", "prompt": "a den", "idempotencyKey": "not-a-uuid"], files: [], status: 400, code: "VALIDATION_ERROR", field: "idempotencyKey"),
            Case(name: "non-image file", fields: ["mode": "redesign"], files: ["zip:input1"], status: 415, code: "UNSUPPORTED_MEDIA_TYPE", field: "input1"),
            Case(name: "truncated image", fields: ["mode": "redesign"], files: ["truncated:input1"], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "image too small", fields: ["mode": "redesign"], files: ["tiny:input1"], status: 400, code: "VALIDATION_ERROR", field: "input1"),
            Case(name: "decompression bomb", fields: ["mode": "redesign"], files: ["bomb:input1"], status: 400, code: "VALIDATION_ERROR", field: "input1"),
        ]

        static func file(_ spec: String) async throws -> (String, Data) {
            let parts = spec.split(separator: ":").map(String.init)
            let (kind, slot) = parts.count == 2 ? (parts[0], parts[1]) : ("photo", parts[0])
            switch kind {
            case "zip": return (slot, Data([0x50, 0x4B, 0x03, 0x04]) + Data(repeating: 7, count: 2000))
            case "truncated":
                let photo = try await TestImages.photo(format: .jpeg)
                return (slot, photo.prefix(photo.count / 3))
            case "tiny": return (slot, try await TestImages.photo(width: 300, height: 200))
            case "bomb": return (slot, pngHeader(width: 30000, height: 30000))
            default: return (slot, try await TestImages.photo())
            }
        }

        /// A PNG signature and IHDR claiming a huge image (no pixel data follows).
        static func pngHeader(width: UInt32, height: UInt32) -> Data {
            var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
            for value in [width, height] { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
            data.append(contentsOf: [8, 2, 0, 0, 0, 0, 0, 0, 0])
            return data
        }

        @Test("invalid inputs ⇒ the error names the field; nothing is created", arguments: cases)
        func invalid(_ test: Case) async throws {
            try await withPipeline { p in
                var files: [String: Data] = [:]
                for spec in test.files {
                    let (slot, data) = try await Self.file(spec)
                    files[slot] = data
                }
                let response = try await p.submit(test.fields, files: files, asSent: true)
                #expect(response.status.code == UInt(test.status))
                #expect(response.errorCode == test.code)
                // A mode the configured model cannot serve is refused on the mode first.
                let mode = test.fields["mode"].flatMap { GenerationMode(rawValue: $0) }
                let field = mode.map { p.profile.supports($0) } == false ? "mode" : test.field
                #expect(response.errorDetails?["field"] as? String == field)
                #expect(try await p.count("generation_jobs") == 0)
                #expect(try await p.count("usage_ledger") == 0)
                #expect(await p.emulator.predictionIDs().isEmpty)
            }
        }

        @Test("a moderation refusal never echoes the term")
        func moderationMessage() async throws {
            try await withPipeline { p in
                let response = try await p.submit(["mode": "imagine", "prompt": "a bedroom full of p0rn posters"])
                #expect(response.errorMessage?.lowercased().contains("p0rn") == false)
                #expect(response.errorMessage?.lowercased().contains("porn") == false)
            }
        }

        @Test("an upload over the limit ⇒ 413 as soon as the limit is passed, nothing created")
        func oversizedUpload() async throws {
            // A 2 MB limit: the rule is the same at any size, and a debug build parses a
            // multipart body at a few MB/s.
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("upload-limit-\(UUID().uuidString).json")
            try Data(#"{"limits": {"maxUploadBytes": 2097152}}"#.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            try await withPipeline(environment: ["INTERIOR_CONFIG": config.path]) { p in
                let limit = p.t.settings.runtime.limits.maxUploadBytes
                #expect(limit == 2_097_152)
                var body = MultipartBody()
                body.field("mode", "redesign")
                body.file("input1", Data(repeating: 0xFF, count: limit + 1))
                let response = try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: body.finished(), contentType: body.contentType)
                #expect(response.status == .payloadTooLarge)
                #expect(response.errorCode == "PAYLOAD_TOO_LARGE")
                #expect(try await p.count("generation_jobs") == 0)
            }
        }

        @Test("bodies that are neither multipart nor JSON ⇒ 415; malformed bodies ⇒ 400")
        func bodyTypes() async throws {
            try await withPipeline { p in
                let text = try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: Data("mode=imagine".utf8), contentType: "text/plain")
                #expect(text.status == .unsupportedMediaType)
                #expect(text.errorCode == "UNSUPPORTED_MEDIA_TYPE")
                let form = try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: Data("mode=imagine".utf8),
                                                   contentType: "application/x-www-form-urlencoded")
                #expect(form.status == .unsupportedMediaType)
                let badJSON = try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: Data("{\"mode\":".utf8))
                #expect(badJSON.status == .badRequest)
                #expect(badJSON.errorCode == "VALIDATION_ERROR")
                let badMultipart = try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: Data("garbage".utf8),
                                                           contentType: "multipart/form-data; boundary=xyz")
                #expect(badMultipart.status == .badRequest)
                let unauthorised = try await p.client.send(.POST, "/api/v1/generations", body: Data("{}".utf8))
                #expect(unauthorised.status == .unauthorized)
                #expect(try await p.count("generation_jobs") == 0)
            }
        }
    }
}
