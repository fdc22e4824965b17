import Foundation
import Imaging
import InteriorCore

/// One drawn output.
struct OutputImage: Sendable {
    let data: Data
    let format: OutputFormat
}

/// The emulated model's drawing: photo inputs re-graded toward the style's palette (each
/// variant its own colour and strength), text-only prompts drawn as a composition of the
/// palette with the prompt as caption. Real images, made with libvips.
struct OutputImages: Sendable {
    let processor: ImageProcessor
    let maxPixels: Int

    /// One processor for every emulator in the process, so several emulators (as in tests)
    /// share one limit on concurrent image work instead of multiplying it.
    static let sharedProcessor = ImageProcessor(maxConcurrentJobs: 2)

    init(processor: ImageProcessor = OutputImages.sharedProcessor, maxPixels: Int = 40_000_000) {
        self.processor = processor
        self.maxPixels = maxPixels
    }

    /// Runs libvips' one-off capability detection (HEIC/AVIF round trips, a text render) on a
    /// thread of its own before any drawing starts. Left to first use, it runs on whichever
    /// task asks first, overlapping other libvips work and blocking the concurrency pool;
    /// in tests that overlap crashed inside GLib now and then.
    static func warmUp() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                _ = ImageProcessor.capabilities
                continuation.resume()
            }.start()
        }
    }

    func render(_ job: ModelJob, inputs: [Data], count: Int) async throws -> [OutputImage] {
        let palette = Self.palette(forPrompt: job.prompt)
        // The tier's long edge, in the asked shape or (matching) the first input's.
        var photoSize: ImageSize?
        if let first = inputs.first {
            let info = try ImageProcessor.probe(first, maxPixels: maxPixels)
            photoSize = ImageSize(width: info.width, height: info.height)
        }
        let ratio = job.aspectRatio ?? (photoSize == nil ? .square : .match)
        let size = ImageSize.target(aspectRatio: ratio, quality: job.quality, inputSize: photoSize)
        let (width, height) = (size.width, size.height)

        var outputs: [OutputImage] = []
        for variant in 0..<count {
            let png: Data
            if let photo = inputs.first {
                let tint = palette[variant % palette.count]
                let amount = min(0.85, 0.3 + 0.15 * Double(variant))
                png = try await processor.regrade(
                    photo, toward: tint, amount: amount, width: width, height: height, maxPixels: maxPixels
                ).data
            } else {
                let rotated = Array(palette[(variant % palette.count)...] + palette[..<(variant % palette.count)])
                png = try await processor.drawComposition(
                    width: width, height: height, palette: rotated, caption: job.prompt, maxPixels: maxPixels
                ).data
            }
            if job.format == .webp {
                let webp = try await processor.renderOutput(png, longEdge: max(width, height), maxPixels: maxPixels)
                outputs.append(OutputImage(data: webp.image.data, format: .webp))
            } else {
                // libvips here writes PNG and WebP; a JPEG request gets a PNG, labelled as such.
                outputs.append(OutputImage(data: png, format: .png))
            }
        }
        return outputs
    }

    /// The style a prompt names (its label, id or seed phrase), else Contemporary AU.
    static func style(forPrompt prompt: String) -> StylePreset {
        let text = prompt.lowercased()
        let styles = RuntimeConfig.builtInStyles
        let named = styles.first { style in
            text.contains(style.label.lowercased()) || text.contains(style.seed.lowercased())
                || text.contains(style.id.replacingOccurrences(of: "_", with: " "))
                || text.contains(style.id)
        }
        return named ?? styles.first { $0.id == "contemporary_au" } ?? styles[0]
    }

    static func palette(forPrompt prompt: String) -> [RGB] {
        palettes[style(forPrompt: prompt).id] ?? palettes["contemporary_au"]!
    }

    /// Three colours per built-in style, drawn from its seed phrase.
    static let palettes: [String: [RGB]] = [
        "coastal_au": [RGB(r: 0x9C, g: 0xC9, b: 0xE0), RGB(r: 0xB8, g: 0xD8, b: 0xC2), RGB(r: 0xE8, g: 0xDF, b: 0xCF)],
        "contemporary_au": [RGB(r: 0xC8, g: 0xB4, b: 0x9A), RGB(r: 0x8E, g: 0x86, b: 0x7C), RGB(r: 0xE6, g: 0xDD, b: 0xD0)],
        "hamptons_au": [RGB(r: 0x1F, g: 0x3A, b: 0x5F), RGB(r: 0xF4, g: 0xF1, b: 0xEA), RGB(r: 0xC2, g: 0xA2, b: 0x74)],
        "japandi": [RGB(r: 0xB5, g: 0x9B, b: 0x7C), RGB(r: 0xD9, g: 0xD2, b: 0xC5), RGB(r: 0x5C, g: 0x55, b: 0x4D)],
        "scandi_au": [RGB(r: 0xD8, g: 0xC3, b: 0xA5), RGB(r: 0xF2, g: 0xF2, b: 0xF0), RGB(r: 0xA9, g: 0xAD, b: 0xB1)],
        "minimal_au": [RGB(r: 0xEE, g: 0xEC, b: 0xE8), RGB(r: 0xBF, g: 0xBC, b: 0xB6), RGB(r: 0x3A, g: 0x3A, b: 0x3A)],
        "midcentury_au": [RGB(r: 0x8B, g: 0x55, b: 0x2E), RGB(r: 0xD9, g: 0x9A, b: 0x3D), RGB(r: 0x4F, g: 0x7C, b: 0x6E)],
        "industrial_au": [RGB(r: 0x7D, g: 0x7F, b: 0x80), RGB(r: 0x2B, g: 0x2B, b: 0x2B), RGB(r: 0x9C, g: 0x4A, b: 0x2F)],
        "queenslander": [RGB(r: 0xF5, g: 0xF0, b: 0xE1), RGB(r: 0x7A, g: 0x9E, b: 0x7E), RGB(r: 0xB8, g: 0x8B, b: 0x5A)],
        "modern_farmhouse_au": [RGB(r: 0xF0, g: 0xEB, b: 0xE3), RGB(r: 0xA6, g: 0x7B, b: 0x5B), RGB(r: 0x26, g: 0x26, b: 0x26)],
    ]
}
