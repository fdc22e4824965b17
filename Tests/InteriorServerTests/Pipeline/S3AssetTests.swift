import AsyncHTTPClient
import Foundation
import Imaging
@testable import InteriorServer
import Storage
import Testing
import TestSupport

extension PipelineSuite {
    @Suite("Pipeline: S3 storage")
    struct S3AssetTests {
        @Test("with S3 storage (SeaweedFS, which verifies every signature): uploads and renders land in their buckets, and variant URLs download anonymously")
        func assetsOnS3() async throws {
            let server = try await SeaweedFS.shared()
            let store = server.store()
            let publicBucket = SeaweedFS.uniqueBucket("pub")
            let privateBucket = SeaweedFS.uniqueBucket("prv")
            // Public URLs are the derived ones, path-style on the endpoint, read without credentials.
            let environment = server.interiorEnvironment(publicBucket: publicBucket, privateBucket: privateBucket)
            try await withPipeline(environment: environment) { p in
                // What an operator runs once: the buckets, and anonymous reads of the public one.
                let setup = try await Operations.initStorage(p.t.app)
                #expect(setup.report.passed, "\(setup.report.lines)")
                let photo = try await TestImages.photo(width: 1600, height: 1200, format: .jpeg)
                let response = try await p.submit(["mode": "redesign", "style": "coastal_au", "quality": "medium", "variants": "2"],
                                                  files: ["input1": photo])
                #expect(response.status == .accepted)
                let id = try #require(response.data["id"] as? String)
                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                let renderId = try #require(done["renderId"] as? String)

                // The normalised upload is in the private bucket (the emulator fetched it
                // through a presigned URL, or the job would have failed).
                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                let inputPath = try #require(row.input1Path)
                let input = try await store.get(bucket: privateBucket, path: inputPath)
                #expect(try ImageProcessor.probe(input.data, maxPixels: 40_000_000).format == .jpeg)
                #expect(try await store.exists(bucket: publicBucket, path: inputPath) == false)
                #expect(try await anonymousGet(try store.publicURL(bucket: privateBucket, path: inputPath)).status == 403)

                let variants = try #require(done["variants"] as? [[String: Any]])
                #expect(variants.count == 2)
                for (index, variant) in variants.enumerated() {
                    for (key, path, edge) in [("url", "renders/\(renderId)/\(index).webp", 1024),
                                              ("thumbUrl", "renders/\(renderId)/\(index)_thumb.webp", 384)] {
                        let url = try #require(variant[key] as? String)
                        #expect(url == "\(server.endpoint.absoluteString)/\(publicBucket)/\(path)")
                        let stored = try await store.get(bucket: publicBucket, path: path)
                        #expect(stored.contentType == "image/webp")
                        let info = try ImageProcessor.probe(stored.data, maxPixels: 40_000_000)
                        #expect(info.format == .webp && max(info.width, info.height) == edge)
                        let downloaded = try await anonymousGet(try #require(URL(string: url)))
                        #expect(downloaded.status == 200)
                        #expect(downloaded.body == stored.data)
                    }
                }
            }
        }

        func anonymousGet(_ url: URL) async throws -> (status: Int, body: Data) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Data(body.readableBytesView))
        }
    }
}
