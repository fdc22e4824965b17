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
