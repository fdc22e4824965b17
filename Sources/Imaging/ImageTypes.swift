import Foundation

/// The image formats Interior reads. Which one a file is comes from its magic bytes, never
/// from a file name or a client's content type. The HEIF family is told apart by the brands
/// of its `ftyp` box, as its MIME types are: `heic` (HEVC, what iPhones save), `avif` (AV1)
/// and `heif` (a file that names only the generic HEIF brands `mif1`/`msf1`).
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case jpeg, png, webp, heic, heif, avif

    /// The format a MIME type names, if it is one of ours.
    public init?(mimeType: String) {
        guard let format = Self.allCases.first(where: { $0.mimeType == mimeType }) else { return nil }
        self = format
    }

    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .heic: "image/heic"
        case .heif: "image/heif"
        case .avif: "image/avif"
        }
    }

    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .webp: "webp"
        case .heic: "heic"
        case .heif: "heif"
        case .avif: "avif"
        }
    }

    /// The name people know the format by, for messages.
    public var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .webp: "WebP"
        case .heic: "HEIC"
        case .heif: "HEIF"
        case .avif: "AVIF"
        }
    }

    /// Whether the format is an ISO-BMFF (HEIF) container, decoded by libheif.
    public var isHeifFamily: Bool { [.heic, .heif, .avif].contains(self) }

    /// "JPEG, PNG or WebP": the names of `formats` as a sentence would list them.
    public static func listed(_ formats: [ImageFormat]) -> String {
        let names = formats.map(\.displayName)
        guard let last = names.last else { return "" }
        return names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
    }
}

/// What a header says: the format and the stored dimensions (before any EXIF orientation tag
/// is applied; HEIF sizes are after its own rotation box. Pixel count and short edge are the
/// same either way).
public struct ImageInfo: Sendable, Equatable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }
}

/// Encoded bytes with the format and the dimensions of the pixels they hold.
public struct EncodedImage: Sendable {
    public let data: Data
    public let format: ImageFormat
    public let width: Int
    public let height: Int

    public init(data: Data, format: ImageFormat, width: Int, height: Int) {
        self.data = data
        self.format = format
        self.width = width
        self.height = height
    }
}

/// A model output made ready to publish: the tier-sized WebP and its thumbnail.
public struct RenderedOutput: Sendable {
    public let image: EncodedImage
    public let thumbnail: EncodedImage

    public init(image: EncodedImage, thumbnail: EncodedImage) {
        self.image = image
        self.thumbnail = thumbnail
    }
}

/// An 8-bit sRGB colour.
public struct RGB: Sendable, Equatable, Hashable, Codable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    var components: [Double] { [Double(r), Double(g), Double(b)] }
}

public enum ImagingError: Error, Equatable, Sendable {
    /// Not a format this server decodes: not JPEG, PNG, WebP or (where libheif and the codec
    /// are installed) HEIC/HEIF/AVIF.
    case unsupportedImage(String)
    /// One of those formats by its first bytes, but truncated or corrupt.
    case damagedImage(String)
    /// The header declares more pixels than the caller allows.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// libvips failed on an image that looked valid, or the request itself was impossible.
    case processingFailed(String)

    /// A short sentence fit to show a user.
    public var message: String {
        switch self {
        case .unsupportedImage(let reason), .damagedImage(let reason), .processingFailed(let reason):
            return reason
        case .tooManyPixels(let width, let height, let limit):
            let megapixels = limit % 1_000_000 == 0
                ? String(limit / 1_000_000) : String(format: "%.1f", Double(limit) / 1_000_000)
            return "The image is \(width)×\(height) pixels; the limit is \(megapixels) megapixels."
        }
    }
}

extension ImagingError: CustomStringConvertible {
    public var description: String { message }
}
