import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Drawing for the emulator: regrades and compositions")
    struct DrawingTests {
        static let limit = 40_000_000
        static let red = RGB(r: 220, g: 40, b: 30)
        static let blue = RGB(r: 30, g: 60, b: 220)

        @Test("regrading toward different tints gives different pictures of the requested size")
        func regradeFollowsTint() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let input = try scratch.pillowFixture("room.jpg", "gradient", "jpeg", "1200", "800")

            let towardRed = try await processor.regrade(input, toward: Self.red, amount: 0.6, width: 512, height: 512, maxPixels: Self.limit)
            let towardBlue = try await processor.regrade(input, toward: Self.blue, amount: 0.6, width: 512, height: 512, maxPixels: Self.limit)
            let light = try await processor.regrade(input, toward: Self.red, amount: 0.2, width: 512, height: 512, maxPixels: Self.limit)

            for output in [towardRed, towardBlue, light] {
                #expect(output.format == .png && Magic.isPNG(output.data))
                #expect((output.width, output.height) == (512, 512))
            }
            let redView = try scratch.inspect(towardRed.data, "red.png")
            let blueView = try scratch.inspect(towardBlue.data, "blue.png")
            let lightView = try scratch.inspect(light.data, "light.png")
            #expect((redView.width, redView.height) == (512, 512))
            #expect(towardRed.data != towardBlue.data && towardRed.data != light.data)
            #expect(redView.mean[0] - redView.mean[2] > blueView.mean[0] - blueView.mean[2] + 60,
                    "red \(redView.mean) vs blue \(blueView.mean)")
            #expect(redView.mean[0] - redView.mean[2] > lightView.mean[0] - lightView.mean[2],
                    "a stronger grade moves further: \(redView.mean) vs \(lightView.mean)")
        }

        @Test("regrading fills the size asked for, enlarging a small input")
        func regradeCoversTheCanvas() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("small.png", "gradient", "png", "200", "100", "alpha")
            let output = try await ImageProcessor().regrade(input, toward: Self.blue, amount: 0.5, width: 640, height: 480, maxPixels: Self.limit)
            let view = try scratch.inspect(output.data, "out.png")
            #expect((view.format, view.width, view.height, view.mode) == ("PNG", 640, 480, "RGB"))
        }

        @Test("regrading refuses an impossible canvas")
        func regradeRefusesBadCanvas() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("room.jpg", "gradient", "jpeg", "300", "200")
            let processor = ImageProcessor()
            await #expect(throws: ImagingError.tooManyPixels(width: 9000, height: 9000, limit: Self.limit)) {
                try await processor.regrade(input, toward: Self.red, amount: 1, width: 9000, height: 9000, maxPixels: Self.limit)
            }
            let error = await imagingError { () async throws(ImagingError) in
                _ = try await processor.regrade(input, toward: Self.red, amount: 1, width: 0, height: 10, maxPixels: Self.limit)
            }
            #expect(error == .processingFailed("The requested size must be at least 1×1 pixels."))
        }

        @Test("a composition has the requested size, the palette and the caption")
        func compositionDrawsCaption() async throws {
            #expect(ImageProcessor.capabilities.text, "Debian's libvips renders text with Pango")
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let palette = [RGB(r: 240, g: 234, b: 222), RGB(r: 170, g: 196, b: 210), RGB(r: 120, g: 150, b: 130)]
            let caption = "Coastal AU living room with linen & <pale> timber"

            let captioned = try await processor.drawComposition(width: 640, height: 480, palette: palette, caption: caption)
            let blank = try await processor.drawComposition(width: 640, height: 480, palette: palette, caption: "  ")
            for output in [captioned, blank] {
                #expect(output.format == .png && Magic.isPNG(output.data))
                #expect((output.width, output.height) == (640, 480))
            }
            let view = try scratch.inspect(captioned.data, "composition.png", points: ["320,0", "320,300"])
            #expect((view.width, view.height) == (640, 480))
            #expect(view.pixels[0] == [240, 234, 222], "the gradient starts at the first palette colour")

            // The caption band is the bottom 18%: ink appears there only when there is a caption.
            let band = (480 * 82 / 100)..<480
            #expect(try scratch.darkPixels(captioned.data, "captioned.png", rows: band, threshold: 100) > 200)
            #expect(try scratch.darkPixels(blank.data, "blank.png", rows: band, threshold: 100) == 0)
        }

        @Test("a caption's mask holds nothing of Pango's once it leaves the text lock")
        func textMaskOwnsNoPangoObjects() throws {
            // The mask vips_text() returns keeps its operation (and its Pango layout) alive until
            // the mask is freed, which happened outside the lock, beside another caption's
            // rendering: a rare crash inside GLib. The mask is now a copy; the operation is gone.
            let mask = try Composition.textMask("Interior", width: 200, height: 40)
            #expect(mask.width > 1 && mask.height > 1)
            #expect(Composition.liveTextOperations() == 0)
        }

        @Test("a caption is fitted to its box by font size: short ones large, long ones wrapped smaller")
        func captionsFitTheirBox() throws {
            let short = try Composition.textMask("Interior", width: 200, height: 40)
            #expect(short.height <= 40 && short.height >= 20, "one word fills most of the box: \(short.height)")
            let sentence = String(repeating: "Coastal living room with linen and timber ", count: 3)
            let long = try Composition.textMask(sentence, width: 600, height: 80)
            #expect(long.height <= 80 && long.height >= 40, "\(long.width)x\(long.height)")
            #expect(long.width <= 600)
            // Too long for the box even at the smallest size: drawn at that size, not refused.
            let overlong = try Composition.textMask(String(repeating: "word ", count: 400), width: 100, height: 20)
            #expect(overlong.height > 20 && overlong.width <= 100)
        }

        @Test("compositions of other sizes and palettes, including none")
        func compositionSizes() async throws {
            let processor = ImageProcessor()
            for (width, height, palette) in [(1024, 1024, [RGB]()), (300, 900, [Self.red]), (16, 9, [Self.red, Self.blue])] {
                let output = try await processor.drawComposition(width: width, height: height, palette: palette, caption: "Japandi bedroom")
                #expect((output.width, output.height) == (width, height))
            }
            await #expect(throws: ImagingError.tooManyPixels(width: 10_000, height: 10_000, limit: ImageProcessor.defaultMaxPixels)) {
                try await processor.drawComposition(width: 10_000, height: 10_000, palette: [], caption: "x")
            }
        }
    }
}
