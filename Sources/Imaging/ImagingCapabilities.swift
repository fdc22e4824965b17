import CVipsShim
import Foundation

/// What the installed libvips can do, detected once by trying it rather than trusting its
/// build flags (the HEIF module, its codecs and the fonts are all installed separately).
public struct ImagingCapabilities: Sendable, Equatable, Codable {
    public let libvipsVersion: String
    /// HEIC uploads can be decoded (libheif with an HEVC decoder).
    public let heic: Bool
    /// AVIF uploads can be decoded (libheif with an AV1 decoder).
    public let avif: Bool
    /// Captions can be drawn (libvips built with Pango and a usable font).
    public let text: Bool

    public init(libvipsVersion: String, heic: Bool, avif: Bool, text: Bool) {
        self.libvipsVersion = libvipsVersion
        self.heic = heic
        self.avif = avif
        self.text = text
    }

    /// Whether files of `format` can be decoded here. A generic HEIF file may hold either
    /// codec; which one it holds is checked on its header (`decodes`).
    public func supports(_ format: ImageFormat) -> Bool {
        switch format {
        case .jpeg, .png, .webp: true
        case .heic: heic
        case .heif: heic || avif
        case .avif: avif
        }
    }

    func decodes(_ codec: HeifCodec) -> Bool {
        switch codec {
        case .hevc: heic
        case .av1: avif
        }
    }

    static func detect() -> ImagingCapabilities {
        guard (try? VipsRuntime.start()) != nil else {
            return ImagingCapabilities(libvipsVersion: "unavailable", heic: false, avif: false, text: false)
        }
        let canLoadHeif = VipsRuntime.hasOperation("heifload_buffer") && VipsRuntime.hasOperation("heifsave_buffer")
        return ImagingCapabilities(
            libvipsVersion: VipsRuntime.version,
            heic: canLoadHeif && roundTrips(.heic),
            avif: canLoadHeif && roundTrips(.avif),
            text: VipsRuntime.hasOperation("text") && rendersText())
    }

    /// Encodes a small swatch in `format` and decodes it again. Without an encoder for the
    /// format this reports false even if a decoder exists: we only claim what we can prove.
    private static func roundTrips(_ format: ImageFormat) -> Bool {
        do throws(ImagingError) {
            let swatch = try Swatch.encoded(as: format, width: 64, height: 48)
            let decoded = try Vips.withPinnedBytes(swatch) { raw throws(ImagingError) in
                let image = try Vips.decodeFitted(raw, width: 64, height: 64)
                return (image.width, image.height)
            }
            return decoded == (64, 48)
        } catch {
            return false
        }
    }

    private static func rendersText() -> Bool {
        guard let mask = try? Composition.textMask("Interior", width: 200, height: 40) else {
            cvips_error_clear()
            return false
        }
        return mask.width > 1 && mask.height > 1
    }
}

/// The codecs of HEIF images we decode, as libvips names them (`heif-compression`).
enum HeifCodec: String {
    case hevc, av1
}

/// A small gradient encoded in any format we can write; used to prove a codec works.
enum Swatch {
    static func encoded(as format: ImageFormat, width: Int, height: Int) throws(ImagingError) -> Data {
        let top = [200.0, 120.0, 40.0], bottom = [30.0, 60.0, 150.0]
        let image = try VipsImageRef(cvips_vertical_gradient(Int32(width), Int32(height), top, bottom),
                                     orThrow: Vips.failed)
        return try image.encode(format, quality: 60).data
    }
}
