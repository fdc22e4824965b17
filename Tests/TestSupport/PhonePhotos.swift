import Foundation

/// HEIC, HEIF and AVIF photos as phones save them, made by `Python/phone_photo.py` with
/// pillow-heif and Pillow (the test virtualenv's): EXIF with a camera make, a GPS position and
/// an orientation, which the HEIF rotation box repeats as an iPhone's does.
public enum PhonePhotos {
    public enum Format: String, Sendable, CaseIterable {
        case heic, heif, avif
    }

    public enum Picture: String, Sendable {
        /// White, with the top-left quarter (as stored) red: shows where a rotation went.
        case quadrant
        /// Floor, wall, window and sofa: something the emulator can regrade.
        case room
        /// Random pixels: large files that do not compress.
        case noise
    }

    /// Stored `width`×`height`, shown rotated by EXIF `orientation` (6: a quarter turn clockwise).
    public static func make(_ format: Format, _ picture: Picture = .room, width: Int, height: Int,
                            orientation: Int = 1, gps: Bool = true) throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("phone-photo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("photo.\(format.rawValue)").path
        _ = try TestPython.run(file: script, ["make", format.rawValue, picture.rawValue, String(width), String(height),
                                              String(orientation), gps ? "1" : "0", out])
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        guard !data.isEmpty else { throw ToolFailure("phone_photo.py wrote no \(format.rawValue) file") }
        return data
    }

    /// What pillow-heif or Pillow decode from a photo of ours, upright.
    public struct View: Decodable, Sendable {
        public let width: Int
        public let height: Int
        public let pixels: [[Int]]
        public let exif: [String: String]
        public let gps: Bool
    }

    /// The outside decoders' upright view of `data`, sampling the "x,y" `points`.
    public static func view(_ data: Data, points: [String] = []) throws -> View {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("phone-view-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try JSONDecoder().decode(View.self, from: TestPython.run(file: script, ["view", file.path] + points))
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/phone_photo.py").path
}
