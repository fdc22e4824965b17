import CVipsShim
import Foundation

/// The process-wide libvips runtime, started once on first use.
enum VipsRuntime {
    /// Worker threads libvips may use inside one pipeline. The limiter already runs one
    /// image per core, and the steps we use (JPEG/PNG decode, WebP encode) are largely
    /// sequential, so a second thread per pipeline only adds contention and memory.
    static let pipelineConcurrency: Int32 = 1

    /// Swift runs a static initialiser exactly once, even under concurrent first use.
    private static let started: Bool = cvips_init(pipelineConcurrency) == 0

    static func start() throws(ImagingError) {
        guard started else {
            throw .processingFailed("The image library could not be started.")
        }
    }

    static var version: String { String(cString: cvips_version()) }
    static var concurrency: Int { Int(cvips_concurrency()) }
    static var liveObjectCount: Int { Int(cvips_live_object_count()) }

    static func hasOperation(_ nickname: String) -> Bool { cvips_has_operation(nickname) != 0 }
}

/// The libvips runtime as the executable sees it.
public enum ImagingRuntime {
    /// Call once, just before the process exits and after the application has stopped: waits
    /// for the capability probe (it encodes HEIC and AVIF through libheif on a thread of its
    /// own, started with the first `ImageProcessor`), then releases libvips' threads and
    /// plugins. A process that exits while libheif works, or with its threads still alive, can
    /// crash on the way out. No image work may follow. Does nothing if libvips never started.
    public static func shutdown() {
        guard cvips_is_started() != 0 else { return }
        _ = ImageProcessor.capabilities
        cvips_shutdown()
    }

    /// Call first thing in `main`, before threads allocate. glibc gives each thread that
    /// allocates while another holds the lock an arena of its own (up to 8 per core). Images
    /// are decoded on short-lived job threads, and the megabytes of each image are freed into
    /// the arena that made them, where other threads rarely reuse them: resident memory grows
    /// with the number of arenas rather than with the work. Two arenas took the peak of a
    /// burst of 32 jobs × 3 × 1536² outputs from 231 MB to 150 MB (docs/benchmarks.md).
    /// `MALLOC_ARENA_MAX` in the environment, if set, wins. Does nothing off glibc.
    public static func limitMallocArenas(_ arenas: Int = 2) {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = cvips_limit_malloc_arenas(Int32(arenas))
    }
}

/// One reference to a VipsImage, released when the wrapper goes away. Used only on the
/// thread running a job, and never outlives the bytes it may have been loaded from.
final class VipsImageRef {
    let pointer: UnsafeMutablePointer<VipsImage>

    /// Takes ownership of a reference returned by the shim; a NULL result becomes `failure`
    /// and the libvips error text is discarded (it is not fit for users).
    init(_ pointer: UnsafeMutablePointer<VipsImage>?, orThrow failure: ImagingError) throws(ImagingError) {
        guard let pointer else {
            cvips_error_clear()
            throw failure
        }
        self.pointer = pointer
    }

    deinit { cvips_unref(pointer) }

    var width: Int { Int(cvips_width(pointer)) }
    var height: Int { Int(cvips_height(pointer)) }
    var hasAlpha: Bool { cvips_has_alpha(pointer) != 0 }

    func encode(_ format: ImageFormat, quality: Int) throws(ImagingError) -> EncodedImage {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let status = cvips_save(pointer, Int32(format.saveFormat.rawValue), Int32(quality), &buffer, &length)
        guard status == 0, let buffer else {
            cvips_error_clear()
            cvips_free_buffer(buffer)
            throw .processingFailed("The image could not be encoded as \(format.displayName).")
        }
        defer { cvips_free_buffer(buffer) }
        var data = Data(bytes: buffer, count: length)
        if format == .webp {
            guard let clean = WebPMetadata.stripped(data) else {
                throw .processingFailed("The image could not be encoded as WebP.")
            }
            data = clean
        }
        return EncodedImage(data: data, format: format, width: width, height: height)
    }
}

extension ImageFormat {
    var saveFormat: cvips_save_format {
        switch self {
        case .jpeg: CVIPS_SAVE_JPEG
        case .png: CVIPS_SAVE_PNG
        case .webp: CVIPS_SAVE_WEBP
        case .heic, .heif: CVIPS_SAVE_HEIC
        case .avif: CVIPS_SAVE_AVIF
        }
    }
}

/// The libvips calls a job makes, with failures mapped to our errors. Everything here
/// blocks, so it runs on a job thread, never on the cooperative pool.
enum Vips {
    static let corrupt = ImagingError.damagedImage("The image is truncated or corrupt.")
    static let failed = ImagingError.processingFailed("The image could not be processed.")

    /// Runs `body` with the bytes pinned; every image made from them must be released
    /// before `body` returns, because libvips reads the buffer without copying it.
    static func withPinnedBytes<T>(_ data: Data, _ body: (UnsafeRawBufferPointer) throws(ImagingError) -> T) throws(ImagingError) -> T {
        let result: Result<T, ImagingError> = data.withUnsafeBytes { raw in
            do throws(ImagingError) {
                return .success(try body(raw))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// What libheif's header parse of a HEIF container says: the primary image's size after
    /// its rotation and mirroring, and its codec (`hevc`, `av1`, …). Nothing is decoded.
    static func heifHeader(_ data: Data) throws(ImagingError) -> (width: Int, height: Int, codec: HeifCodec?) {
        try withPinnedBytes(data) { raw throws(ImagingError) in
            let image = try VipsImageRef(cvips_header_from_buffer(raw.baseAddress, raw.count), orThrow: corrupt)
            let codec = cvips_get_string(image.pointer, "heif-compression").flatMap { HeifCodec(rawValue: String(cString: $0)) }
            return (image.width, image.height, codec)
        }
    }

    /// Decoded, upright, sRGB, fitted inside `width`×`height`, and rendered into memory so
    /// that decode errors are reported as such and the result no longer needs the bytes.
    static func decodeFitted(_ raw: UnsafeRawBufferPointer, width: Int, height: Int,
                             upscale: Bool = false, cropCentre: Bool = false) throws(ImagingError) -> VipsImageRef {
        let lazy = try VipsImageRef(
            cvips_thumbnail_buffer(raw.baseAddress, raw.count, Int32(width), Int32(height),
                                   upscale ? 1 : 0, cropCentre ? 1 : 0),
            orThrow: corrupt)
        return try VipsImageRef(cvips_copy_memory(lazy.pointer), orThrow: corrupt)
    }

    static func fitted(_ image: VipsImageRef, longEdge: Int) throws(ImagingError) -> VipsImageRef {
        try VipsImageRef(cvips_thumbnail_image(image.pointer, Int32(longEdge), Int32(longEdge)), orThrow: failed)
    }

    static func flattenedOntoWhite(_ image: VipsImageRef) throws(ImagingError) -> VipsImageRef {
        try VipsImageRef(cvips_flatten_white(image.pointer), orThrow: failed)
    }

    static func srgb8Opaque(_ image: VipsImageRef) throws(ImagingError) -> VipsImageRef {
        try VipsImageRef(cvips_srgb8_opaque(image.pointer), orThrow: failed)
    }

    static func linear(_ image: VipsImageRef, scale: [Double], offset: [Double]) throws(ImagingError) -> VipsImageRef {
        precondition(scale.count == offset.count)
        return try VipsImageRef(cvips_linear_uchar(image.pointer, scale, offset, Int32(scale.count)), orThrow: failed)
    }

    static func materialised(_ image: VipsImageRef) throws(ImagingError) -> VipsImageRef {
        try VipsImageRef(cvips_copy_memory(image.pointer), orThrow: failed)
    }
}
