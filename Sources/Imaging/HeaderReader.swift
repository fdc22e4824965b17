import Foundation

/// Reads the format and declared dimensions straight from the first bytes of a file, so a
/// decompression bomb is refused before any decoder sees it.
enum HeaderReader {
    enum Outcome: Equatable {
        /// Format and dimensions read from the header.
        case sized(ImageFormat, width: Int, height: Int)
        /// An ISO-BMFF container (HEIC/HEIF/AVIF): dimensions live deep in the box tree, so
        /// the caller asks libvips for them.
        case container(ImageFormat)
    }

    static let notAnImage = ImagingError.unsupportedImage(
        "The file is not a JPEG, PNG, WebP, HEIC or AVIF image.")
    static let damagedHeader = ImagingError.damagedImage(
        "The image header is truncated or corrupt.")

    static func read(_ data: Data) throws(ImagingError) -> Outcome {
        let result: Result<Outcome, ImagingError> = data.withUnsafeBytes { raw in
            let bytes = Bytes(raw)
            do throws(ImagingError) {
                return .success(try read(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The format the first bytes declare, or nil; nothing past them is checked.
    static func format(_ data: Data) -> ImageFormat? {
        data.withUnsafeBytes { format(Bytes($0)) }
    }

    private static func format(_ bytes: Bytes) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: Array("RIFF".utf8)), bytes.matches(Array("WEBP".utf8), at: 8) { return .webp }
        if bytes.matches(Array("ftyp".utf8), at: 4) { return isoBrand(bytes) }
        return nil
    }

    private static func read(_ bytes: Bytes) throws(ImagingError) -> Outcome {
        switch format(bytes) {
        case .jpeg: try jpeg(bytes)
        case .png: try png(bytes)
        case .webp: try webp(bytes)
        case let format? where format.isHeifFamily: .container(format)
        default: throw notAnImage
        }
    }

    // MARK: - PNG: the IHDR chunk must come first.

    private static func png(_ bytes: Bytes) throws(ImagingError) -> Outcome {
        guard bytes.count >= 24, bytes.matches(Array("IHDR".utf8), at: 12),
              bytes.uint32BE(at: 8) == 13 else { throw damagedHeader }
        return try sized(.png, width: Int(bytes.uint32BE(at: 16)), height: Int(bytes.uint32BE(at: 20)))
    }

    // MARK: - JPEG: walk the marker segments up to the first start-of-frame.

    private static func jpeg(_ bytes: Bytes) throws(ImagingError) -> Outcome {
        var index = 2
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw damagedHeader }
            // Any number of 0xFF fill bytes may precede a marker.
            while index < bytes.count, bytes[index] == 0xFF { index += 1 }
            guard index < bytes.count else { break }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0x01, 0xD0...0xD8:
                continue  // markers without a length
            case 0xD9, 0xDA:
                throw damagedHeader  // end of image or scan data before any frame header
            default:
                break
            }
            guard index + 2 <= bytes.count else { break }
            let length = Int(bytes.uint16BE(at: index))
            guard length >= 2 else { throw damagedHeader }
            if isStartOfFrame(marker) {
                guard length >= 7, index + 7 <= bytes.count else { break }
                let height = Int(bytes.uint16BE(at: index + 3))
                let width = Int(bytes.uint16BE(at: index + 5))
                return try sized(.jpeg, width: width, height: height)
            }
            index += length
        }
        throw damagedHeader
    }

    private static func isStartOfFrame(_ marker: UInt8) -> Bool {
        // C4 (huffman tables), C8 (reserved) and CC (arithmetic conditioning) share the range.
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }

    // MARK: - WebP: the first chunk says lossy, lossless or extended.

    private static func webp(_ bytes: Bytes) throws(ImagingError) -> Outcome {
        let payload = 20
        guard bytes.count >= payload + 10 else { throw damagedHeader }
        if bytes.matches(Array("VP8 ".utf8), at: 12) {
            guard bytes.matches([0x9D, 0x01, 0x2A], at: payload + 3) else { throw damagedHeader }
            let width = Int(bytes.uint16LE(at: payload + 6) & 0x3FFF)
            let height = Int(bytes.uint16LE(at: payload + 8) & 0x3FFF)
            return try sized(.webp, width: width, height: height)
        }
        if bytes.matches(Array("VP8L".utf8), at: 12) {
            guard bytes[payload] == 0x2F else { throw damagedHeader }
            let bits = bytes.uint32LE(at: payload + 1)
            return try sized(.webp, width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1)
        }
        if bytes.matches(Array("VP8X".utf8), at: 12) {
            return try sized(.webp, width: bytes.uint24LE(at: payload + 4) + 1,
                             height: bytes.uint24LE(at: payload + 7) + 1)
        }
        throw damagedHeader
    }

    // MARK: - HEIF family: the ftyp box names the brands the file conforms to.

    static let avifBrands: Set = ["avif", "avis"]
    static let heicBrands: Set = ["heic", "heix", "heim", "heis", "hevc", "hevx"]
    /// Generic HEIF still images and sequences: the codec is not named here.
    static let heifBrands: Set = ["mif1", "msf1", "mif2"]

    /// The format an `ftyp` box declares: the major brand decides, then the compatible
    /// brands, most specific first. MP4, QuickTime, CR3 and other ISO-BMFF files name none of
    /// these brands and are not images to us.
    private static func isoBrand(_ bytes: Bytes) -> ImageFormat? {
        let boxSize = Int(bytes.uint32BE(at: 0))
        // size, "ftyp", major brand, minor version, then four-byte compatible brands.
        guard boxSize >= 16, boxSize % 4 == 0, bytes.count >= 16 else { return nil }
        let major = String(decoding: bytes.slice(8, 4), as: UTF8.self)
        var compatible: [String] = []
        var offset = 16
        while offset + 4 <= min(boxSize, bytes.count) {
            compatible.append(String(decoding: bytes.slice(offset, 4), as: UTF8.self))
            offset += 4
        }
        if avifBrands.contains(major) { return .avif }
        if heicBrands.contains(major) { return .heic }
        if compatible.contains(where: avifBrands.contains) { return .avif }
        if compatible.contains(where: heicBrands.contains) { return .heic }
        if heifBrands.contains(major) || compatible.contains(where: heifBrands.contains) { return .heif }
        return nil
    }

    private static func sized(_ format: ImageFormat, width: Int, height: Int) throws(ImagingError) -> Outcome {
        guard width > 0, height > 0 else { throw damagedHeader }
        return .sized(format, width: width, height: height)
    }
}

/// Bounds-checked big- and little-endian reads over a file's bytes; reads past the end give 0.
private struct Bytes {
    let raw: UnsafeRawBufferPointer
    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var count: Int { raw.count }
    subscript(_ index: Int) -> UInt8 { index >= 0 && index < raw.count ? raw[index] : 0 }

    func starts(with prefix: [UInt8]) -> Bool { matches(prefix, at: 0) }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + expected.count <= raw.count else { return false }
        for (i, byte) in expected.enumerated() where raw[offset + i] != byte { return false }
        return true
    }

    func slice(_ offset: Int, _ length: Int) -> [UInt8] { (0..<length).map { self[offset + $0] } }

    func uint16BE(at i: Int) -> UInt16 { UInt16(self[i]) << 8 | UInt16(self[i + 1]) }
    func uint16LE(at i: Int) -> UInt16 { UInt16(self[i + 1]) << 8 | UInt16(self[i]) }
    func uint32BE(at i: Int) -> UInt32 { UInt32(uint16BE(at: i)) << 16 | UInt32(uint16BE(at: i + 2)) }
    func uint32LE(at i: Int) -> UInt32 { UInt32(uint16LE(at: i + 2)) << 16 | UInt32(uint16LE(at: i)) }
    func uint24LE(at i: Int) -> Int { Int(self[i]) | Int(self[i + 1]) << 8 | Int(self[i + 2]) << 16 }
}
