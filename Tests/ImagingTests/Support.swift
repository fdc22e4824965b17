import Foundation
import Testing
@_exported import TestSupport

/// Runs the independent tools the tests check our output with: Pillow (through the test
/// virtualenv's Python) and exiftool. A missing tool makes the test fail.
enum Tools {
    /// Runs `executable` (looked up on PATH) and returns its standard output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        try ProcessRunner.checked(executable, arguments)
    }

    /// Runs the Pillow helper below with `arguments`.
    static func pillow(_ arguments: [String]) throws -> Data {
        try TestPython.run(script: pillowScript, arguments)
    }

    /// exiftool's view of a file: every tag, keyed "Group:Tag" (family 0 groups).
    static func exiftool(_ path: String) throws -> [String: Any] {
        let json = try run("exiftool", ["-json", "-G0", "-a", "-u", path])
        guard let list = try JSONSerialization.jsonObject(with: json) as? [[String: Any]], let tags = list.first else {
            throw ToolFailure("exiftool gave no JSON for \(path)")
        }
        return tags
    }

    static let pillowScript = #"""
import io, json, os, struct, sys
from PIL import Image, ImageCms

def gradient(w, h, alpha=False):
    ramp = Image.linear_gradient("L")
    bands = [ramp.rotate(90).resize((w, h)), ramp.resize((w, h)), Image.new("L", (w, h), 128)]
    if alpha:
        bands.append(Image.new("L", (w, h), 200))
    return Image.merge("RGBA" if alpha else "RGB", bands)

def quadrant_marked(w, h):
    img = Image.new("RGB", (w, h), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, w // 2, h // 2))
    return img

def swapped_profile():
    # sRGB with the red and blue colourant tags exchanged: what the file calls red is blue.
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    entries = {}
    for i in range(count):
        at = 132 + 12 * i
        entries[bytes(data[at:at + 4])] = at
    r, b = entries[b"rXYZ"], entries[b"bXYZ"]
    data[r + 4:r + 12], data[b + 4:b + 12] = data[b + 4:b + 12], data[r + 4:r + 12]
    data[84:100] = bytes(16)
    return bytes(data)

def make(kind, path, *args):
    if kind == "gradient":
        fmt, w, h = args[0], int(args[1]), int(args[2])
        options = set(args[3:])
        img = gradient(w, h, "alpha" in options)
        save = {"format": fmt.upper()}
        if "lossless" in options:
            save["lossless"] = True
        img.save(path, **save)
    elif kind == "webp-as-model":
        # A lossy WebP as an image model returns it, with what encoders add: EXIF (and an
        # orientation), XMP, an ICC profile, or a second frame, as the options say.
        w, h = int(args[0]), int(args[1])
        options = set(args[2:])
        exif = Image.Exif()
        exif[274] = 6 if "rotated" in options else 1
        exif[305] = "model-encoder 1.0"
        save = {"format": "WEBP", "quality": 82, "exif": exif.tobytes(),
                "xmp": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'}
        if "icc" in options:
            save["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        if "lossless" in options:
            save["lossless"] = True
        img = gradient(w, h)
        if "animated" in options:
            save["save_all"] = True
            save["append_images"] = [gradient(w, h).rotate(180)]
        img.save(path, **save)
    elif kind == "solid":
        fmt, w, h, colour = args[0], int(args[1]), int(args[2]), tuple(int(c) for c in args[3].split(","))
        img = Image.new("RGB", (w, h), colour)
        img = img.convert(args[4]) if len(args) > 4 else img
        img.save(path, format=fmt.upper(), **({"quality": 95} if fmt == "jpeg" else {}))
    elif kind == "noise":
        fmt, w, h = args[0], int(args[1]), int(args[2])
        Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(path, format=fmt.upper())
    elif kind == "orientation6":
        exif = Image.Exif()
        exif[274] = 6
        quadrant_marked(120, 80).save(path, "JPEG", quality=95, exif=exif.tobytes())
    elif kind == "swapped-icc":
        Image.new("RGB", (64, 48), (255, 0, 0)).save(path, "JPEG", quality=95, icc_profile=swapped_profile())
    else:
        raise SystemExit("unknown fixture " + kind)

def inspect(path, *points):
    img = Image.open(path)
    img.load()
    out = {
        "format": img.format, "width": img.width, "height": img.height, "mode": img.mode,
        "icc": bool(img.info.get("icc_profile")),
        "exif": {str(k): str(v) for k, v in img.getexif().items()},
        "xmp": bool(img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")),
    }
    rgb = img.convert("RGB")
    out["pixels"] = [list(rgb.getpixel((int(p.split(",")[0]), int(p.split(",")[1])))) for p in points]
    if out["icc"]:
        source = ImageCms.ImageCmsProfile(io.BytesIO(img.info["icc_profile"]))
        converted = ImageCms.profileToProfile(img.convert("RGB"), source, ImageCms.createProfile("sRGB"))
        out["srgbPixels"] = [list(converted.getpixel((int(p.split(",")[0]), int(p.split(",")[1])))) for p in points]
    stats = rgb.resize((1, 1), Image.BOX).getpixel((0, 0))
    out["mean"] = list(stats)
    print(json.dumps(out))

def dark(path, top, bottom, threshold):
    rgb = Image.open(path).convert("L")
    w, h = rgb.size
    count = sum(1 for y in range(int(top), int(bottom)) for x in range(w) if rgb.getpixel((x, y)) < int(threshold))
    print(json.dumps({"dark": count}))

command, rest = sys.argv[1], sys.argv[2:]
{"make": make, "inspect": inspect, "dark": dark}[command](*rest)
"""#
}

/// Pillow's reading of an image file.
struct PillowView: Decodable {
    let format: String
    let width: Int
    let height: Int
    let mode: String
    let icc: Bool
    let exif: [String: String]
    let xmp: Bool
    let pixels: [[Int]]
    let srgbPixels: [[Int]]?
    let mean: [Int]
}

/// A scratch directory for one test's files, removed afterwards.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// A fixture drawn by Pillow (see `make` in the helper script).
    func pillowFixture(_ name: String, _ kind: String, _ arguments: String...) throws -> Data {
        try pillowFixture(name, kind, arguments)
    }

    func pillowFixture(_ name: String, _ kind: String, _ arguments: [String]) throws -> Data {
        _ = try Tools.pillow(["make", kind, path(name)] + arguments)
        return try Data(contentsOf: URL(fileURLWithPath: path(name)))
    }

    func write(_ data: Data, _ name: String) throws -> String {
        try data.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Writes `data` and asks Pillow what it holds; `points` are "x,y" pixels to sample.
    func inspect(_ data: Data, _ name: String, points: [String] = []) throws -> PillowView {
        let file = try write(data, name)
        return try JSONDecoder().decode(PillowView.self, from: Tools.pillow(["inspect", file] + points))
    }

    /// How many pixels in rows top..<bottom are darker than `threshold` (Pillow's count).
    func darkPixels(_ data: Data, _ name: String, rows: Range<Int>, threshold: Int) throws -> Int {
        let file = try write(data, name)
        let json = try Tools.pillow(["dark", file, String(rows.lowerBound), String(rows.upperBound), String(threshold)])
        struct Count: Decodable { let dark: Int }
        return try JSONDecoder().decode(Count.self, from: json).dark
    }
}

enum Magic {
    static func isWebP(_ data: Data) -> Bool {
        data.count > 12 && data.prefix(4) == Data("RIFF".utf8) && data.dropFirst(8).prefix(4) == Data("WEBP".utf8)
    }

    static func isPNG(_ data: Data) -> Bool {
        data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    static func isJPEG(_ data: Data) -> Bool { data.prefix(3) == Data([0xFF, 0xD8, 0xFF]) }
}
