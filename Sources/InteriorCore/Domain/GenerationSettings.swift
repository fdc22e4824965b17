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

public enum AspectRatio: String, Codable, CaseIterable, Sendable {
    case square = "1:1"
    case landscape = "3:2"
    case portrait = "2:3"

    /// Width and height as small integers (3:2 → (3, 2)).
    public var components: (width: Int, height: Int) {
        switch self {
        case .square: (1, 1)
        case .landscape: (3, 2)
        case .portrait: (2, 3)
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
