import Foundation

/// Every image operation Interior performs, through libvips. Bytes in, bytes out.
///
/// Each instance owns one limiter: at most `maxConcurrentJobs` images are decoded at once
/// (callers beyond that wait without holding a thread), so a burst of uploads or webhooks
/// cannot exhaust memory. Share one instance across the server.
public final class ImageProcessor: Sendable {
    /// Long edge of a render's thumbnail.
    public static let thumbnailLongEdge = 384
    /// WebP quality of tier-sized renders and of their thumbnails.
    public static let renderQuality = 82
    public static let thumbnailQuality = 75
    /// JPEG and WebP quality of normalised uploads.
    public static let uploadQuality = 90
    /// The canvas limit for drawn compositions when the caller gives none (40 MP).
    public static let defaultMaxPixels = 40_000_000

    let limiter: AsyncLimiter
    private let capabilityOverride: ImagingCapabilities?

    public var maxConcurrentJobs: Int { limiter.limit }

    /// What this processor decodes: the detected capabilities, unless it was made with others
    /// (to serve as a machine without a codec would).
    public var capabilities: ImagingCapabilities { capabilityOverride ?? Self.capabilities }

    public init(maxConcurrentJobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                capabilities: ImagingCapabilities? = nil) {
        limiter = AsyncLimiter(limit: max(1, maxConcurrentJobs))
        capabilityOverride = capabilities
        // Start libvips now rather than inside the first request; a failure surfaces on use.
        try? VipsRuntime.start()
        // Detecting capabilities encodes two small images (~150 ms); do it off the caller's
        // thread so the first health check or composition does not pay for it.
        Thread { _ = ImageProcessor.capabilities }.start()
    }

    /// Detected on first use (it encodes and decodes a tiny HEIC and AVIF), then fixed.
    public static var capabilities: ImagingCapabilities { detectedCapabilities }
    private static let detectedCapabilities = ImagingCapabilities.detect()

    // MARK: - Probe

    /// The format the first bytes declare (magic numbers, `ftyp` brands), or nil. Nothing
    /// else is checked: `probe` says whether the file really is one.
    public static func sniff(_ data: Data) -> ImageFormat? { HeaderReader.format(data) }

    /// `probe` with what this processor decodes.
    public func probe(_ data: Data, maxPixels: Int) throws(ImagingError) -> ImageInfo {
        try Self.probe(data, maxPixels: maxPixels, capabilities: capabilities)
    }

    /// Format from magic bytes, and the stored width and height, from the header alone.
    /// A header declaring more than `maxPixels` is refused before any decoder runs. A HEIF
    /// container is read by libheif (header only) and must hold a codec `capabilities` can
    /// decode: HEVC needs `heic`, AV1 needs `avif`, whatever its brand says.
    public static func probe(_ data: Data, maxPixels: Int,
                             capabilities: ImagingCapabilities = ImageProcessor.capabilities) throws(ImagingError) -> ImageInfo {
        let info: ImageInfo
        switch try HeaderReader.read(data) {
        case let .sized(format, width, height):
            info = ImageInfo(format: format, width: width, height: height)
        case let .container(format):
            guard capabilities.supports(format) else { throw notDecodable(format) }
            try VipsRuntime.start()
            let header = try Vips.heifHeader(data)
            guard let codec = header.codec, capabilities.decodes(codec) else { throw notDecodable(format) }
            info = ImageInfo(format: format, width: header.width, height: header.height)
        }
        try checkPixels(width: info.width, height: info.height, limit: maxPixels)
        return info
    }

    private static func notDecodable(_ format: ImageFormat) -> ImagingError {
        .unsupportedImage("This server cannot decode this \(format.displayName) image.")
    }

    // MARK: - Uploads

    /// The upload made safe to store and send on: orientation applied, every piece of
    /// metadata removed (EXIF, GPS, XMP, IPTC; an ICC profile is converted to sRGB and then
    /// dropped), the long edge shrunk to `maxLongEdge` if larger, and re-encoded in the same
    /// format (JPEG q90, PNG, WebP q90). HEIC, HEIF and AVIF become JPEG q90: every model
    /// reads JPEG, few read HEIF.
    public func normaliseUpload(_ data: Data, maxPixels: Int, maxLongEdge: Int = 2048) async throws(ImagingError) -> EncodedImage {
        let info = try probe(data, maxPixels: maxPixels)
        guard maxLongEdge > 0 else { throw .processingFailed("The size limit must be at least 1 pixel.") }
        return try await runJob { () throws(ImagingError) -> EncodedImage in
            try Vips.withPinnedBytes(data) { raw throws(ImagingError) in
                let image = try Vips.decodeFitted(raw, width: maxLongEdge, height: maxLongEdge)
                switch info.format {
                case .png:
                    return try image.encode(.png, quality: 0)
                case .webp:
                    return try image.encode(.webp, quality: Self.uploadQuality)
                case .jpeg, .heic, .heif, .avif:
                    return try Vips.flattenedOntoWhite(image).encode(.jpeg, quality: Self.uploadQuality)
                }
            }
        }
    }

    // MARK: - Model outputs

    /// A model output (PNG, JPEG or WebP) as a WebP (q82) whose long edge fits `longEdge`,
    /// and a WebP thumbnail (q75) with a 384 px long edge. Neither is ever enlarged. The
    /// output is decoded once; the thumbnail is made from the resized image. A still, lossy,
    /// upright WebP without a colour profile that already fits is stored as it came, minus
    /// its metadata (see `WebPMetadata.isStorableAsItCame`): decoding it at the thumbnail's
    /// size checks that it is whole and makes the thumbnail.
    public func renderOutput(_ data: Data, longEdge: Int, maxPixels: Int) async throws(ImagingError) -> RenderedOutput {
        let info = try Self.probe(data, maxPixels: maxPixels)
        guard [.jpeg, .png, .webp].contains(info.format) else { throw HeaderReader.notAnImage }
        guard longEdge > 0 else { throw .processingFailed("The size limit must be at least 1 pixel.") }
        let thumbnailEdge = Self.thumbnailLongEdge
        if info.format == .webp, max(info.width, info.height) <= longEdge, WebPMetadata.isStorableAsItCame(data),
           let stripped = WebPMetadata.stripped(data) {
            let image = EncodedImage(data: stripped, format: .webp, width: info.width, height: info.height)
            return try await runJob { () throws(ImagingError) -> RenderedOutput in
                try Vips.withPinnedBytes(data) { raw throws(ImagingError) in
                    let small = try Vips.decodeFitted(raw, width: thumbnailEdge, height: thumbnailEdge)
                    return RenderedOutput(image: image, thumbnail: try small.encode(.webp, quality: Self.thumbnailQuality))
                }
            }
        }
        return try await runJob { () throws(ImagingError) -> RenderedOutput in
            try Vips.withPinnedBytes(data) { raw throws(ImagingError) in
                let main = try Vips.decodeFitted(raw, width: longEdge, height: longEdge)
                let image = try main.encode(.webp, quality: Self.renderQuality)
                // Below the thumbnail size only an unshrunk image still has every pixel.
                let keptAllPixels = max(main.width, main.height) == max(info.width, info.height)
                let source = try longEdge >= thumbnailEdge || keptAllPixels
                    ? main
                    : Vips.decodeFitted(raw, width: thumbnailEdge, height: thumbnailEdge)
                let thumbnail = try Vips.fitted(source, longEdge: thumbnailEdge)
                    .encode(.webp, quality: Self.thumbnailQuality)
                return RenderedOutput(image: image, thumbnail: thumbnail)
            }
        }
    }

    // MARK: - Drawing (the Replicate emulator's outputs)

    /// The input, cropped from the centre to fill exactly `width`×`height` (enlarging if
    /// needed), with every pixel pulled toward `tint` by `amount` (0...1): partly multiplied,
    /// which keeps the room's light and shade, partly washed with the colour. PNG out.
    public func regrade(_ data: Data, toward tint: RGB, amount: Double, width: Int, height: Int,
                        maxPixels: Int) async throws(ImagingError) -> EncodedImage {
        _ = try Self.probe(data, maxPixels: maxPixels)
        try Self.checkCanvas(width: width, height: height, maxPixels: maxPixels)
        let grade = Self.gradeCoefficients(tint: tint, amount: amount)
        return try await runJob { () throws(ImagingError) -> EncodedImage in
            try Vips.withPinnedBytes(data) { raw throws(ImagingError) in
                let fitted = try Vips.decodeFitted(raw, width: width, height: height, upscale: true, cropCentre: true)
                let graded = try Vips.linear(try Vips.srgb8Opaque(fitted), scale: grade.scale, offset: grade.offset)
                return try graded.encode(.png, quality: 0)
            }
        }
    }

    /// A rendered composition for a text-only prompt: a gradient, a strip of `palette`
    /// blocks and `caption` as text (left out when `capabilities.text` is false). PNG out.
    public func drawComposition(width: Int, height: Int, palette: [RGB], caption: String,
                                maxPixels: Int = ImageProcessor.defaultMaxPixels) async throws(ImagingError) -> EncodedImage {
        try Self.checkCanvas(width: width, height: height, maxPixels: maxPixels)
        let withText = Self.capabilities.text
        return try await runJob { () throws(ImagingError) -> EncodedImage in
            try Composition.draw(width: width, height: height, palette: palette, caption: caption, withText: withText)
        }
    }

    // MARK: - Internals

    /// One permit from the shared limiter, then the blocking work on a thread of its own.
    func runJob<T: Sendable>(_ work: @escaping @Sendable () throws(ImagingError) -> T) async throws(ImagingError) -> T {
        try VipsRuntime.start()
        return try await limiter.withPermit { () async throws(ImagingError) -> T in
            try await JobThread.run(work)
        }
    }

    static func gradeCoefficients(tint: RGB, amount: Double) -> (scale: [Double], offset: [Double]) {
        let strength = amount.isNaN ? 0 : min(max(amount, 0), 1)
        let multiplyShare = 0.6, washShare = 0.4
        let scale = tint.components.map { (1 - strength) + strength * multiplyShare * $0 / 255 }
        let offset = tint.components.map { strength * washShare * $0 }
        return (scale, offset)
    }

    static func checkPixels(width: Int, height: Int, limit: Int) throws(ImagingError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > limit {
            throw .tooManyPixels(width: width, height: height, limit: limit)
        }
    }

    static func checkCanvas(width: Int, height: Int, maxPixels: Int) throws(ImagingError) {
        guard width > 0, height > 0 else {
            throw .processingFailed("The requested size must be at least 1×1 pixels.")
        }
        try checkPixels(width: width, height: height, limit: maxPixels)
    }
}
