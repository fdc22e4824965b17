import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Normalising uploads: upright, stripped, capped, same format")
    struct NormaliseUploadTests {
        static let limit = 40_000_000
        static let metadataGroups: Set<String> = ["EXIF", "XMP", "IPTC", "ICC_Profile", "MakerNotes", "Photoshop"]

        @Test("an orientation-6 JPEG comes out rotated with no orientation tag")
        func appliesOrientation() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("rotated.jpg", "orientation6")
            let before = try scratch.inspect(input, "before.jpg")
            try #require(before.exif["274"] == "6" && before.width == 120 && before.height == 80)

            let output = try await ImageProcessor().normaliseUpload(input, maxPixels: Self.limit)
            #expect((output.width, output.height) == (80, 120))

            // The red quadrant was stored top-left; shown upright it sits top-right.
            let after = try scratch.inspect(output.data, "after.jpg", points: ["70,10", "10,10", "70,110"])
            #expect(after.format == "JPEG")
            #expect((after.width, after.height) == (80, 120))
            #expect(after.exif["274"] == nil)
            let (topRight, topLeft, bottomRight) = (after.pixels[0], after.pixels[1], after.pixels[2])
            #expect(topRight[0] > 200 && topRight[1] < 60 && topRight[2] < 60, "top right is red: \(topRight)")
            #expect(topLeft.allSatisfy { $0 > 200 }, "top left is white: \(topLeft)")
            #expect(bottomRight.allSatisfy { $0 > 200 }, "bottom right is white: \(bottomRight)")
            let tags = try Tools.exiftool(scratch.write(output.data, "after.jpg"))
            #expect(!tags.keys.contains { $0.hasSuffix(":Orientation") })
        }

        @Test("GPS, EXIF, XMP and IPTC are all removed", arguments: [
            ("tagged.jpg", "jpeg", true), ("tagged.png", "png", false), ("tagged.webp", "webp", false),
        ])
        func stripsMetadata(name: String, format: String, withIPTC: Bool) async throws {
            let scratch = try Scratch()
            _ = try scratch.pillowFixture(name, "gradient", format, "400", "300")
            var tagging = ["-overwrite_original", "-GPSLatitude=33.8568", "-GPSLatitudeRef=S",
                           "-GPSLongitude=151.2153", "-GPSLongitudeRef=E", "-Make=PhoneCo", "-Model=Phone 9",
                           "-Artist=Home Owner", "-XMP-dc:Creator=Home Owner", "-XMP-dc:Description=Our kitchen"]
            if withIPTC { tagging += ["-IPTC:Keywords=kitchen", "-IPTC:City=Sydney"] }
            try Tools.run("exiftool", tagging + [scratch.path(name)])
            let input = try Data(contentsOf: URL(fileURLWithPath: scratch.path(name)))
            let tagged = try Tools.exiftool(scratch.path(name))
            try #require(tagged.keys.contains { $0.contains("GPSLatitude") }, "the fixture carries GPS")
            try #require(tagged.keys.contains { $0.hasPrefix("XMP:") }, "the fixture carries XMP")

            let output = try await ImageProcessor().normaliseUpload(input, maxPixels: Self.limit)
            #expect(output.format.rawValue == format)

            let tags = try Tools.exiftool(scratch.write(output.data, "clean.\(output.format.fileExtension)"))
            let groups = Set(tags.keys.compactMap { $0.split(separator: ":").first.map(String.init) })
            #expect(groups.isDisjoint(with: Self.metadataGroups), "left behind: \(groups.intersection(Self.metadataGroups))")
            #expect(!tags.keys.contains { $0.contains("GPS") })
            let view = try scratch.inspect(output.data, "clean-view.\(output.format.fileExtension)")
            #expect(view.exif.isEmpty)
            #expect(!view.xmp)
            #expect(!view.icc)
        }

        @Test("an embedded ICC profile is converted to sRGB and then dropped")
        func convertsAndDropsICC() async throws {
            let scratch = try Scratch()
            // Its profile swaps red and blue: the stored red pixels mean blue.
            let input = try scratch.pillowFixture("swapped.jpg", "swapped-icc")
            let before = try scratch.inspect(input, "before.jpg", points: ["32,24"])
            let expected = try #require(before.srgbPixels?.first)
            try #require(before.icc && before.pixels[0][0] > 200 && expected[2] > 200)

            let output = try await ImageProcessor().normaliseUpload(input, maxPixels: Self.limit)
            let after = try scratch.inspect(output.data, "after.jpg", points: ["32,24"])
            #expect(!after.icc)
            for channel in 0..<3 {
                #expect(abs(after.pixels[0][channel] - expected[channel]) <= 12, "\(after.pixels[0]) vs \(expected)")
            }
            let tags = try Tools.exiftool(scratch.write(output.data, "after.jpg"))
            #expect(!tags.keys.contains { $0.hasPrefix("ICC_Profile:") })
        }

        @Test("untagged colours pass through unchanged; CMYK becomes sRGB")
        func keepsUntaggedColours() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let red = try scratch.pillowFixture("red.png", "solid", "png", "64", "48", "255,0,0")
            let normalised = try await processor.normaliseUpload(red, maxPixels: Self.limit)
            #expect(try scratch.inspect(normalised.data, "red-out.png", points: ["10,10"]).pixels == [[255, 0, 0]])

            let rendered = try await processor.renderOutput(red, longEdge: 768, maxPixels: Self.limit)
            let pixel = try scratch.inspect(rendered.image.data, "red-out.webp", points: ["10,10"]).pixels[0]
            #expect(pixel[0] >= 245 && pixel[1] <= 10 && pixel[2] <= 10, "\(pixel)")

            let cmyk = try scratch.pillowFixture("cmyk.jpg", "solid", "jpeg", "64", "48", "255,0,0", "CMYK")
            try #require(try scratch.inspect(cmyk, "cmyk-in.jpg").mode == "CMYK")
            let converted = try await processor.normaliseUpload(cmyk, maxPixels: Self.limit)
            let view = try scratch.inspect(converted.data, "cmyk-out.jpg", points: ["10,10"])
            #expect(view.mode == "RGB")
            #expect(view.pixels[0][0] > 180 && view.pixels[0][1] < 90 && view.pixels[0][2] < 90, "\(view.pixels[0])")
        }

        @Test("the long edge is capped at 2048 px, or the size asked for, never enlarged")
        func capsLongEdge() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let large = try scratch.pillowFixture("large.jpg", "gradient", "jpeg", "3000", "2000")
            let capped = try await processor.normaliseUpload(large, maxPixels: Self.limit)
            #expect((capped.width, capped.height) == (2048, 1365))
            let view = try scratch.inspect(capped.data, "capped.jpg")
            #expect((view.format, view.width, view.height) == ("JPEG", 2048, 1365))

            let smaller = try await processor.normaliseUpload(large, maxPixels: Self.limit, maxLongEdge: 500)
            #expect((smaller.width, smaller.height) == (500, 333))

            let small = try scratch.pillowFixture("small.jpg", "gradient", "jpeg", "640", "480")
            let unchanged = try await processor.normaliseUpload(small, maxPixels: Self.limit)
            #expect((unchanged.width, unchanged.height) == (640, 480))
        }

        @Test("PNG stays PNG (alpha kept), WebP stays WebP, HEIC and AVIF become JPEG")
        func keepsOrConvertsFormat() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let png = try await processor.normaliseUpload(
                scratch.pillowFixture("a.png", "gradient", "png", "300", "200", "alpha"), maxPixels: Self.limit)
            #expect(png.format == .png && Magic.isPNG(png.data))
            #expect(try scratch.inspect(png.data, "a-out.png").mode == "RGBA")

            let webp = try await processor.normaliseUpload(
                scratch.pillowFixture("a.webp", "gradient", "webp", "300", "200"), maxPixels: Self.limit)
            #expect(webp.format == .webp && Magic.isWebP(webp.data))

            for format in [ImageFormat.heic, .avif] {
                let input = try Swatch.encoded(as: format, width: 320, height: 240)
                let output = try await processor.normaliseUpload(input, maxPixels: Self.limit)
                #expect(output.format == .jpeg && Magic.isJPEG(output.data), "\(format)")
                let view = try scratch.inspect(output.data, "from-\(format.rawValue).jpg")
                #expect((view.format, view.width, view.height) == ("JPEG", 320, 240))
            }
        }

        @Test("truncated and corrupt images are refused with a short, plain message")
        func refusesDamagedImages() async throws {
            let scratch = try Scratch()
            let jpeg = try scratch.pillowFixture("a.jpg", "noise", "jpeg", "600", "400")
            let png = try scratch.pillowFixture("a.png", "noise", "png", "600", "400")
            let webp = try scratch.pillowFixture("a.webp", "noise", "webp", "600", "400")
            var flipped = png
            for offset in stride(from: png.count / 2, to: png.count / 2 + 64, by: 1) { flipped[offset] ^= 0x5A }
            let samples: [(String, Data)] = [
                ("truncated JPEG", jpeg.prefix(jpeg.count / 2)),
                ("truncated PNG", png.prefix(png.count / 2)),
                ("truncated WebP", webp.prefix(webp.count / 2)),
                ("PNG with damaged pixel data", flipped),
                ("PNG header without pixel data", CraftedHeader.png(width: 100, height: 100)),
                ("JPEG header without scan data", CraftedHeader.jpeg(width: 100, height: 100)),
            ]
            let processor = ImageProcessor()
            for (label, data) in samples {
                let upload = await imagingError { () async throws(ImagingError) in
                    _ = try await processor.normaliseUpload(data, maxPixels: Self.limit)
                }
                let render = await imagingError { () async throws(ImagingError) in
                    _ = try await processor.renderOutput(data, longEdge: 768, maxPixels: Self.limit)
                }
                for error in [upload, render] {
                    #expect(error?.isDamagedImage == true, "\(label): \(String(describing: error))")
                    let message = error?.message ?? ""
                    #expect(message.count < 80 && !message.contains("\n"), "\(label): \(message)")
                    #expect(!message.lowercased().contains("vips") && !message.contains("tile"), "\(label): \(message)")
                }
            }
        }
    }
}

extension ImagingTests {
    @Suite("WebP metadata chunks")
    struct WebPMetadataTests {
        @Test("EXIF, XMP and ICC chunks are removed and the picture survives")
        func removesChunks() throws {
            let scratch = try Scratch()
            _ = try scratch.pillowFixture("tagged.webp", "gradient", "webp", "64", "48", "alpha")
            try Tools.run("exiftool", ["-overwrite_original", "-Make=PhoneCo", "-XMP-dc:Creator=Someone",
                                       scratch.path("tagged.webp")])
            let tagged = try Data(contentsOf: URL(fileURLWithPath: scratch.path("tagged.webp")))
            try #require(try scratch.inspect(tagged, "tagged-view.webp").xmp)

            let clean = try #require(WebPMetadata.stripped(tagged))
            let view = try scratch.inspect(clean, "clean.webp")
            #expect((view.width, view.height, view.mode) == (64, 48, "RGBA"))
            #expect(view.exif.isEmpty && !view.xmp && !view.icc)
            #expect(clean.count < tagged.count)
        }

        @Test("anything that is not a whole WebP file is left alone")
        func refusesMalformed() {
            #expect(WebPMetadata.stripped(Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8)) == nil)
            var truncated = CraftedHeader.webpExtended(width: 10, height: 10)
            truncated.append(contentsOf: Array("EXIF".utf8) + [200, 0, 0, 0, 1, 2])
            #expect(WebPMetadata.stripped(truncated) == nil)
        }
    }
}
