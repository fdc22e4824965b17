import Foundation
@testable import InteriorServer
import ReplicateEmulator
import SQLKit
import Testing

extension PipelineSuite {
    @Suite("Pipeline: renders, lists, cancel, retry, ownership")
    struct RendersTests {
        /// Runs an imagine job to success and returns its id.
        static func generate(_ p: Pipeline, prompt: String, style: String = "coastal_au", roomType: String = "living_room",
                             variants: Int = 1, token: String? = nil) async throws -> String {
            let submitted = try await p.submit(["mode": "imagine", "prompt": prompt, "style": style, "roomType": roomType,
                                                "variants": String(variants)], token: token)
            let id = try #require(submitted.data["id"] as? String)
            let done = try await p.waitUntilFinished(id, token: token)
            #expect(done["status"] as? String == "succeeded")
            return id
        }

        @Test("another user's job or render ⇒ 404, never 403")
        func otherUsers() async throws {
            try await withPipeline { p in
                let id = try await Self.generate(p, prompt: "Private lounge")
                let renderId = try #require(try await p.status(id).data["renderId"] as? String)
                let other = try await DevTokens.supabaseToken(user: UUID())
                for path in ["/api/v1/generations/\(id)", "/api/v1/renders/\(renderId)"] {
                    let response = try await p.client.get(path, token: other)
                    #expect(response.status == .notFound, "\(path)")
                    #expect(response.errorCode == "NOT_FOUND")
                }
                #expect(try await p.client.send(.DELETE, "/api/v1/renders/\(renderId)", token: other).status == .notFound)
                #expect(try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: other).status == .notFound)
                #expect(try await p.client.send(.POST, "/api/v1/generations/\(id)/retry", token: other).status == .notFound)
                #expect(try await p.client.get("/api/v1/generations/not-a-uuid", token: p.token).status == .notFound)
                #expect(try await p.client.get("/api/v1/generations/\(UUID().apiString)", token: p.token).status == .notFound)
                // And the owner still sees it.
                #expect(try await p.client.get("/api/v1/renders/\(renderId)", token: p.token).status == .ok)
            }
        }

        @Test("deleting a render makes its image URLs 404")
        func deleteRender() async throws {
            try await withPipeline { p in
                let id = try await Self.generate(p, prompt: "Render to delete", variants: 2)
                let job = try await p.status(id).data
                let renderId = try #require(job["renderId"] as? String)
                let urls = try #require(job["variants"] as? [[String: Any]]).flatMap { [$0["url"] as! String, $0["thumbUrl"] as! String] }
                let base = p.t.settings.publicBaseURL.absoluteString
                for url in urls { #expect(try await p.client.get(String(url.dropFirst(base.count))).status == .ok) }

                let deleted = try await p.client.send(.DELETE, "/api/v1/renders/\(renderId)", token: p.token)
                #expect(deleted.status == .ok)
                #expect(deleted.data["deleted"] as? Bool == true)
                for url in urls {
                    let response = try await p.client.get(String(url.dropFirst(base.count)))
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "NOT_FOUND")
                }
                #expect(try await p.client.get("/api/v1/renders/\(renderId)", token: p.token).status == .notFound)
                let after = try await p.status(id).data
                #expect(after["status"] as? String == "succeeded")
                #expect(after["renderId"] == nil && after["variants"] == nil, "the status read no longer lists it")
                #expect(try await p.client.send(.DELETE, "/api/v1/renders/\(renderId)", token: p.token).status == .notFound)
                let list = try await p.client.get("/api/v1/renders", token: p.token).data
                #expect((list["items"] as? [Any])?.isEmpty == true)
            }
        }

        @Test("the gallery filters by mode, room type and style and pages with an opaque cursor")
        func galleryPaging() async throws {
            try await withPipeline { p in
                var ids: [String] = []
                for (index, style) in ["coastal_au", "japandi", "coastal_au", "queenslander", "coastal_au"].enumerated() {
                    ids.append(try await Self.generate(p, prompt: "Room \(index)", style: style, roomType: index == 4 ? "kitchen" : "living_room"))
                    p.t.clock.advance(by: 1)
                }
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let query = "/api/v1/renders?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await p.client.get(query, token: p.token).data
                    let items = try #require(page["items"] as? [[String: Any]])
                    #expect(items.count <= 2)
                    for item in items {
                        #expect(item["coverVariantUrl"] is String && item["coverThumbUrl"] is String)
                        seen.append(item["jobId"] as! String)
                    }
                    cursor = page["nextCursor"] as? String
                } while cursor != nil
                #expect(seen == ids.reversed(), "newest first, every render once")

                let coastal = try await p.client.get("/api/v1/renders?style=Coastal%20AU", token: p.token).data["items"] as? [[String: Any]]
                #expect(coastal?.count == 3)
                let kitchens = try await p.client.get("/api/v1/renders?roomType=kitchen&style=coastal_au", token: p.token).data["items"] as? [[String: Any]]
                #expect(kitchens?.map { $0["jobId"] as? String } == [ids[4]])
                // Text jobs run as redesigns on a model that cannot imagine.
                let mode = p.profile.supports(.imagine) ? "imagine" : "redesign"
                let generated = try await p.client.get("/api/v1/renders?mode=\(mode)", token: p.token).data["items"] as? [[String: Any]]
                #expect(generated?.count == 5)
                #expect((try await p.client.get("/api/v1/renders?mode=staging", token: p.token).data["items"] as? [Any])?.isEmpty == true)

                for bad in ["limit=0", "limit=101", "limit=abc", "cursor=not-a-cursor", "style=baroque", "mode=paint"] {
                    let response = try await p.client.get("/api/v1/renders?\(bad)", token: p.token)
                    #expect(response.status == .badRequest, "\(bad)")
                }

                let generations = try await p.client.get("/api/v1/generations?limit=3", token: p.token).data
                #expect((generations["items"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(ids.reversed().prefix(3)))
                #expect(generations["nextCursor"] is String)
            }
        }

        @Test("cancel ends an in-flight job with a refund; a finished job cannot be canceled")
        func cancel() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .hang))
                let submitted = try await p.submit(["mode": "imagine", "prompt": "Cancel me", "variants": "1"])
                let id = try #require(submitted.data["id"] as? String)
                let predictionId = try #require(submitted.data["predictionId"] as? String)
                let canceled = try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: p.token)
                #expect(canceled.status == .ok)
                #expect(canceled.data["status"] as? String == "canceled")
                #expect((canceled.data["error"] as? [String: Any])?["code"] as? String == "CANCELED")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
                #expect(try await p.prediction(predictionId)["status"] as? String == "canceled")

                let again = try await p.client.send(.POST, "/api/v1/generations/\(id)/cancel", token: p.token)
                #expect(again.status == .conflict)
                #expect(again.errorCode == "INVALID_STATE")
                #expect(try await p.ledger(job: id) == ["debit", "refund"])
            }
        }

        @Test("retry resubmits a failed job's stored inputs and settings as a new job")
        func retry() async throws {
            try await withPipeline { p in
                await p.emulator.enqueueFault(FaultPlan(outcome: .fail))
                let photo = try await TestImages.photo()
                let ratio = p.landscape(for: .redesign).rawValue
                let submitted = try await p.submit(["mode": "redesign", "style": "scandi_au", "aspectRatio": ratio, "variants": "1"],
                                                   files: ["input1": photo])
                let id = try #require(submitted.data["id"] as? String)
                #expect(try await p.waitUntilFinished(id)["status"] as? String == "failed")

                let retried = try await p.client.send(.POST, "/api/v1/generations/\(id)/retry", token: p.token)
                #expect(retried.status == .accepted)
                let newId = try #require(retried.data["id"] as? String)
                #expect(newId != id)
                let settings = try #require(retried.data["settings"] as? [String: Any])
                #expect(settings["style"] as? String == "scandi_au")
                #expect(settings["aspectRatio"] as? String == ratio)
                #expect(try await p.waitUntilFinished(newId)["status"] as? String == "succeeded")
                let rows = try await (JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!), JobRepository(db: p.t.app.db).find(id: UUID(uuidString: newId)!))
                #expect(rows.0?.input1Path == rows.1?.input1Path, "the stored input is reused")

                let succeeded = try await p.client.send(.POST, "/api/v1/generations/\(newId)/retry", token: p.token)
                #expect(succeeded.status == .conflict)
            }
        }
    }
}

/// Supabase-shaped HS256 tokens for extra users, signed with the test secret (the PyJWT
/// vectors cover verification itself; these only make more users).
enum DevTokens {
    static func supabaseToken(user: UUID) async throws -> String {
        try await DevAuth.mintToken(secret: Secret(TokenFixtures.shared.hs256Secret), user: user, email: nil, ttl: 3600, now: Date())
    }
}
