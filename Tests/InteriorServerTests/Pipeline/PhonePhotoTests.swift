import Foundation
import Imaging
import InteriorCore
@testable import InteriorServer
import Testing
import TestSupport

extension PipelineSuite {
    /// Issue 10 item 5: HEIC/HEIF and AVIF photos, as iPhones and Android phones save them,
    /// through the real HTTP API to the private bucket and the emulator.
    @Suite("Pipeline: phone photos")
    struct PhonePhotoTests {
        static let mimeTypes: [PhonePhotos.Format: String] = [.heic: "image/heic", .heif: "image/heif", .avif: "image/avif"]

        /// A submit as a phone's browser sends it: the photo's own name and type.
        static func phoneSubmit(_ p: Pipeline, _ photo: Data, filename: String, contentType: String,
                                fields: [String: String] = ["mode": "redesign"]) async throws -> TestResponse {
            var body = MultipartBody()
            for (name, value) in fields.sorted(by: { $0.key < $1.key }) { body.field(name, value) }
            body.file("input1", filename: filename, contentType: contentType, photo)
            return try await p.client.send(.POST, "/api/v1/generations", token: p.token, body: body.finished(),
                                           contentType: body.contentType)
        }

        /// exiftool's tags of `data` (family 0 groups), an outside reader of our output.
        static func exiftool(_ data: Data) throws -> [String: Any] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("stored-\(UUID().uuidString).jpg")
            try data.write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let json = try ProcessRunner.checked("exiftool", ["-json", "-G0", "-a", "-u", file.path])
            let list = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
            return try #require(list.first)
        }

        @Test("a phone photo with GPS submits (202); the stored input is an upright JPEG with no metadata; the job succeeds",
              arguments: PhonePhotos.Format.allCases)
        func phonePhotoSubmits(_ format: PhonePhotos.Format) async throws {
            let photo = try PhonePhotos.make(format, .room, width: 1200, height: 900, orientation: 6, gps: true)
            try await withPipeline { p in
                let response = try await Self.phoneSubmit(
                    p, photo, filename: "IMG_0042.\(format.rawValue.uppercased())", contentType: Self.mimeTypes[format]!,
                    fields: ["mode": "redesign", "style": "japandi", "quality": "low", "variants": "1"])
                #expect(response.status == .accepted, "\(response.errorMessage ?? "")")
                let id = try #require(response.data["id"] as? String)

                let row = try #require(try await JobRepository(db: p.t.app.db).find(id: UUID(uuidString: id)!))
                let path = try #require(row.input1Path)
                #expect(path.hasPrefix("\(p.owner.apiString)/inputs/") && path.hasSuffix(".jpg"))
                #expect(StoragePaths.isUpload(path, of: p.owner))
                let stored = try await p.t.app.interior.store.get(bucket: p.t.settings.privateBucket, path: path)
                #expect(stored.contentType == "image/jpeg")
                #expect(stored.data.starts(with: [0xFF, 0xD8, 0xFF]))
                // Upright: stored 1200×900 with orientation 6, so 900 wide.
                #expect(try ImageProcessor.probe(stored.data, maxPixels: 40_000_000) == ImageInfo(format: .jpeg, width: 900, height: 1200))

                let tags = try Self.exiftool(stored.data)
                #expect(!tags.keys.contains { $0.contains("GPS") }, "GPS left in the stored input")
                #expect(!tags.keys.contains { $0.hasPrefix("EXIF:") || $0.hasPrefix("XMP:") || $0.hasPrefix("ICC_Profile:") })
                let view = try PhonePhotos.view(stored.data)
                #expect(!view.gps && view.exif.isEmpty)
                #expect((view.width, view.height) == (900, 1200))

                let done = try await p.waitUntilFinished(id)
                #expect(done["status"] as? String == "succeeded")
                #expect((done["variants"] as? [[String: Any]])?.count == 1)
                #expect(try await p.ledger(job: id) == ["debit"])
            }
        }

        @Test("a file that claims to be HEIC but is not one is 415, naming the accepted formats; nothing is created")
        func fakeHeicIsRefused() async throws {
            var mp4 = Data([0, 0, 0, 24]) + Data("ftypisom".utf8) + Data([0, 0, 2, 0]) + Data("isomiso2mp41".utf8)
            mp4.append(Data(repeating: 0, count: 4000))
            try await withPipeline { p in
                for (label, bytes) in [("text", Data("Notes from the open home: 3 bed, north-facing\n".utf8)), ("an MP4 video", mp4)] {
                    let response = try await Self.phoneSubmit(p, bytes, filename: "IMG_0001.HEIC", contentType: "image/heic")
                    #expect(response.status == .unsupportedMediaType, "\(label)")
                    #expect(response.errorCode == "UNSUPPORTED_MEDIA_TYPE")
                    #expect(response.errorDetails?["field"] as? String == "input1")
                    #expect(response.errorMessage == "input1 must be a JPEG, PNG, WebP, HEIC, HEIF or AVIF image.")
                }
                #expect(try await p.count("generation_jobs") == 0)
                #expect(try await p.count("usage_ledger") == 0)
                #expect(await p.emulator.predictionIDs().isEmpty)
            }
        }

        /// What the API answers for one upload: status, code, field and message.
        struct Answer: Equatable, CustomStringConvertible {
            let status: UInt
            let code: String?
            let field: String?
            let message: String?
            init(_ response: TestResponse) {
                status = response.status.code
                code = response.errorCode
                field = response.errorDetails?["field"] as? String
                message = response.errorMessage
            }
            var description: String { "\(status) \(code ?? "-") \(field ?? "-"): \(message ?? "-")" }
        }

        @Test("damaged, too small, too many pixels and too many bytes: HEIC and AVIF get exactly the answers JPEG gets")
        func limitsAsForJPEG() async throws {
            let room = try await TestImages.photo(width: 1200, height: 900)
            let jpeg = try TestImages.convert(room, to: "JPEG")
            let heic = try PhonePhotos.make(.heic, width: 1200, height: 900)
            let avif = try PhonePhotos.make(.avif, width: 1200, height: 900)
            // Under the pixel limit below, so only their damage counts.
            let midJPEG = try TestImages.convert(try await TestImages.photo(width: 800, height: 600), to: "JPEG")
            let midHEIC = try PhonePhotos.make(.heic, width: 800, height: 600)
            let midAVIF = try PhonePhotos.make(.avif, width: 800, height: 600)
            let smallJPEG = try TestImages.convert(try await TestImages.photo(width: 300, height: 200), to: "JPEG")
            let smallHEIC = try PhonePhotos.make(.heic, width: 300, height: 200)
            let smallAVIF = try PhonePhotos.make(.avif, width: 300, height: 200, orientation: 6)

            // The pixel limit set to 1 MP, so a 1200×900 photo (1.08 MP) is over it, and the byte
            // limit to 2 MiB, so going over it is quick.
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("phone-limits-\(UUID().uuidString).json")
            try Data(#"{"limits": {"maxMegapixels": 1, "maxUploadBytes": 2097152}}"#.utf8).write(to: config)
            defer { try? FileManager.default.removeItem(at: config) }
            try await withPipeline(environment: ["INTERIOR_CONFIG": config.path]) { p in
                func answers(_ files: [(Data, String)]) async throws -> [Answer] {
                    var result: [Answer] = []
                    for (data, type) in files {
                        result.append(Answer(try await Self.phoneSubmit(p, data, filename: "photo", contentType: type)))
                    }
                    return result
                }
                let cases: [(String, [(Data, String)], UInt)] = [
                    ("truncated", [(midJPEG.prefix(midJPEG.count / 3), "image/jpeg"), (midHEIC.prefix(midHEIC.count / 3), "image/heic"),
                                   (midAVIF.prefix(midAVIF.count / 3), "image/avif")], 400),
                    ("short edge under 256 px", [(smallJPEG, "image/jpeg"), (smallHEIC, "image/heic"), (smallAVIF, "image/avif")], 400),
                    ("over 1 MP", [(jpeg, "image/jpeg"), (heic, "image/heic"), (avif, "image/avif")], 400),
                ]
                for (label, files, status) in cases {
                    let got = try await answers(files)
                    #expect(got[0].status == status && got[0].code == "VALIDATION_ERROR" && got[0].field == "input1", "\(label): \(got[0])")
                    #expect(got.allSatisfy { $0 == got[0] }, "\(label): \(got)")
                }

                let limit = p.t.settings.runtime.limits.maxUploadBytes
                #expect(limit == 2 << 20 && heic.count < limit && jpeg.count < limit)
                let padded = try await answers([(jpeg + Data(count: limit + 1 - jpeg.count), "image/jpeg"),
                                                (heic + Data(count: limit + 1 - heic.count), "image/heic")])
                #expect(padded[0].status == 413 && padded[0].code == "PAYLOAD_TOO_LARGE", "\(padded[0])")
                #expect(padded[1] == padded[0], "\(padded)")

                #expect(try await p.count("generation_jobs") == 0)
                #expect(await p.emulator.predictionIDs().isEmpty)
            }
        }
    }
}

/// What this machine decodes decides what is offered and taken: a HEIC where libvips has no
/// HEVC decoder is refused cleanly (415), and `GET /config` does not offer it.
@Suite("Phone photo formats follow the installed codecs")
struct PhonePhotoFormatTests {
    @Test("the config's accepted types may list exactly the formats Imaging reads")
    func supportedTypesAreImagingFormats() {
        #expect(Limits.supportedMimeTypes == ImageFormat.allCases.map(\.mimeType))
    }

    @Test("GET /config offers HEIC, HEIF and AVIF where libvips decodes them")
    func configOffersPhoneFormats() async throws {
        try await withTestApp { t in
            let config = try await t.client.get("/api/v1/config")
            let limits = try #require(config.data["limits"] as? [String: Any])
            let capabilities = ImageProcessor.capabilities
            var expected = ["image/jpeg", "image/png", "image/webp"]
            if capabilities.heic { expected.append("image/heic") }
            if capabilities.heic || capabilities.avif { expected.append("image/heif") }
            if capabilities.avif { expected.append("image/avif") }
            #expect(limits["acceptedMimeTypes"] as? [String] == expected)
            #expect(capabilities.heic && capabilities.avif, "Debian's libvips here has both codecs")
        }
    }

    @Test("without an HEVC decoder a HEIC upload is 415 and HEIC is not offered; AVIF still is")
    func missingCodecIsRefused() async throws {
        let heic = try PhonePhotos.make(.heic, width: 640, height: 480)
        let avif = try PhonePhotos.make(.avif, width: 640, height: 480)
        try await withTestApp { t in
            let noHEVC = ImagingCapabilities(libvipsVersion: ImageProcessor.capabilities.libvipsVersion, heic: false, avif: true, text: true)
            let resolver = InputResolver(images: ImageProcessor(maxConcurrentJobs: 1, capabilities: noHEVC),
                                         store: t.app.interior.store, settings: t.settings, storageHosts: [])
            let limits = t.settings.runtime.limits
            #expect(resolver.acceptedFormats(limits) == [.jpeg, .png, .webp, .heif, .avif])
            let owner = UUID()
            await #expect(throws: APIError(.unsupportedMediaType, "input1 must be a JPEG, PNG, WebP, HEIF or AVIF image.",
                                           details: ["field": "input1"])) {
                try await resolver.resolve(SubmitForm(files: ["input1": heic]), owner: owner, limits: limits)
            }
            let inputs = try await resolver.resolve(SubmitForm(files: ["input1": avif]), owner: owner, limits: limits)
            guard case let .upload(image) = try #require(inputs.first).source else {
                Issue.record("an AVIF upload is resolved to an upload")
                return
            }
            #expect(image.format == .jpeg)
        }
    }
}
