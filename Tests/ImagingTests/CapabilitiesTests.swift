import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Capabilities and runtime settings")
    struct CapabilitiesTests {
        @Test("Debian's libvips decodes HEIC and AVIF and draws text")
        func detectsCapabilities() throws {
            let capabilities = ImageProcessor.capabilities
            #expect(capabilities.libvipsVersion.hasPrefix("8."))
            #expect(capabilities.heic)
            #expect(capabilities.avif)
            #expect(capabilities.text)
            #expect(ImageFormat.allCases.allSatisfy(capabilities.supports))

            let json = try JSONEncoder().encode(capabilities)
            #expect(try JSONDecoder().decode(ImagingCapabilities.self, from: json) == capabilities)
        }

        @Test("libvips runs one worker per pipeline unless VIPS_CONCURRENCY says otherwise")
        func pipelineConcurrency() throws {
            try VipsRuntime.start()
            if let configured = ProcessInfo.processInfo.environment["VIPS_CONCURRENCY"].flatMap(Int.init) {
                #expect(VipsRuntime.concurrency == configured)
            } else {
                #expect(VipsRuntime.concurrency == Int(VipsRuntime.pipelineConcurrency))
            }
        }

        @Test("formats name their MIME type and file extension")
        func formatNames() {
            #expect(ImageFormat.allCases.map(\.mimeType)
                == ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif"])
            #expect(ImageFormat.allCases.map(\.fileExtension) == ["jpg", "png", "webp", "heic", "heif", "avif"])
            #expect(ImageFormat.allCases.allSatisfy { ImageFormat(mimeType: $0.mimeType) == $0 })
            #expect(ImageFormat(mimeType: "image/gif") == nil && ImageFormat(mimeType: "IMAGE/HEIC") == nil)
            #expect(ImageFormat.listed([.jpeg, .png, .webp, .heic, .avif]) == "JPEG, PNG, WebP, HEIC or AVIF")
            #expect(ImageFormat.listed([.jpeg]) == "JPEG" && ImageFormat.listed([]) == "")
        }

        @Test("error messages are plain sentences")
        func errorMessages() {
            #expect(ImagingError.tooManyPixels(width: 30_000, height: 30_000, limit: 40_000_000).message
                == "The image is 30000×30000 pixels; the limit is 40 megapixels.")
            #expect(ImagingError.tooManyPixels(width: 9, height: 9, limit: 2_500_000).message
                == "The image is 9×9 pixels; the limit is 2.5 megapixels.")
            #expect(HeaderReader.notAnImage.message == "The file is not a JPEG, PNG, WebP, HEIC or AVIF image.")
        }
    }
}
