import CVipsShim
import Foundation

/// Inputs shared by several benchmarks, made on first use so a filtered run only pays for
/// what it measures.
actor Fixtures {
    private var cache: [String: Data] = [:]

    private func cached(_ key: String, _ make: () throws -> Data) rethrows -> Data {
        if let data = cache[key] { return data }
        let data = try make()
        cache[key] = data
        return data
    }

    /// The room at 2048×2048 as an uncompressed PNG, the source of the model outputs.
    private func room2048() -> Data {
        cached("room-2048") { Synthetic.uncompressedPNG(width: 2048, height: 2048) }
    }

    /// A 2048×2048 model output as a compressed PNG.
    func modelOutputPNG() throws -> Data {
        let source = room2048()
        return try cached("output.png") { try Synthetic.encode(source, as: CVIPS_SAVE_PNG, quality: 0) }
    }

    /// A 2048×2048 model output as a JPEG (q92).
    func modelOutputJPEG() throws -> Data {
        let source = room2048()
        return try cached("output.jpg") { try Synthetic.encode(source, as: CVIPS_SAVE_JPEG, quality: 92) }
    }

    /// A 1536×1536 model output as a compressed PNG: what the end-to-end stand-in serves and
    /// the peers' pipeline input.
    func modelOutputPNG1536() throws -> Data {
        try cached("output-1536.png") {
            try Synthetic.encode(Synthetic.uncompressedPNG(width: 1536, height: 1536), as: CVIPS_SAVE_PNG, quality: 0)
        }
    }

    /// A 1024×1024 lossy WebP (q82), as a model asked for `output_format: webp` at the tier's
    /// size returns it: libvips writes its own EXIF chunk into it, as encoders do.
    func modelOutputWebP1024() throws -> Data {
        try cached("output-1024.webp") {
            try Synthetic.encode(Synthetic.uncompressedPNG(width: 1024, height: 1024), as: CVIPS_SAVE_WEBP, quality: 82)
        }
    }

    /// A 4000×3000 phone photo (JPEG q92) without any metadata.
    func photoJPEG() throws -> Data {
        try cached("photo.jpg") {
            try Synthetic.encode(Synthetic.uncompressedPNG(width: 4000, height: 3000), as: CVIPS_SAVE_JPEG, quality: 92)
        }
    }

    /// The same photo carrying EXIF Orientation 6 (the camera was turned a quarter clockwise).
    func photoJPEGRotated() throws -> Data {
        let plain = try photoJPEG()
        return try cached("photo-rotated.jpg") { try Synthetic.withOrientation(plain, 6) }
    }
}
