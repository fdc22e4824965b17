import Foundation
import Replicate

/// What one prediction asks the emulated model to make, once its input passed validation.
struct ModelJob: Sendable, Equatable {
    var prompt: String
    /// `http(s)` or `data:` URLs of the input images, in order.
    var inputImages: [String]
    var count: Int
    /// Output size; `nil` means "match the first input image".
    var size: (width: Int, height: Int)?
    var format: OutputFormat
    /// Whether the output is a single URL string rather than a list.
    var singleOutput: Bool

    static func == (lhs: ModelJob, rhs: ModelJob) -> Bool {
        lhs.prompt == rhs.prompt && lhs.inputImages == rhs.inputImages && lhs.count == rhs.count
            && lhs.size?.width == rhs.size?.width && lhs.size?.height == rhs.size?.height
            && lhs.format == rhs.format && lhs.singleOutput == rhs.singleOutput
    }
}

enum OutputFormat: String, Sendable {
    case png, jpeg, webp

    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    var contentType: String { "image/\(rawValue)" }
}

/// One input field that failed validation, in Replicate's `invalid_fields` shape.
struct InvalidField: Sendable, Equatable {
    var type: String
    var field: String
    var description: String
}

/// Why an input was refused: every field that failed.
struct ValidationFailure: Error, Sendable {
    let fields: [InvalidField]
}

/// A model the emulator serves, with its own reading of the model's public input schema —
/// written from the model page, not from the service's adapter, so a mismatch between the
/// two shows up as a 422 in tests.
struct EmulatedModel: Sendable {
    let owner: String
    let name: String
    /// The emulator's version id for the model (64 hex digits, like Replicate's).
    let version: String
    /// Fields whose values Replicate redacts after reading them.
    let secretFields: Set<String>
    let validate: @Sendable (_ input: [String: JSONValue], _ requireOpenAIKey: Bool) -> Result<ModelJob, ValidationFailure>

    var identifier: String { "\(owner)/\(name)" }
}

enum ModelCatalog {
    static let models: [EmulatedModel] = [gptImage1, fluxKontextPro]

    static func model(owner: String, name: String) -> EmulatedModel? {
        models.first { $0.owner == owner && $0.name == name }
    }

    /// `version` as `POST /v1/predictions` accepts it: a version id, `owner/name:version`, or
    /// `owner/name` (the latest version).
    static func model(version: String) -> EmulatedModel? {
        if let colon = version.firstIndex(of: ":") {
            let name = version[..<colon]
            let id = version[version.index(after: colon)...]
            return models.first { $0.identifier == name && $0.version == id }
        }
        return models.first { $0.version == version || $0.identifier == version }
    }

    // MARK: openai/gpt-image-1

    static let gptImage1 = EmulatedModel(
        owner: "openai", name: "gpt-image-1",
        version: "e0a1a4c2c6b9f1d8a3b5e7f9021436587a9bcdef0123456789abcdef01234567",
        secretFields: ["openai_api_key"]
    ) { input, requireOpenAIKey in
        var problems: [InvalidField] = []
        let reader = InputReader(input: input)

        let prompt = reader.string("prompt", required: true, problems: &problems)
        if requireOpenAIKey {
            _ = reader.string("openai_api_key", required: true, problems: &problems)
        } else {
            _ = reader.string("openai_api_key", required: false, problems: &problems)
        }
        let ratio = reader.enumeration("aspect_ratio", ["1:1", "3:2", "2:3"], default: "1:1", problems: &problems)
        let images = reader.uris("input_images", max: 16, problems: &problems)
        let count = reader.integer("number_of_images", range: 1...10, default: 1, problems: &problems)
        _ = reader.enumeration("quality", ["low", "medium", "high", "auto"], default: "auto", problems: &problems)
        _ = reader.enumeration("background", ["auto", "transparent", "opaque"], default: "auto", problems: &problems)
        _ = reader.integer("output_compression", range: 0...100, default: 90, problems: &problems)
        let format = reader.enumeration("output_format", ["png", "jpeg", "webp"], default: "webp", problems: &problems)
        _ = reader.enumeration("moderation", ["auto", "low"], default: "auto", problems: &problems)
        _ = reader.enumeration("input_fidelity", ["low", "high"], default: "low", problems: &problems)
        _ = reader.string("user_id", required: false, problems: &problems)

        guard problems.isEmpty, let prompt else { return .failure(ValidationFailure(fields: problems)) }
        let size: (width: Int, height: Int) = switch ratio {
        case "3:2": (1536, 1024)
        case "2:3": (1024, 1536)
        default: (1024, 1024)
        }
        return .success(ModelJob(
            prompt: prompt, inputImages: images, count: count, size: size,
            format: OutputFormat(rawValue: format) ?? .webp, singleOutput: false))
    }

    // MARK: black-forest-labs/flux-kontext-pro

    static let fluxKontextPro = EmulatedModel(
        owner: "black-forest-labs", name: "flux-kontext-pro",
        version: "f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
        secretFields: []
    ) { input, _ in
        var problems: [InvalidField] = []
        let reader = InputReader(input: input)
        let prompt = reader.string("prompt", required: true, problems: &problems)
        let image = reader.uri("input_image", problems: &problems)
        let ratios = ["match_input_image", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "4:5", "5:4",
                      "21:9", "9:21", "2:1", "1:2"]
        let ratio = reader.enumeration("aspect_ratio", ratios, default: "match_input_image", problems: &problems)
        let format = reader.enumeration("output_format", ["jpg", "png"], default: "png", problems: &problems)
        let tolerance = reader.integer("safety_tolerance", range: 0...6, default: 2, problems: &problems)
        _ = reader.integer("seed", range: Int.min...Int.max, default: 0, problems: &problems)
        _ = reader.boolean("prompt_upsampling", problems: &problems)
        if image != nil, tolerance > 2 {
            problems.append(InvalidField(
                type: "maximum", field: "input.safety_tolerance",
                description: "safety_tolerance must be at most 2 when an input image is given"))
        }
        guard problems.isEmpty, let prompt else { return .failure(ValidationFailure(fields: problems)) }

        var size: (width: Int, height: Int)?
        if ratio != "match_input_image" || image == nil {
            let parts = (ratio == "match_input_image" ? "1:1" : ratio).split(separator: ":").compactMap { Double($0) }
            // About one megapixel, both sides multiples of 16.
            let scale = (1024.0 * 1024.0 / (parts[0] * parts[1])).squareRoot()
            size = (Int((parts[0] * scale / 16).rounded()) * 16, Int((parts[1] * scale / 16).rounded()) * 16)
        }
        return .success(ModelJob(
            prompt: prompt, inputImages: image.map { [$0] } ?? [], count: 1, size: size,
            format: format == "jpg" ? .jpeg : .png, singleOutput: true))
    }
}

/// Reads typed fields out of a prediction's `input`, collecting what is wrong.
private struct InputReader {
    let input: [String: JSONValue]

    func present(_ key: String) -> JSONValue? {
        guard let value = input[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String, required: Bool, problems: inout [InvalidField]) -> String? {
        guard let value = present(key) else {
            if required { problems.append(.init(type: "required", field: "input", description: "\(key) is required")) }
            return nil
        }
        guard let text = value.stringValue else {
            problems.append(.init(type: "invalid_type", field: "input.\(key)", description: "Invalid type. Expected: string"))
            return nil
        }
        if required, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(.init(type: "required", field: "input.\(key)", description: "\(key) must not be empty"))
            return nil
        }
        return text
    }

    func enumeration(_ key: String, _ options: [String], default fallback: String, problems: inout [InvalidField]) -> String {
        guard let value = present(key) else { return fallback }
        guard let text = value.stringValue, options.contains(text) else {
            let list = options.map { "\"\($0)\"" }.joined(separator: ", ")
            problems.append(.init(
                type: "enum", field: "input.\(key)", description: "\(key) must be one of the following: \(list)"))
            return fallback
        }
        return text
    }

    func integer(_ key: String, range: ClosedRange<Int>, default fallback: Int, problems: inout [InvalidField]) -> Int {
        guard let value = present(key) else { return fallback }
        guard let number = value.intValue else {
            problems.append(.init(type: "invalid_type", field: "input.\(key)", description: "Invalid type. Expected: integer"))
            return fallback
        }
        if number < range.lowerBound {
            problems.append(.init(
                type: "number_gte", field: "input.\(key)",
                description: "Must be greater than or equal to \(range.lowerBound)"))
        } else if number > range.upperBound {
            problems.append(.init(
                type: "number_lte", field: "input.\(key)",
                description: "Must be less than or equal to \(range.upperBound)"))
        }
        return number
    }

    func boolean(_ key: String, problems: inout [InvalidField]) -> Bool? {
        guard let value = present(key) else { return nil }
        guard let flag = value.boolValue else {
            problems.append(.init(type: "invalid_type", field: "input.\(key)", description: "Invalid type. Expected: boolean"))
            return nil
        }
        return flag
    }

    func uri(_ key: String, problems: inout [InvalidField]) -> String? {
        guard let value = present(key) else { return nil }
        guard let text = value.stringValue, Self.isURI(text) else {
            problems.append(.init(type: "format", field: "input.\(key)", description: "Does not match format 'uri'"))
            return nil
        }
        return text
    }

    func uris(_ key: String, max: Int, problems: inout [InvalidField]) -> [String] {
        guard let value = present(key) else { return [] }
        guard let items = value.arrayValue else {
            problems.append(.init(type: "invalid_type", field: "input.\(key)", description: "Invalid type. Expected: array"))
            return []
        }
        if items.count > max {
            problems.append(.init(
                type: "array_max_items", field: "input.\(key)",
                description: "Array must have at most \(max) items"))
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue, Self.isURI(text) else {
                problems.append(.init(
                    type: "format", field: "input.\(key).\(index)", description: "Does not match format 'uri'"))
                continue
            }
            result.append(text)
        }
        return result
    }

    static func isURI(_ text: String) -> Bool {
        if text.hasPrefix("data:") { return text.contains(",") }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else { return false }
        return true
    }
}
