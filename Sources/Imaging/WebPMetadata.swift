import Foundation

/// Removes metadata chunks from a WebP file. libvips 8.14's WebP saver ignores `strip` and
/// always writes an EXIF chunk of its own making (resolution, orientation), so the file it
/// produces is cleaned here: EXIF, XMP and ICCP chunks go, and the extended header's flags
/// for them are cleared.
enum WebPMetadata {
    private static let dropped: Set<String> = ["EXIF", "XMP ", "ICCP"]
    static let iccFlag: UInt8 = 0x20, exifFlag: UInt8 = 0x08, xmpFlag: UInt8 = 0x04

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

extension WebPMetadata {
    /// Whether a WebP file is already what we would store, judged from its chunks: one still,
    /// lossy (`VP8 `) bitstream, optionally with alpha, no colour profile, no animation, no
    /// chunk we do not know, and an EXIF orientation (if any) that is upright. Its pixels are
    /// not checked here: the caller decodes it.
    static func isStorableAsItCame(_ data: Data) -> Bool {
        guard let chunks = chunks(data) else { return false }
        let known: Set<String> = ["VP8X", "VP8 ", "ALPH", "EXIF", "XMP "]
        guard chunks.allSatisfy({ known.contains($0.name) }),
              chunks.filter({ $0.name == "VP8 " }).count == 1 else { return false }
        if let header = chunks.first(where: { $0.name == "VP8X" }) {
            let animationFlag: UInt8 = 0x02
            guard let flags = header.body.first, flags & (iccFlag | animationFlag) == 0 else { return false }
        }
        if let exif = chunks.first(where: { $0.name == "EXIF" }) {
            guard let orientation = ExifOrientation.read(exif.body), orientation == 1 else { return false }
        }
        return true
    }

    /// The chunks of a well-formed RIFF WebP file, or nil.
    static func chunks(_ data: Data) -> [(name: String, body: ArraySlice<UInt8>)]? {
        let bytes = [UInt8](data)
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46],
              bytes[8..<12] == [0x57, 0x45, 0x42, 0x50] else { return nil }
        var found: [(String, ArraySlice<UInt8>)] = []
        var offset = 12
        while offset + 8 <= bytes.count {
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
                | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            guard offset + 8 + size <= bytes.count else { return nil }
            found.append((String(decoding: bytes[offset..<offset + 4], as: UTF8.self), bytes[(offset + 8)..<(offset + 8 + size)]))
            offset += 8 + size + (size & 1)
        }
        return offset >= bytes.count ? found : nil
    }
}

/// The orientation tag (274) of an EXIF block, read from IFD0.
enum ExifOrientation {
    /// 1...8, 1 when the block has no orientation tag, nil when the block cannot be read.
    static func read(_ block: ArraySlice<UInt8>) -> Int? {
        var tiff = Array(block)
        if tiff.starts(with: Array("Exif".utf8) + [0, 0]) { tiff.removeFirst(6) }
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func uint(_ at: Int, _ count: Int) -> Int? {
            guard at >= 0, at + count <= tiff.count else { return nil }
            let slice = tiff[at..<at + count]
            return (little ? slice.reversed() : Array(slice)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard let ifd = uint(4, 4), let entries = uint(ifd, 2) else { return nil }
        for index in 0..<entries {
            let entry = ifd + 2 + index * 12
            guard let tag = uint(entry, 2) else { return nil }
            if tag == 274 {
                guard let value = uint(entry + 8, 2), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return 1
    }
}
