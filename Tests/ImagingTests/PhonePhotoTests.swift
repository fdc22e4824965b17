import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Phone photos: HEIC, HEIF and AVIF sniffed, upright, stripped, JPEG")
    struct PhonePhotoTests {
        static let limit = 40_000_000
        static let formats: [(PhonePhotos.Format, ImageFormat)] = [(.heic, .heic), (.heif, .heif), (.avif, .avif)]

        /// An `ftyp` box with `major` and `compatible` brands, then filler.
        static func ftyp(_ major: String, _ compatible: [String], size: UInt32? = nil) -> Data {
            var data = Data()
            data.append(bigEndian: size ?? UInt32(16 + 4 * compatible.count))
            data.append(contentsOf: Array("ftyp".utf8) + Array(major.utf8) + [0, 0, 0, 0])
            for brand in compatible { data.append(contentsOf: Array(brand.utf8)) }
            data.append(contentsOf: [0, 0, 0, 8] + Array("free".utf8))
            return data
        }

        @Test("the ftyp brands name the format: major brand first, then the most specific compatible one", arguments: [
            ("heic", ["mif1", "heic"], ImageFormat.heic), ("heix", ["mif1", "heix"], .heic), ("mif1", ["heic"], .heic),
            ("msf1", ["msf1", "hevc"], .heic), ("avif", ["mif1", "avif", "miaf"], .avif), ("avis", ["msf1", "avis"], .avif),
            ("mif1", ["mif1", "avif"], .avif), ("mif1", ["mif1", "miaf"], .heif), ("msf1", ["msf1", "iso8"], .heif),
        ])
        func sniffsBrands(major: String, compatible: [String], expected: ImageFormat) {
            #expect(ImageProcessor.sniff(Self.ftyp(major, compatible)) == expected)
        }

        @Test("ISO-BMFF files that are not HEIF images, and lookalikes, are not images")
        func refusesLookalikes() throws {
            var brandOutsideBox = Self.ftyp("isom", [])
            brandOutsideBox.append(contentsOf: Array("heic".utf8))
            let samples: [(String, Data)] = [
                ("MP4 video", Self.ftyp("isom", ["isom", "iso2", "mp41"])),
                ("QuickTime (a Live Photo's video)", Self.ftyp("qt  ", ["qt  "])),
                ("Canon CR3", Self.ftyp("crx ", ["crx ", "isom"])),
                ("3GP", Self.ftyp("3gp4", ["isom", "3gp4"])),
                ("box too small for a brand list", Self.ftyp("heic", [], size: 12)),
                ("box size not in whole brands", Self.ftyp("heic", ["mif1"], size: 22)),
                ("brand past the end of the box", brandOutsideBox),
                ("ftyp at the wrong offset", Data("ftypheic".utf8) + Self.ftyp("heic", ["mif1"])),
                ("text that mentions HEIC", Data("This is my IMG_0001.HEIC, honest: ftypheic mif1".utf8)),
            ]
            for (label, data) in samples {
                #expect(ImageProcessor.sniff(data) == nil, "\(label)")
                let error = imagingError { () throws(ImagingError) in _ = try ImageProcessor.probe(data, maxPixels: Self.limit) }
                #expect(error?.isUnsupportedImage == true, "\(label): \(String(describing: error))")
            }
        }

        @Test("real phone files are sniffed and sized from their bytes, whatever they are called")
        func probesRealFiles() throws {
            for (fixture, format) in Self.formats {
                let data = try PhonePhotos.make(fixture, width: 640, height: 480, orientation: 6)
                #expect(ImageProcessor.sniff(data) == format)
                // libheif reports the size after the rotation box: shown 480 wide.
                #expect(try ImageProcessor.probe(data, maxPixels: Self.limit) == ImageInfo(format: format, width: 480, height: 640))
            }
        }

        @Test("a rotated phone photo with GPS becomes an upright JPEG with no metadata", arguments: [
            PhonePhotos.Format.heic, .heif, .avif,
        ])
        func normalisesToUprightCleanJPEG(_ fixture: PhonePhotos.Format) async throws {
            let scratch = try Scratch()
            let input = try PhonePhotos.make(fixture, .quadrant, width: 640, height: 480, orientation: 6)
            // The fixture really is rotated and located (exiftool's reading, not ours).
            let tagged = try Tools.exiftool(scratch.write(input, "phone.\(fixture.rawValue)"))
            try #require(tagged.keys.contains { $0.hasSuffix(":GPSLatitude") }, "the fixture carries GPS")
            try #require(tagged["QuickTime:Rotation"] as? Int == 270, "the fixture has a rotation box: \(tagged)")

            let output = try await ImageProcessor().normaliseUpload(input, maxPixels: Self.limit)
            #expect(output.format == .jpeg && Magic.isJPEG(output.data))
            #expect((output.width, output.height) == (480, 640))

            // Stored with red top-left, shown a quarter turn clockwise: red is top right.
            let points = ["470,10", "10,10", "470,630", "10,630"]
            let after = try scratch.inspect(output.data, "upright.jpg", points: points)
            #expect((after.format, after.width, after.height) == ("JPEG", 480, 640))
            let (topRight, topLeft, bottomRight, bottomLeft) = (after.pixels[0], after.pixels[1], after.pixels[2], after.pixels[3])
            #expect(topRight[0] > 200 && topRight[1] < 60 && topRight[2] < 60, "top right is red: \(topRight)")
            for (name, pixel) in [("top left", topLeft), ("bottom right", bottomRight), ("bottom left", bottomLeft)] {
                #expect(pixel.allSatisfy { $0 > 200 }, "\(name) is white: \(pixel)")
            }
            // The outside decoder (pillow-heif / libavif) sees the original the same way up.
            let reference = try PhonePhotos.view(input, points: points)
            #expect((reference.width, reference.height) == (480, 640))
            for (ours, theirs) in zip(after.pixels, reference.pixels) {
                #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) <= 24 }, "ours \(ours), reference \(theirs)")
            }

            let tags = try Tools.exiftool(scratch.write(output.data, "clean.jpg"))
            let groups = Set(tags.keys.compactMap { $0.split(separator: ":").first.map(String.init) })
            #expect(groups.isDisjoint(with: NormaliseUploadTests.metadataGroups), "left behind: \(groups)")
            #expect(!tags.keys.contains { $0.contains("GPS") || $0.hasSuffix(":Orientation") || $0.hasSuffix(":Make") })
            #expect(after.exif.isEmpty && !after.xmp && !after.icc)
            #expect(try PhonePhotos.view(output.data).gps == false)
        }

        @Test("the pixel limit is checked on the header before anything is decoded; the long edge is capped")
        func limitsApply() async throws {
            let photo = try PhonePhotos.make(.heic, width: 1200, height: 900, orientation: 6)
            let processor = ImageProcessor()
            await #expect(throws: ImagingError.tooManyPixels(width: 900, height: 1200, limit: 1_000_000)) {
                try await processor.normaliseUpload(photo, maxPixels: 1_000_000)
            }
            #expect(processor.limiter.peakInFlight == 0, "refused before a decoder ran")
            #expect(try ImageProcessor.probe(photo, maxPixels: 1_080_000).width == 900)

            let capped = try await processor.normaliseUpload(photo, maxPixels: Self.limit, maxLongEdge: 600)
            #expect((capped.width, capped.height) == (450, 600))
        }

        @Test("truncated and header-only HEIF files are damaged images, refused with a plain message")
        func refusesDamagedFiles() async throws {
            let processor = ImageProcessor()
            for (fixture, _) in Self.formats {
                let photo = try PhonePhotos.make(fixture, width: 600, height: 400)
                let samples: [(String, Data)] = [
                    ("half", photo.prefix(photo.count / 2)),
                    ("all but the last byte", photo.prefix(photo.count - 1)),
                    ("first 200 bytes", photo.prefix(200)),
                    ("ftyp box only", photo.prefix(Int(photo[3]))),
                ]
                for (label, data) in samples {
                    #expect(ImageProcessor.sniff(data) != nil, "\(fixture) \(label) still looks like HEIF")
                    let error = await imagingError { () async throws(ImagingError) in
                        _ = try await processor.normaliseUpload(data, maxPixels: Self.limit)
                    }
                    #expect(error?.isDamagedImage == true, "\(fixture) \(label): \(String(describing: error))")
                    let message = error?.message ?? ""
                    #expect(message.count < 80 && !message.contains("\n") && !message.lowercased().contains("heif:"), "\(message)")
                }
            }
        }

        @Test("a burst of HEIC and AVIF uploads, probed and decoded at once, all come out right")
        func burstOfPhonePhotos() async throws {
            let heic = try PhonePhotos.make(.heic, width: 1200, height: 900, orientation: 6)
            let avif = try PhonePhotos.make(.avif, width: 1200, height: 900)
            let processor = ImageProcessor(maxConcurrentJobs: 3)
            let sizes = try await withThrowingTaskGroup(of: [Int].self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let photo = index.isMultiple(of: 2) ? heic : avif
                        _ = try ImageProcessor.probe(photo, maxPixels: Self.limit)  // header parses on the pool, too
                        let output = try await processor.normaliseUpload(photo, maxPixels: Self.limit)
                        return [output.width, output.height]
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(sizes.filter { $0 == [900, 1200] }.count == 12 && sizes.filter { $0 == [1200, 900] }.count == 12)
            #expect(processor.limiter.peakInFlight == 3)
        }

        @Test("where a codec is missing its files are refused as unsupported, before decoding")
        func refusesWithoutCodec() async throws {
            let heic = try PhonePhotos.make(.heic, width: 320, height: 240)
            let heif = try PhonePhotos.make(.heif, width: 320, height: 240)
            let avif = try PhonePhotos.make(.avif, width: 320, height: 240)
            let noHEVC = ImagingCapabilities(libvipsVersion: "8.14", heic: false, avif: true, text: true)
            let noAV1 = ImagingCapabilities(libvipsVersion: "8.14", heic: true, avif: false, text: true)
            let noHeif = ImagingCapabilities(libvipsVersion: "8.14", heic: false, avif: false, text: true)
            let refused: [(String, Data, ImagingCapabilities)] = [
                ("HEIC without HEVC", heic, noHEVC), ("AVIF without AV1", avif, noAV1),
                // A generic HEIF is refused by the codec inside, not by its brand.
                ("HEVC-coded HEIF without HEVC", heif, noHEVC), ("HEIF without libheif", heif, noHeif),
            ]
            for (label, data, capabilities) in refused {
                let error = imagingError { () throws(ImagingError) in
                    _ = try ImageProcessor.probe(data, maxPixels: Self.limit, capabilities: capabilities)
                }
                let expected = try #require(error, "\(label)")
                #expect(expected.isUnsupportedImage, "\(label): \(expected)")
                let processor = ImageProcessor(capabilities: capabilities)
                await #expect(throws: expected, "\(label)") { try await processor.normaliseUpload(data, maxPixels: Self.limit) }
                #expect(processor.limiter.peakInFlight == 0, "\(label): refused before a decoder ran")
            }
            #expect(try ImageProcessor.probe(heif, maxPixels: Self.limit, capabilities: noAV1).format == .heif)
            #expect(try ImageProcessor.probe(avif, maxPixels: Self.limit, capabilities: noHEVC).format == .avif)
        }
    }
}
