import Foundation

/// How one Replicate model is called (SPEC §7), as a declaration: which fields its input has,
/// the values they take, how many images go in and come out. One generic mapper builds a
/// prediction's input from it (`input(for:...)`) and the same declaration reads an input back
/// (`interpret`, what the emulator uses). Built-in profiles ship in `ModelProfile+BuiltIn`; the
/// runtime config may add or override profiles with the same shape (JSON or YAML).
public struct ModelProfile: Codable, Equatable, Sendable, CustomStringConvertible {
    /// `owner/name`, as in `POST /models/{owner}/{name}/predictions`; what `REPLICATE_MODEL` names.
    public var id: String
    /// A pinned version id (64 hex digits). Set: predictions are created with
    /// `POST /predictions` and `version: owner/name:version`; absent: the official model's latest.
    public var version: String?
    /// What the model is called in docs and the web page.
    public var label: String
    /// The text field of the prompt.
    public var promptField: String
    /// The input image field; absent for a text-only model.
    public var images: ImageField?
    /// The shape field; absent when the model decides the shape itself.
    public var aspectRatio: AspectRatioField?
    /// The field that asks for several images in one prediction; absent: one image per prediction.
    public var outputCount: OutputCountField?
    /// The output format we ask for.
    public var outputFormat: FormatField?
    /// The quality tiers offered, and the size or quality value sent for each.
    public var quality: QualityField
    /// Inputs sent unchanged with every prediction, in this order.
    public var constants: [ConstantInput]
    /// Inputs filled from the operator's secrets (an API key the model bills through).
    public var secrets: [SecretInput]
    /// Whether the output is one URI or a list of URIs.
    public var output: OutputShape

    public struct ImageField: Codable, Equatable, Sendable {
        public var field: String
        /// A list of URIs (`["…"]`) rather than one URI string.
        public var list: Bool
        /// The most images one prediction takes.
        public var max: Int
        /// The model refuses a prediction without an image (so it cannot serve imagine).
        public var required: Bool

        public init(field: String, list: Bool, max: Int, required: Bool = false) {
            self.field = field
            self.list = list
            self.max = max
            self.required = required
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            field = try c.decode(String.self, forKey: .field)
            list = try c.decode(Bool.self, forKey: .list)
            max = try c.decode(Int.self, forKey: .max)
            required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        }
    }

    public struct AspectRatioField: Codable, Equatable, Sendable {
        public var field: String
        /// The fixed ratios the model takes, sent as written ("3:2").
        public var values: [AspectRatio]
        /// The value that keeps the input image's shape (`match_input_image`), if the model has one.
        public var matchValue: String?

        public init(field: String, values: [AspectRatio], matchValue: String? = nil) {
            self.field = field
            self.values = values
            self.matchValue = matchValue
        }
    }

    public struct OutputCountField: Codable, Equatable, Sendable {
        public var field: String
        /// The most images one prediction returns.
        public var max: Int

        public init(field: String, max: Int) {
            self.field = field
            self.max = max
        }
    }

    public struct FormatField: Codable, Equatable, Sendable {
        public var field: String
        /// What we ask for.
        public var value: String
        /// Every value the model takes (what the emulator accepts from other callers).
        public var accepted: [String]

        public init(field: String, value: String, accepted: [String]) {
            self.field = field
            self.value = value
            self.accepted = accepted
        }
    }

    public struct QualityField: Codable, Equatable, Sendable {
        /// The field the tier's value goes into; absent when the model has no size or quality
        /// setting (the tier then only decides the stored size).
        public var field: String?
        /// The tiers this model can honestly serve, in `Quality.allCases` order.
        public var tiers: [Quality]
        /// The value sent for each tier (by tier name); a tier without one sends nothing.
        public var values: [String: String]

        public init(field: String? = nil, tiers: [Quality], values: [Quality: String] = [:]) {
            self.field = field
            self.tiers = tiers
            self.values = Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) })
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            field = try c.decodeIfPresent(String.self, forKey: .field)
            tiers = try c.decode([Quality].self, forKey: .tiers)
            values = try c.decodeIfPresent([String: String].self, forKey: .values) ?? [:]
        }

        public func value(for tier: Quality) -> String? { values[tier.rawValue] }
    }

    public struct ConstantInput: Codable, Equatable, Sendable {
        public var field: String
        public var value: InputValue

        public init(_ field: String, _ value: InputValue) {
            self.field = field
            self.value = value
        }
    }

    public struct SecretInput: Codable, Equatable, Sendable {
        public var field: String
        /// The environment variable holding the value (`OPENAI_API_KEY`).
        public var from: String
        /// The model refuses predictions without it: the server does not start without it.
        public var required: Bool

        public init(field: String, from: String, required: Bool) {
            self.field = field
            self.from = from
            self.required = required
        }
    }

    public enum OutputShape: String, Codable, Equatable, Sendable {
        /// One URI string.
        case uri
        /// A list of URIs, even for one image.
        case uris
    }

    public init(
        id: String, version: String? = nil, label: String, promptField: String = "prompt", images: ImageField?,
        aspectRatio: AspectRatioField?, outputCount: OutputCountField? = nil, outputFormat: FormatField?,
        quality: QualityField, constants: [ConstantInput] = [], secrets: [SecretInput] = [], output: OutputShape
    ) {
        self.id = id
        self.version = version
        self.label = label
        self.promptField = promptField
        self.images = images
        self.aspectRatio = aspectRatio
        self.outputCount = outputCount
        self.outputFormat = outputFormat
        self.quality = quality
        self.constants = constants
        self.secrets = secrets
        self.output = output
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? id
        promptField = try c.decodeIfPresent(String.self, forKey: .promptField) ?? "prompt"
        images = try c.decodeIfPresent(ImageField.self, forKey: .images)
        aspectRatio = try c.decodeIfPresent(AspectRatioField.self, forKey: .aspectRatio)
        outputCount = try c.decodeIfPresent(OutputCountField.self, forKey: .outputCount)
        outputFormat = try c.decodeIfPresent(FormatField.self, forKey: .outputFormat)
        quality = try c.decode(QualityField.self, forKey: .quality)
        constants = try c.decodeIfPresent([ConstantInput].self, forKey: .constants) ?? []
        secrets = try c.decodeIfPresent([SecretInput].self, forKey: .secrets) ?? []
        output = try c.decode(OutputShape.self, forKey: .output)
    }

    public var owner: String { String(id.split(separator: "/", maxSplits: 1).first ?? "") }
    public var name: String { String(id.split(separator: "/", maxSplits: 1).last ?? "") }
    public var description: String { id }

    // MARK: What the model can do

    /// The most input images one prediction takes.
    public var maxInputImages: Int { images?.max ?? 0 }

    /// The most images one prediction returns.
    public var maxOutputsPerPrediction: Int { outputCount?.max ?? 1 }

    /// The modes this model can serve, in `GenerationMode.allCases` order: enough image slots
    /// for the mode's photos, no required image for imagine, and for imagine a shape to ask for.
    public var supportedModes: [GenerationMode] {
        GenerationMode.allCases.filter { mode in
            guard mode.inputImageCount <= maxInputImages else { return false }
            if mode.inputImageCount == 0 {
                return !(images?.required ?? false) && !(aspectRatio?.values.isEmpty ?? true)
            }
            return true
        }
    }

    public func supports(_ mode: GenerationMode) -> Bool { supportedModes.contains(mode) }

    /// The aspect ratios a user may pick for `mode`: `match` for photo modes (sent as the
    /// model's match value, or as the fixed ratio nearest the photo), then the fixed ratios.
    public func aspectRatios(for mode: GenerationMode) -> [AspectRatio] {
        let fixed = aspectRatio?.values ?? []
        return mode.inputImageCount > 0 ? [.match] + fixed : fixed
    }

    /// The quality tiers a user may pick.
    public var qualities: [Quality] { quality.tiers }

    /// How many outputs each prediction of a job of `variants` asks for: one prediction when
    /// the model returns that many, otherwise as many as needed (3 on a one-image model: 1, 1, 1).
    public func outputsPerPrediction(variants: Int) -> [Int] {
        let most = max(1, maxOutputsPerPrediction)
        var left = max(1, variants)
        var plan: [Int] = []
        while left > 0 {
            plan.append(min(most, left))
            left -= most
        }
        return plan
    }
}
