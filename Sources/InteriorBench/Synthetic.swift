import CVipsShim
import Foundation

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Inputs made in-process, so the run needs no fixture files or outside tools: a photo-like
/// room picture drawn in Swift and encoded by libvips, a JPEG with an EXIF orientation tag,
/// and a decompression-bomb PNG.
enum Synthetic {
    // MARK: - A photo-like picture

    /// Wall, window, sofa and plank floor with a little per-pixel noise, so encoders meet
    /// roughly the entropy of a photograph rather than of flat colour. As PNG scanlines
    /// (filter byte 0, then RGB).
    static func roomScanlines(width: Int, height: Int) -> [UInt8] {
        let stride = 1 + 3 * width
        var bytes = [UInt8](repeating: 0, count: stride * height)
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
        let horizon = height * 62 / 100
        let sofa = (left: width * 20 / 100, right: width * 68 / 100, top: height * 46 / 100, bottom: height * 72 / 100)
        let window = (left: width * 72 / 100, right: width * 92 / 100, top: height * 10 / 100, bottom: height * 46 / 100)
        let plank = max(8, width / 32)
        bytes.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = y * stride
                let fade = Double(y) / Double(max(1, horizon))
                for x in 0..<width {
                    var (r, g, b): (Double, Double, Double)
                    if y >= horizon {
                        let tone = Double((x / plank) * 37 % 23) - 11
                        let seam = x % plank == 0 ? -40.0 : 0
                        let grain = 6 * sin(Double(x) * 0.9 + Double(y) * 0.05)
                        (r, g, b) = (150 + tone + seam + grain, 110 + tone + seam + grain, 76 + tone / 2 + seam)
                    } else if (window.left..<window.right).contains(x), (window.top..<window.bottom).contains(y) {
                        let mullion = abs(x - (window.left + window.right) / 2) < 6 ? -120.0 : 0
                        (r, g, b) = (242 + mullion, 246 + mullion, 250 + mullion)
                    } else {
                        (r, g, b) = (236 - 22 * fade, 228 - 24 * fade, 214 - 26 * fade)
                    }
                    if (sofa.left..<sofa.right).contains(x), (sofa.top..<sofa.bottom).contains(y) {
                        let cushion = y < (sofa.top + sofa.bottom) / 2 && (x - sofa.left) % (width / 8) < 8 ? -25.0 : 0
                        (r, g, b) = (88 + cushion, 104 + cushion, 94 + cushion)
                    }
                    random ^= random << 13
                    random ^= random >> 7
                    random ^= random << 17
                    let noise = Double(Int(random & 0x0F)) - 7.5
                    let at = row + 1 + 3 * x
                    out[at] = clamp(r + noise)
                    out[at + 1] = clamp(g + noise)
                    out[at + 2] = clamp(b + noise * 0.8)
                }
            }
        }
        return bytes
    }

    private static func clamp(_ value: Double) -> UInt8 {
        UInt8(min(255, max(0, value.rounded())))
    }

    /// The room as an uncompressed PNG (stored deflate blocks): a container libvips can read,
    /// written without a compressor of our own.
    static func uncompressedPNG(width: Int, height: Int) -> Data {
        let scanlines = roomScanlines(width: width, height: height)
        var zlib = Data([0x78, 0x01])
        zlib.reserveCapacity(scanlines.count + scanlines.count / 65_535 * 5 + 16)
        var offset = 0
        repeat {
            let length = min(65_535, scanlines.count - offset)
            let final: UInt8 = offset + length == scanlines.count ? 1 : 0
            zlib.append(final)
            zlib.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
            zlib.append(contentsOf: [UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)])
            zlib.append(contentsOf: scanlines[offset..<(offset + length)])
            offset += length
        } while offset < scanlines.count
        appendBigEndian(&zlib, adler32(scanlines))

        var header = Data()
        appendBigEndian(&header, UInt32(width))
        appendBigEndian(&header, UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // 8-bit RGB, deflate, no interlace
        return pngSignature + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", Data())
    }

    // MARK: - Encoding through libvips

    /// `png` re-encoded by libvips with all metadata stripped (`quality` is ignored for PNG).
    static func encode(_ png: Data, as format: cvips_save_format, quality: Int) throws -> Data {
        try png.withUnsafeBytes { raw in
            guard let image = cvips_header_from_buffer(raw.baseAddress, raw.count) else {
                cvips_error_clear()
                throw BenchFailure("libvips could not read the synthetic PNG")
            }
            defer { cvips_unref(image) }
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            guard cvips_save(image, Int32(format.rawValue), Int32(quality), &buffer, &length) == 0, let buffer else {
                cvips_error_clear()
                throw BenchFailure("libvips could not encode the synthetic picture")
            }
            defer { cvips_free_buffer(buffer) }
            return Data(bytes: buffer, count: length)
        }
    }

    // MARK: - EXIF orientation

    /// `jpeg` with an APP1 EXIF segment holding only Orientation = `orientation`, placed
    /// after SOI and the JFIF segment, where cameras put it.
    static func withOrientation(_ jpeg: Data, _ orientation: UInt16) throws -> Data {
        let bytes = [UInt8](jpeg)
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { throw BenchFailure("not a JPEG") }
        var insertAt = 2
        if bytes[2] == 0xFF, bytes[3] == 0xE0 {
            insertAt = 4 + Int(bytes[4]) << 8 + Int(bytes[5])
        }
        var tiff: [UInt8] = Array("MM".utf8) + [0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]
        tiff += [0x00, 0x01]  // one IFD0 entry
        tiff += [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]  // Orientation, SHORT, count 1
        tiff += [UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0x00, 0x00]
        tiff += [0x00, 0x00, 0x00, 0x00]  // no next IFD
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Data(bytes[..<insertAt] + segment + bytes[insertAt...])
    }

    // MARK: - A decompression bomb

    /// A PNG whose header declares `width`×`height` RGB, followed by `bodyBytes` of IDAT —
    /// about what that many pixels of one colour deflate to. The body is filler: nothing that
    /// honours the header limit ever reads past the IHDR chunk.
    static func pngBomb(width: Int, height: Int, bodyBytes: Int) -> Data {
        var header = Data()
        appendBigEndian(&header, UInt32(width))
        appendBigEndian(&header, UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])
        return pngSignature + chunk("IHDR", header) + chunk("IDAT", Data(count: bodyBytes)) + chunk("IEND", Data())
    }

    // MARK: - PNG plumbing

    private static let pngSignature = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

    private static func chunk(_ type: String, _ body: Data) -> Data {
        var out = Data()
        appendBigEndian(&out, UInt32(body.count))
        let typed = Data(type.utf8) + body
        out.append(typed)
        appendBigEndian(&out, crc32(typed))
        return out
    }

    private static func appendBigEndian(_ data: inout Data, _ value: UInt32) {
        data.append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBytes { raw in
            for byte in raw { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var index = 0
        // 5552 bytes is the longest run whose sums cannot overflow 32 bits before the modulo.
        while index < bytes.count {
            let end = min(bytes.count, index + 5552)
            for i in index..<end {
                a &+= UInt32(bytes[i])
                b &+= a
            }
            a %= 65_521
            b %= 65_521
            index = end
        }
        return b << 16 | a
    }
}
