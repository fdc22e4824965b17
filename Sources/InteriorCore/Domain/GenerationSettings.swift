import Foundation

/// What the user asks the engine to do with the photo (or with only a prompt).
public enum GenerationMode: String, Codable, CaseIterable, Sendable {
    /// Restyle a photographed room and keep its architecture.
    case redesign
    /// Furnish an empty or sparse room.
    case staging
    /// A base room photo plus a second reference/object image.
    case compose
    /// Text only, no photo.
    case imagine

    /// How many input images the mode takes: exactly this many are required.
    public var inputImageCount: Int {
        switch self {
        case .redesign, .staging: 1
        case .compose: 2
        case .imagine: 0
        }
    }

    /// Imagine has nothing but the prompt to go on.
    public var requiresPrompt: Bool { self == .imagine }
}

/// The shape of the outputs. `match` keeps the input photo's proportions (photo modes only);
/// the others are the ratios image models commonly take, written as they take them.
public enum AspectRatio: String, Codable, CaseIterable, Sendable {
    case match
    case square = "1:1"
    case landscape = "3:2"
    case portrait = "2:3"
    case landscape4x3 = "4:3"
    case portrait3x4 = "3:4"
    case landscape5x4 = "5:4"
    case portrait4x5 = "4:5"
    case wide = "16:9"
    case tall = "9:16"
    case ultrawide = "21:9"

    /// Width and height as small integers (3:2 → (3, 2)); nil for `match`, whose shape is the photo's.
    public var components: (width: Int, height: Int)? {
        guard self != .match else { return nil }
        let parts = rawValue.split(separator: ":").compactMap { Int($0) }
        return (parts[0], parts[1])
    }

    /// Width over height; nil for `match`.
    public var ratio: Double? { components.map { Double($0.width) / Double($0.height) } }

    /// The ratios with a fixed shape, in the order above.
    public static let fixed: [AspectRatio] = allCases.filter { $0 != .match }

    /// The one of `candidates` closest in shape to `size` (by the logarithm of width over
    /// height, so 2:1 and 1:2 are equally far from 1:1); the first on a tie.
    public static func nearest(to size: ImageSize, among candidates: [AspectRatio]) -> AspectRatio? {
        let target = log(Double(size.width) / Double(size.height))
        return candidates.filter { $0 != .match }.min { a, b in
            abs(log(a.ratio!) - target) < abs(log(b.ratio!) - target)
        }
    }
}

public enum Quality: String, Codable, CaseIterable, Sendable {
    case auto, low, medium, high

    /// The long edge, in pixels, of a stored output at this tier (SPEC §5).
    public var longEdge: Int {
        switch self {
        case .low: 768
        case .auto, .medium: 1024
        case .high: 1536
        }
    }
}

/// The lifecycle of a generation job. `starting` and `processing` hold the owner's
/// one in-flight slot; the other three are terminal.
public enum JobStatus: String, Codable, CaseIterable, Sendable {
    case starting, processing, succeeded, failed, canceled

    public var isInFlight: Bool { self == .starting || self == .processing }
    public var isTerminal: Bool { !isInFlight }

    /// The SQL list used by the in-flight partial index and every in-flight query.
    public static let inFlight: [JobStatus] = [.starting, .processing]
}
