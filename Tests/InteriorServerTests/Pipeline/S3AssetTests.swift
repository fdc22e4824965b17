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
        @Test("with S3 storage (moto behind a Signature V4 check): uploads and renders land in their buckets, and variant URLs download")
        func assetsOnS3() async throws {
            let moto = try await MotoServer.start()
            defer { moto.stop() }
            let region = "ap-southeast-2"
            let store = S3BlobStore(configuration: S3Configuration(endpoint: moto.endpoint, region: region,
                                                                   accessKeyId: MotoServer.accessKeyId,
                                                                   secretAccessKey: MotoServer.secretAccessKey),
                                    httpClient: HTTPClient.shared)
            try await store.ensureBuckets(["public", "private"])
            // What an operator does for the public bucket: anyone may read its objects.
            _ = try TestPython.run(script: """
                import boto3, json, sys
                s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2],
                                  aws_access_key_id="operator", aws_secret_access_key="operator")
                s3.put_bucket_policy(Bucket="public", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"}]}))
                """, [moto.motoEndpoint.absoluteString, region])

            // Public objects are read as a CDN would serve them: unsigned, straight from moto.
            let environment = [
                "STORAGE_URL": "s3://?endpoint=\(moto.endpoint.absoluteString)&region=\(region)",
                "S3_ACCESS_KEY_ID": MotoServer.accessKeyId,
                "S3_SECRET_ACCESS_KEY": MotoServer.secretAccessKey,
                "PUBLIC_ASSET_BASE_URL": moto.motoEndpoint.absoluteString,
            ]
            try await withPipeline(environment: environment) { p in
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
                let input = try await store.get(bucket: "private", path: inputPath)
                #expect(try ImageProcessor.probe(input.data, maxPixels: 40_000_000).format == .jpeg)
                #expect(try await store.exists(bucket: "public", path: inputPath) == false)

                let variants = try #require(done["variants"] as? [[String: Any]])
                #expect(variants.count == 2)
                for (index, variant) in variants.enumerated() {
                    for (key, path, edge) in [("url", "renders/\(renderId)/\(index).webp", 1024),
                                              ("thumbUrl", "renders/\(renderId)/\(index)_thumb.webp", 384)] {
                        let url = try #require(variant[key] as? String)
                        #expect(url == "\(moto.motoEndpoint.absoluteString)/public/\(path)")
                        let stored = try await store.get(bucket: "public", path: path)
                        #expect(stored.contentType == "image/webp")
                        let info = try ImageProcessor.probe(stored.data, maxPixels: 40_000_000)
                        #expect(info.format == .webp && max(info.width, info.height) == edge)
                        let downloaded = try await TestClient(baseURL: moto.motoEndpoint).get(String(url.dropFirst(moto.motoEndpoint.absoluteString.count)))
                        #expect(downloaded.status == .ok)
                        #expect(downloaded.body == stored.data)
                    }
                }
                // The gateway's start-up probe is its only unsigned request.
                let refusals = moto.gatewayLog().split(separator: "\n").filter { $0.contains("refused") && !$0.contains("refused GET /:") }
                #expect(refusals.isEmpty, "every S3 request the service made was correctly signed")
            }
        }
    }
}
