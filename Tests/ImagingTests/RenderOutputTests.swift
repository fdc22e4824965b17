import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Rendering model outputs: tier-sized WebP and a 384 px thumbnail")
    struct RenderOutputTests {
        static let limit = 40_000_000

        @Test("a large output is resized exactly to each tier", arguments: [
            (768, (768, 576)), (1024, (1024, 768)), (1536, (1536, 1152)),
        ])
        func resizesToTier(longEdge: Int, expected: (Int, Int)) async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("model.png", "gradient", "png", "3072", "2304")
            let output = try await ImageProcessor().renderOutput(input, longEdge: longEdge, maxPixels: Self.limit)

            #expect((output.image.width, output.image.height) == expected)
            #expect((output.thumbnail.width, output.thumbnail.height) == (384, 288))
            try expectWebP(output.image, scratch, "image.webp")
            try expectWebP(output.thumbnail, scratch, "thumb.webp")
        }

        @Test("portrait and non-dividing sizes round the short edge")
        func roundsShortEdge() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("portrait.jpg", "gradient", "jpeg", "2000", "3000")
            let output = try await ImageProcessor().renderOutput(input, longEdge: 1024, maxPixels: Self.limit)
            #expect((output.image.width, output.image.height) == (683, 1024))
            #expect((output.thumbnail.width, output.thumbnail.height) == (256, 384))
            try expectWebP(output.image, scratch, "image.webp")
        }

        @Test("a small output keeps its size; the thumbnail is never enlarged")
        func neverUpscales() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let small = try scratch.pillowFixture("small.webp", "gradient", "webp", "500", "400")
            let output = try await processor.renderOutput(small, longEdge: 1536, maxPixels: Self.limit)
            #expect((output.image.width, output.image.height) == (500, 400))
            #expect((output.thumbnail.width, output.thumbnail.height) == (384, 307))
            try expectWebP(output.image, scratch, "image.webp")
            try expectWebP(output.thumbnail, scratch, "thumb.webp")

            let tiny = try scratch.pillowFixture("tiny.png", "gradient", "png", "200", "150")
            let tinyOutput = try await processor.renderOutput(tiny, longEdge: 768, maxPixels: Self.limit)
            #expect((tinyOutput.image.width, tinyOutput.image.height) == (200, 150))
            #expect((tinyOutput.thumbnail.width, tinyOutput.thumbnail.height) == (200, 150))
        }

        @Test("a tier below the thumbnail size still gets a full 384 px thumbnail")
        func thumbnailFromSourceWhenTierIsSmaller() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("model.png", "gradient", "png", "1200", "900")
            let output = try await ImageProcessor().renderOutput(input, longEdge: 200, maxPixels: Self.limit)
            #expect((output.image.width, output.image.height) == (200, 150))
            #expect((output.thumbnail.width, output.thumbnail.height) == (384, 288))
        }

        @Test("only PNG, JPEG and WebP are accepted as model outputs")
        func refusesHeifOutputs() async throws {
            let heic = try Swatch.encoded(as: .heic, width: 64, height: 64)
            let error = await imagingError { () async throws(ImagingError) in
                _ = try await ImageProcessor().renderOutput(heic, longEdge: 768, maxPixels: Self.limit)
            }
            #expect(error?.isUnsupportedImage == true)
        }

        @Test("a lossy WebP that fits the tier is stored as it came, without its metadata")
        func storesFittingWebPAsItCame() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("model.webp", "webp-as-model", "1024", "768")
            #expect(Set(WebPChunks.names(input)).isSuperset(of: ["EXIF", "XMP "]), "the fixture carries metadata")
            let output = try await ImageProcessor().renderOutput(input, longEdge: 1024, maxPixels: Self.limit)

            #expect((output.image.width, output.image.height) == (1024, 768))
            // The bitstream is the model's, byte for byte: nothing was encoded again.
            #expect(WebPChunks.body("VP8 ", of: output.image.data) == WebPChunks.body("VP8 ", of: input))
            #expect(!WebPChunks.names(output.image.data).contains { ["EXIF", "XMP ", "ICCP"].contains($0) })
            let view = try scratch.inspect(output.image.data, "image.webp")
            #expect(view.exif.isEmpty && !view.xmp && !view.icc)
            try expectWebP(output.image, scratch, "image.webp")
            #expect((output.thumbnail.width, output.thumbnail.height) == (384, 288))
            try expectWebP(output.thumbnail, scratch, "thumb.webp")
            #expect(!WebPChunks.names(output.thumbnail.data).contains("EXIF"))
        }

        @Test("a WebP too large, lossless, with a profile, rotated or animated is converted like any output",
              arguments: [
                  ("too large", ["1536", "1024"], (1024, 683)), ("lossless", ["1024", "768", "lossless"], (1024, 768)),
                  ("icc", ["1024", "768", "icc"], (1024, 768)), ("rotated", ["1024", "768", "rotated"], (768, 1024)),
                  ("animated", ["1024", "768", "animated"], (1024, 768)),
              ])
        func convertsOtherWebP(name: String, options: [String], expected: (Int, Int)) async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("\(name).webp", "webp-as-model", options)
            let output = try await ImageProcessor().renderOutput(input, longEdge: 1024, maxPixels: Self.limit)

            #expect((output.image.width, output.image.height) == expected, "\(name)")
            let stored = WebPChunks.names(output.image.data)
            #expect(stored.contains("VP8 ") && !stored.contains { ["EXIF", "XMP ", "ICCP", "ANIM", "ANMF", "VP8L"].contains($0) },
                    "\(name): \(stored)")
            #expect(WebPChunks.body("VP8 ", of: output.image.data) != WebPChunks.body("VP8 ", of: input), "\(name): re-encoded")
            try expectWebP(output.image, scratch, "image.webp")
        }

        @Test("a WebP that fits the tier but does not decode is refused: cut short, or whole chunks round a cut bitstream")
        func refusesUndecodableWebP() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("model.webp", "webp-as-model", "1024", "768")
            let truncated = Data(input.prefix(input.count * 2 / 3))
            let cutBitstream = WebPChunks.rebuilt(input) { name, body in name == "VP8 " ? body.prefix(body.count / 2) : body }
            #expect(WebPChunks.names(cutBitstream) == WebPChunks.names(input))
            for damaged in [truncated, cutBitstream] {
                let error = await imagingError { () async throws(ImagingError) in
                    _ = try await ImageProcessor().renderOutput(damaged, longEdge: 1024, maxPixels: Self.limit)
                }
                #expect(error?.isDamagedImage == true, "a damaged WebP gave \(String(describing: error))")
            }
        }

        /// Checks the magic bytes, and that Pillow reads a WebP of the size we reported.
        private func expectWebP(_ image: EncodedImage, _ scratch: Scratch, _ name: String,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(image.format == .webp, sourceLocation: sourceLocation)
            #expect(Magic.isWebP(image.data), sourceLocation: sourceLocation)
            let view = try scratch.inspect(image.data, name)
            #expect(view.format == "WEBP", sourceLocation: sourceLocation)
            #expect((view.width, view.height) == (image.width, image.height), sourceLocation: sourceLocation)
        }
    }
}

/// The chunks of a WebP file, read independently of the code under test.
enum WebPChunks {
    static func chunks(_ data: Data) -> [(name: String, body: Data)] {
        let bytes = [UInt8](data)
        var offset = 12, found: [(String, Data)] = []
        while offset + 8 <= bytes.count {
            let name = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            found.append((name, Data(bytes[(offset + 8)..<min(bytes.count, offset + 8 + size)])))
            offset += 8 + size + (size & 1)
        }
        return found
    }

    static func names(_ data: Data) -> [String] { chunks(data).map(\.name) }

    /// The file with each chunk's body replaced by `transform`'s, sizes rewritten.
    static func rebuilt(_ data: Data, _ transform: (String, Data) -> Data) -> Data {
        var body = Data("WEBP".utf8)
        for (name, chunk) in chunks(data) {
            let new = transform(name, chunk)
            body += Data(name.utf8) + littleEndian(new.count) + new
            if new.count % 2 == 1 { body.append(0) }
        }
        return Data("RIFF".utf8) + littleEndian(body.count) + body
    }

    private static func littleEndian(_ value: Int) -> Data {
        Data([UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 24) & 0xFF)])
    }
    static func body(_ name: String, of data: Data) -> Data? { chunks(data).first { $0.name == name }?.body }
}
