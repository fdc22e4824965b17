import Foundation

/// Removes metadata chunks from a WebP file. libvips 8.14's WebP saver ignores `strip` and
/// always writes an EXIF chunk of its own making (resolution, orientation), so the file it
/// produces is cleaned here: EXIF, XMP and ICCP chunks go, and the extended header's flags
/// for them are cleared.
enum WebPMetadata {
    private static let dropped: Set<String> = ["EXIF", "XMP ", "ICCP"]
    private static let iccFlag: UInt8 = 0x20, exifFlag: UInt8 = 0x08, xmpFlag: UInt8 = 0x04

    /// The same image without metadata, or nil if `data` is not a well-formed WebP file.
    static func stripped(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46],
              bytes[8..<12] == [0x57, 0x45, 0x42, 0x50] else { return nil }

        var body: [UInt8] = Array("WEBP".utf8)
        var offset = 12
        while offset + 8 <= bytes.count {
            let fourCC = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
                | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let end = offset + 8 + size + (size & 1)
            guard offset + 8 + size <= bytes.count else { return nil }
            if !dropped.contains(fourCC) {
                var chunk = Array(bytes[offset..<min(end, bytes.count)])
                if fourCC == "VP8X", chunk.count > 8 {
                    chunk[8] &= ~(iccFlag | exifFlag | xmpFlag)
                }
                if chunk.count < end - offset { chunk.append(0) }
                body += chunk
            }
            offset = end
        }
        guard offset >= bytes.count else { return nil }

        var output = Data("RIFF".utf8)
        let riffSize = UInt32(body.count)
        output.append(contentsOf: [UInt8(riffSize & 0xFF), UInt8((riffSize >> 8) & 0xFF),
                                   UInt8((riffSize >> 16) & 0xFF), UInt8(riffSize >> 24)])
        output.append(contentsOf: body)
        return output
    }
}
