import Foundation
@testable import InteriorServer
import Storage
import Testing

extension PipelineSuite {
    /// The local backend's object URLs served by the app (Supabase Storage's shapes).
    @Suite("Storage routes (local backend)")
    struct StorageRoutesTests {
        @Test("public objects: bytes, type, length, ETag, long-ish caching, 304, HEAD; public bucket only")
        func publicObjects() async throws {
            try await withTestApp { t in
                let store = t.app.interior.store
                let bytes = Data("RIFF0000WEBPVP8 fake".utf8)
                try await store.put(bucket: "public", path: "renders/r1/0.webp", data: bytes, contentType: "image/webp")
                try await store.put(bucket: "private", path: "u/inputs/a.jpg", data: bytes, contentType: "image/jpeg")

                let url = try store.publicURL(bucket: "public", path: "renders/r1/0.webp").absoluteString
                #expect(url == t.settings.publicBaseURL.absoluteString + "/storage/v1/object/public/public/renders/r1/0.webp")
                let response = try await t.client.get("/storage/v1/object/public/public/renders/r1/0.webp")
                #expect(response.status == .ok)
                #expect(response.body == bytes)
                #expect(response.headers.first(name: "Content-Type") == "image/webp")
                #expect(response.headers.first(name: "Content-Length") == String(bytes.count))
                #expect(response.headers.first(name: "Cache-Control") == "public, max-age=3600")
                let etag = try #require(response.headers.first(name: "ETag"))
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))

                let cached = try await t.client.get("/storage/v1/object/public/public/renders/r1/0.webp", headers: [("If-None-Match", etag)])
                #expect(cached.status == .notModified)
                #expect(cached.body.isEmpty)

                let head = try await t.client.send(.HEAD, "/storage/v1/object/public/public/renders/r1/0.webp")
                #expect(head.status == .ok)
                #expect(head.body.isEmpty)

                #expect(try await t.client.get("/storage/v1/object/public/private/u/inputs/a.jpg").status == .notFound)
                #expect(try await t.client.get("/storage/v1/object/public/public/renders/r1/missing.webp").status == .notFound)
            }
        }

        @Test("signed URLs work until they expire; tampered, moved or missing tokens ⇒ 403")
        func signedObjects() async throws {
            try await withTestApp { t in
                let store = t.app.interior.store
                let bytes = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
                try await store.put(bucket: "private", path: "u/inputs/a.jpg", data: bytes, contentType: "image/jpeg")
                try await store.put(bucket: "private", path: "u/inputs/b.jpg", data: bytes, contentType: "image/jpeg")
                let signed = try await store.signedURL(bucket: "private", path: "u/inputs/a.jpg", expiresIn: 600)
                let base = t.settings.publicBaseURL.absoluteString
                let path = String(signed.absoluteString.dropFirst(base.count))
                #expect(path.hasPrefix("/storage/v1/object/sign/private/u/inputs/a.jpg?token="))

                let ok = try await t.client.get(path)
                #expect(ok.status == .ok)
                #expect(ok.body == bytes)
                #expect(ok.headers.first(name: "Cache-Control")?.hasPrefix("private") == true)

                let token = String(path.split(separator: "=", maxSplits: 1)[1])
                let attempts = [
                    "/storage/v1/object/sign/private/u/inputs/b.jpg?token=\(token)",      // moved to another object
                    "/storage/v1/object/sign/public/u/inputs/a.jpg?token=\(token)",       // another bucket
                    "/storage/v1/object/sign/private/u/inputs/a.jpg?token=\(token.dropLast(2))AA",
                    "/storage/v1/object/sign/private/u/inputs/a.jpg?token=",
                    "/storage/v1/object/sign/private/u/inputs/a.jpg",
                ]
                for attempt in attempts {
                    let response = try await t.client.get(attempt)
                    #expect(response.status == .forbidden, "\(attempt)")
                    #expect(response.errorCode == "FORBIDDEN")
                    #expect(!response.text.contains(token), "the token is not echoed")
                }

                t.clock.advance(by: 601)
                let expired = try await t.client.get(path)
                #expect(expired.status == .forbidden)
                #expect(expired.errorMessage == "This link has expired.")
            }
        }

        @Test("path traversal and hostile paths are refused")
        func traversal() async throws {
            try await withTestApp { t in
                try Data("secret".utf8).write(to: t.directory.appendingPathComponent("outside.txt"))
                for path in [
                    "/storage/v1/object/public/public/%2e%2e/%2e%2e/outside.txt",
                    "/storage/v1/object/public/public/renders/%2F..%2F..%2Foutside.txt",
                    "/storage/v1/object/public/public/a%00b",
                    "/storage/v1/object/public/..%2F/outside.txt",
                    "/storage/v1/object/public/public/x%25meta",
                ] {
                    let response = try await t.client.get(path)
                    #expect(response.status == .notFound, "\(path)")
                    #expect(!response.text.contains("secret"))
                }
            }
        }
    }
}
