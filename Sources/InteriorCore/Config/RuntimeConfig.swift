import Foundation

/// A room type or any other id/label pair the UI shows.
public struct Preset: Codable, Equatable, Sendable {
    public let id: String
    public let label: String
}

/// A style: what the UI shows (`label`) and what the prompt says (`seed`).
public struct StylePreset: Codable, Equatable, Sendable {
    public let id: String
    public let label: String
    public let seed: String
}

/// A billing plan. Every plan allows one job in flight (a database rule, not a setting).
public struct Plan: Codable, Equatable, Sendable {
    public let id: String
    public let label: String
    public let monthlyGenerations: Int
}

public struct GenerationDefaults: Codable, Equatable, Sendable {
    public var mode: GenerationMode = .redesign
    /// `match` keeps the photo's shape; a mode or model that cannot take the default gets
    /// the first ratio it offers instead (imagine has no photo to match: 1:1).
    public var aspectRatio: AspectRatio = .match
    public var quality: Quality = .auto
    public var variants: Int = 2
}

public struct Limits: Codable, Equatable, Sendable {
    public var maxVariants = 3
    public var maxUploadBytes = 15 * 1024 * 1024
    /// Upload types, as sniffed from the bytes. HEIC/HEIF/AVIF (phone photos) are stored as JPEG.
    public var acceptedMimeTypes = Limits.supportedMimeTypes
    public var maxMegapixels = 40
    public var minShortEdge = 256
    public var maxPromptLength = 1000
    /// Requests a minute each signed-in user may make (bursts up to the same number); 0 is off.
    public var requestsPerMinute = 120
    /// Bytes of submit bodies the process holds at once, in all (503 beyond) and per user
    /// (429 beyond); each must fit one whole submit (two uploads and the text fields).
    public var maxBodyBytesInFlight = 512 * 1024 * 1024
    public var maxBodyBytesInFlightPerUser = 64 * 1024 * 1024

    /// The most a submit body may carry: two uploads and room for the text fields.
    public var maxSubmitBodyBytes: Int { maxUploadBytes * 2 + Limits.submitFieldsAllowance }
    public static let submitFieldsAllowance = 64 * 1024

    /// Every type `acceptedMimeTypes` may list: what the imaging module can sniff and read.
    public static let supportedMimeTypes = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif"]

    public var maxPixels: Int { maxMegapixels * 1_000_000 }
}

/// Every duration the engine waits for, in seconds.
public struct Timeouts: Codable, Equatable, Sendable {
    /// One HTTP request to Replicate.
    public var replicateRequest: Double = 20
    /// The opportunistic poll made by `GET /generations/{id}`.
    public var statusPoll: Double = 3
    /// A job not polled for this long is polled again by the status endpoint.
    public var stalePollThreshold: Double = 5
    /// Jobs in flight for longer than this are failed with `TIMEOUT`.
    public var stuckCutoff: Double = 600
    /// Lifetime of the signed URLs Replicate reads the inputs through.
    public var inputSignedURLTTL: Double = 600
    /// How often each instance's reconciler runs.
    public var sweeperInterval: Double = 60
    /// A job in flight that has not changed for this long is polled by the reconciler.
    public var reconcileAfter: Double = 120
    /// How long an inbox claim lasts unless its worker renews it (every third of it, while it
    /// works): what a crashed instance's work waits before another takes it up.
    public var inboxLease: Double = 15
    /// The longest pause allowed while a request body is arriving (a stalled upload is 408).
    public var requestBodyIdle: Double = 30

    public init() {}
}

/// The product knobs of SPEC §3: presets, plans, limits and timeouts. Each default is written
/// once, here; the file's keys are laid over them (`RuntimeConfig.parse`).
public struct RuntimeConfig: Codable, Equatable, Sendable {
    public var modes: [GenerationMode] = GenerationMode.allCases
    public var defaults = GenerationDefaults()
    public var roomTypes: [Preset] = RuntimeConfig.builtInRoomTypes
    public var styles: [StylePreset] = RuntimeConfig.builtInStyles
    public var limits = Limits()
    public var plans: [Plan] = RuntimeConfig.builtInPlans
    /// The plan of a profile with no plan, or with a plan id this config does not know.
    public var defaultPlanId = "free"
    public var timeouts = Timeouts()
    /// Model profiles added to the built-in ones, or replacing one of the same id.
    public var models: [ModelProfile] = []

    public init() {}

    // MARK: Lookups

    /// Every profile `REPLICATE_MODEL` may name: the built-in ones, each replaced by a
    /// configured profile of the same id, then the configured ones that are new.
    public var modelProfiles: [ModelProfile] {
        let configured = Dictionary(models.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let builtIn = ModelProfile.builtIn.map { configured[$0.id] ?? $0 }
        let added = models.filter { profile in !ModelProfile.builtIn.contains { $0.id == profile.id } }
        return builtIn + added
    }

    /// The profile of a model id, ignoring case and surrounding spaces.
    public func modelProfile(named id: String) -> ModelProfile? { modelProfiles.first { $0.id == Self.matchKey(id) } }

    /// The plan a profile is on: its own if known, else the default plan.
    public func plan(id: String?) -> Plan {
        if let id, let plan = plans.first(where: { $0.id == id }) { return plan }
        return plans.first(where: { $0.id == defaultPlanId })!
    }

    /// A room type by id or label, case-insensitively (SPEC §3).
    public func roomType(matching text: String) -> Preset? {
        roomTypes.first { [$0.id, $0.label].map(Self.matchKey).contains(Self.matchKey(text)) }
    }

    /// A style by id or label, case-insensitively (SPEC §3).
    public func style(matching text: String) -> StylePreset? {
        styles.first { [$0.id, $0.label].map(Self.matchKey).contains(Self.matchKey(text)) }
    }

    /// How ids and labels are compared: ignoring case and surrounding spaces.
    private static func matchKey(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
}

// MARK: - Built-in presets

extension RuntimeConfig {
    public static let builtInRoomTypes: [Preset] = [
        Preset(id: "living_room", label: "Living Room"),
        Preset(id: "kitchen", label: "Kitchen"),
        Preset(id: "bedroom", label: "Bedroom"),
        Preset(id: "bathroom", label: "Bathroom"),
        Preset(id: "home_office", label: "Home Office"),
        Preset(id: "dining_room", label: "Dining Room"),
        Preset(id: "alfresco", label: "Alfresco / Patio"),
        Preset(id: "granny_flat", label: "Granny Flat"),
        Preset(id: "laundry", label: "Laundry"),
        Preset(id: "kids_room", label: "Kids Room"),
    ]

    /// Id, label and the prompt's words for each.
    public static let builtInStyles: [StylePreset] = [
        ("coastal_au", "Coastal AU", "light timbers, white walls, linen, pale blues and greens"),
        ("contemporary_au", "Contemporary AU", "clean lines, matte finishes, warm neutrals"),
        ("hamptons_au", "Hamptons AU", "crisp white joinery, navy accents, rattan, shaker profiles"),
        ("japandi", "Japandi", "natural woods, minimal forms, soft contrast"),
        ("scandi_au", "Scandi AU", "light oak, white and soft grey, cosy textiles"),
        ("minimal_au", "Minimal AU", "restrained palette, functional layout, hidden storage"),
        ("midcentury_au", "Mid-Century AU", "teak, low profiles, muted colour pops"),
        ("industrial_au", "Industrial AU", "concrete, black metal, leather, exposed brick"),
        ("queenslander", "Queenslander", "VJ panelling, high ceilings, timber fretwork, breezy verandah feel"),
        ("modern_farmhouse_au", "Modern Farmhouse AU", "shiplap, warm timber, matte black fittings"),
    ].map { StylePreset(id: $0, label: $1, seed: $2) }

    public static let builtInPlans: [Plan] = [
        Plan(id: "free", label: "Free", monthlyGenerations: 10),
        Plan(id: "starter", label: "Starter", monthlyGenerations: 150),
        Plan(id: "advanced", label: "Advanced", monthlyGenerations: 600),
    ]
}
