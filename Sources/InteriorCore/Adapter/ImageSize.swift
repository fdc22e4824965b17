/// A width and height in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var longEdge: Int { max(width, height) }

    public var description: String { "\(width)×\(height)" }

    /// The size an output is generated (by models that take a width and height) and stored
    /// at (SPEC §5, §7): the quality tier's long edge (768, 1024, 1536) on the aspect ratio's
    /// long side, the short side in proportion, both rounded to a multiple of 16. `match`
    /// takes the proportions of `inputSize` (square without one).
    public static func target(aspectRatio: AspectRatio, quality: Quality, inputSize: ImageSize? = nil) -> ImageSize {
        let (w, h) = aspectRatio.components ?? inputSize.map { ($0.width, $0.height) } ?? (1, 1)
        let long = Double(quality.longEdge)
        let short = long * Double(min(w, h)) / Double(max(w, h))
        let size = (long: roundedTo16(long), short: roundedTo16(short))
        return w >= h ? ImageSize(width: size.long, height: size.short) : ImageSize(width: size.short, height: size.long)
    }

    /// The nearest multiple of 16 (halves round up), never below 16.
    static func roundedTo16(_ value: Double) -> Int {
        max(16, Int((value / 16).rounded(.toNearestOrAwayFromZero)) * 16)
    }
}
