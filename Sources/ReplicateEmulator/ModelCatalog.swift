import Crypto
import Foundation
import InteriorCore
import Replicate

/// What one prediction asks the emulated model to make, once its input passed validation.
struct ModelJob: Codable, Sendable, Equatable {
    var prompt: String
    /// `http(s)` or `data:` URLs of the input images, in order.
    var inputImages: [String]
    var count: Int
    /// The asked shape (`16:9`); nil follows the first input image's shape.
    var aspectRatio: AspectRatio?
    /// The tier whose long edge the outputs are drawn at.
    var quality: Quality
    var format: OutputFormat
    /// Whether the output is a single URL string rather than a list.
    var singleOutput: Bool
}

enum OutputFormat: String, Codable, CaseIterable, Sendable {
    case png, jpeg, webp

    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    var contentType: String { "image/\(rawValue)" }

    /// A model's name for a format (`jpg`, `jpeg`, `png`, `webp`); PNG when it names none.
    init(modelValue: String?) {
        switch modelValue?.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "webp": self = .webp
        default: self = .png
        }
    }
}

/// A model the emulator serves, read through its profile: the same declaration the service's
/// adapter writes inputs with, so a mapping that strays from its own declaration is a 422 here.
/// (Whether the declaration itself matches the model's published schema is proven separately,
/// against the schema, by `ModelSchemaTests`.)
struct EmulatedModel: Sendable {
    let profile: ModelProfile
    /// The emulator's version id for the model (64 hex digits, like Replicate's): the pinned one
    /// when the profile has one, else one derived from the id.
    let version: String

    init(_ profile: ModelProfile) {
        self.profile = profile
        version = profile.version
            ?? SHA256.hash(data: Data("emulator:\(profile.id)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    var owner: String { profile.owner }
    var name: String { profile.name }
    var identifier: String { profile.id }
    /// How its predictions name it.
    var reference: ModelName { ModelName(identifier: identifier, version: version) }
    /// Fields whose values Replicate redacts after reading them.
    var secretFields: Set<String> { Set(profile.secrets.map(\.field)) }

    func validate(_ input: [String: JSONValue], requireSecrets: Bool) -> Result<ModelJob, ModelInputRejection> {
        var fields: [ModelInput.Field] = []
        var problems: [ModelInputRejection.Problem] = []
        for (key, value) in input.sorted(by: { $0.key < $1.key }) {
            guard let converted = Self.inputValue(value) else {
                problems.append(.init(type: "invalid_type", field: "input.\(key)", description: "Invalid type. Expected: array of strings"))
                continue
            }
            fields.append(.init(key: key, value: converted, isSecret: secretFields.contains(key)))
        }
        let invocation: ModelInvocation
        do {
            invocation = try profile.interpret(ModelInput(fields), requireSecrets: requireSecrets)
        } catch {
            return .failure(ModelInputRejection(problems: problems + error.problems))
        }
        guard problems.isEmpty else { return .failure(ModelInputRejection(problems: problems)) }
        return .success(ModelJob(
            prompt: invocation.prompt, inputImages: invocation.inputImageURLs, count: invocation.outputCount,
            aspectRatio: invocation.aspectRatio.flatMap(AspectRatio.init(rawValue:)), quality: invocation.quality,
            format: OutputFormat(modelValue: invocation.outputFormat), singleOutput: profile.output == .uri))
    }

    /// JSON as an input value; nil for what no profile field takes (objects, mixed lists).
    private static func inputValue(_ value: JSONValue) -> InputValue? {
        switch value {
        case .null: return .null
        case let .bool(flag): return .bool(flag)
        case let .string(text): return .string(text)
        case let .number(number):
            return number.rounded() == number && abs(number) < 9e15 ? .int(Int(number)) : .number(number)
        case let .array(items):
            let texts = items.compactMap(\.stringValue)
            return texts.count == items.count ? .strings(texts) : nil
        case .object: return nil
        }
    }
}

/// The models an emulator serves: one per profile it was given.
struct ModelCatalog: Sendable {
    let models: [EmulatedModel]

    init(profiles: [ModelProfile]) {
        models = profiles.map(EmulatedModel.init)
    }

    func model(owner: String, name: String) -> EmulatedModel? {
        models.first { $0.owner == owner && $0.name == name }
    }

    /// `version` as `POST /v1/predictions` accepts it: a version id, `owner/name:version`, or
    /// `owner/name` (the latest version).
    func model(version: String) -> EmulatedModel? {
        if let colon = version.firstIndex(of: ":") {
            let name = version[..<colon]
            let id = version[version.index(after: colon)...]
            return models.first { $0.identifier == name && $0.version == id }
        }
        return models.first { $0.version == version || $0.identifier == version }
    }
}
