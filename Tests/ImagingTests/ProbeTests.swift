import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Probe: format from magic bytes, size from the header")
    struct ProbeTests {
        static let limit = 40_000_000

        @Test("reads format and size of every header kind", arguments: [
            ("photo.jpg", ["jpeg", "300", "200"], ImageFormat.jpeg),
            ("plain.png", ["png", "257", "129"], .png),
            ("alpha.png", ["png", "64", "64", "alpha"], .png),
            ("lossy.webp", ["webp", "300", "201"], .webp),
            ("lossless.webp", ["webp", "123", "45", "lossless"], .webp),
            ("extended.webp", ["webp", "99", "77", "alpha"], .webp),
        ])
        func readsHeaders(name: String, arguments: [String], format: ImageFormat) throws {
            let scratch = try Scratch()
            let data = try scratch.pillowFixture(name, "gradient", arguments)
            let info = try ImageProcessor.probe(data, maxPixels: Self.limit)
            #expect(info == ImageInfo(format: format, width: Int(arguments[1])!, height: Int(arguments[2])!))
        }

        @Test("a PNG a client called .jpg is still a PNG: only the bytes count")
        func sniffsInsteadOfTrustingNames() async throws {
            let scratch = try Scratch()
            let png = try scratch.pillowFixture("upload.jpg", "gradient", "png", "320", "240")
            #expect(try ImageProcessor.probe(png, maxPixels: Self.limit).format == .png)
            let normalised = try await ImageProcessor().normaliseUpload(png, maxPixels: Self.limit)
            #expect(normalised.format == .png)
            #expect(Magic.isPNG(normalised.data))
        }

        @Test("reads HEIC and AVIF containers through libvips")
        func readsHeifContainers() throws {
            for format in [ImageFormat.heic, .avif] {
                let data = try Swatch.encoded(as: format, width: 96, height: 64)
                #expect(try ImageProcessor.probe(data, maxPixels: Self.limit) == ImageInfo(format: format, width: 96, height: 64))
            }
        }

        @Test("a 30000×30000 PNG header is refused in milliseconds")
        func refusesPngBombFast() async throws {
            let bomb = CraftedHeader.png(width: 30_000, height: 30_000)
            let processor = ImageProcessor()
            let clock = ContinuousClock()
            let expected = ImagingError.tooManyPixels(width: 30_000, height: 30_000, limit: Self.limit)

            let probe = clock.measure {
                #expect(throws: expected) { try ImageProcessor.probe(bomb, maxPixels: Self.limit) }
            }
            let start = clock.now
            await #expect(throws: expected) { try await processor.normaliseUpload(bomb, maxPixels: Self.limit) }
            await #expect(throws: expected) {
                try await processor.renderOutput(bomb, longEdge: 1024, maxPixels: Self.limit)
            }
            let pipelines = clock.now - start
            #expect(probe < .milliseconds(100))
            #expect(pipelines < .milliseconds(100))
            #expect(processor.limiter.peakInFlight == 0, "the bomb never reached a decoder")
        }

        @Test("JPEG and WebP headers over the limit are refused too")
        func refusesOtherBombs() throws {
            #expect(throws: ImagingError.tooManyPixels(width: 65_000, height: 65_000, limit: Self.limit)) {
                try ImageProcessor.probe(CraftedHeader.jpeg(width: 65_000, height: 65_000), maxPixels: Self.limit)
            }
            #expect(throws: ImagingError.tooManyPixels(width: 16_384, height: 16_384, limit: Self.limit)) {
                try ImageProcessor.probe(CraftedHeader.webpExtended(width: 16_384, height: 16_384), maxPixels: Self.limit)
            }
            #expect(try ImageProcessor.probe(CraftedHeader.png(width: 8_000, height: 5_000), maxPixels: Self.limit)
                == ImageInfo(format: .png, width: 8_000, height: 5_000))
        }

        @Test("anything that is not JPEG, PNG, WebP or HEIF is refused by its bytes")
        func refusesOtherFiles() throws {
            let scratch = try Scratch()
            var zip = Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00])
            zip.append(Data(repeating: 0x41, count: 200))
            var generator = SystemRandomNumberGenerator()
            let garbage = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let samples: [(String, Data)] = [
                ("zip named .png", zip),
                ("random bytes", garbage),
                ("empty", Data()),
                ("text", Data("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8)),
                ("gif", try scratch.pillowFixture("a.gif", "gradient", "gif", "40", "30")),
                ("tiff", try scratch.pillowFixture("a.tiff", "gradient", "tiff", "40", "30")),
                ("bmp", try scratch.pillowFixture("a.bmp", "gradient", "bmp", "40", "30")),
            ]
            for (label, data) in samples {
                let error = imagingError { () throws(ImagingError) in _ = try ImageProcessor.probe(data, maxPixels: Self.limit) }
                #expect(error?.isUnsupportedImage == true, "\(label): \(String(describing: error))")
                #expect(ImageProcessor.sniff(data) == nil, "\(label)")
            }
        }

        @Test("a signature with no readable header behind it is a damaged image, not another kind of file")
        func refusesBrokenHeaders() throws {
            let samples: [(String, Data, ImageFormat)] = [
                ("png signature only", CraftedHeader.png(width: 10, height: 10).prefix(8), .png),
                ("jpeg without a frame header", Data([0xFF, 0xD8, 0xFF, 0xD9]), .jpeg),
                ("webp without a VP8 chunk", Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPJUNK".utf8) + Data(count: 32), .webp),
            ]
            for (label, data, format) in samples {
                #expect(ImageProcessor.sniff(data) == format, "\(label)")
                let error = imagingError { () throws(ImagingError) in _ = try ImageProcessor.probe(data, maxPixels: Self.limit) }
                #expect(error?.isDamagedImage == true, "\(label): \(String(describing: error))")
            }
        }
    }
}
