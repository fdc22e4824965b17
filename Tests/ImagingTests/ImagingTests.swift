import Foundation
import Testing
@testable import Imaging

/// Every Imaging suite nests in here so they run one at a time: the memory, leak and
/// limiter tests measure the whole process and must not see another test's images.
@Suite(.serialized) struct ImagingTests {}

/// Waits for a condition another thread will make true, failing after `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        if clock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// The error `body` throws, or nil if it succeeds.
func imagingError(_ body: () throws(ImagingError) -> Void) -> ImagingError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

func imagingError(_ body: () async throws(ImagingError) -> Void) async -> ImagingError? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

extension ImagingError {
    var isUnsupportedImage: Bool {
        if case .unsupportedImage = self { return true }
        return false
    }

    var isDamagedImage: Bool {
        if case .damagedImage = self { return true }
        return false
    }
}

/// Hand-made headers: a valid signature and size fields, no pixel data behind them.
enum CraftedHeader {
    static func png(width: UInt32, height: UInt32) -> Data {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var ihdr = Data("IHDR".utf8)
        ihdr.append(bigEndian: width)
        ihdr.append(bigEndian: height)
        ihdr.append(contentsOf: [8, 2, 0, 0, 0])  // 8-bit RGB, deflate, no filter, no interlace
        data.append(bigEndian: UInt32(13))
        data.append(ihdr)
        data.append(bigEndian: crc32(ihdr))
        return data
    }

    static func jpeg(width: UInt16, height: UInt16) -> Data {
        var data = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10])
        data.append(contentsOf: Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
        data.append(contentsOf: [0xFF, 0xC0, 0x00, 0x11, 0x08])
        data.append(bigEndian: height)
        data.append(bigEndian: width)
        data.append(contentsOf: [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
        return data
    }

    static func webpExtended(width: Int, height: Int) -> Data {
        var data = Data("RIFF".utf8)
        data.append(contentsOf: [30, 0, 0, 0])
        data.append(contentsOf: Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0])
        for value in [width - 1, height - 1] {
            data.append(contentsOf: [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF)])
        }
        return data
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

extension Data {
    mutating func append<T: FixedWidthInteger>(bigEndian value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

/// The resident set size of this process, from /proc/self/statm.
func residentBytes() throws -> Int {
    let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else {
        throw ToolFailure("unreadable /proc/self/statm: \(statm)")
    }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
