import Foundation

/// Everything model-specific about one Replicate model (SPEC §7): which modes it can serve,
/// how many images it takes and returns, and the names and values of its input fields.
/// No other code knows a model's field names.
public struct ModelProfile: Equatable, Sendable, CustomStringConvertible {
    /// `owner/name`, as in Replicate's `POST /models/{owner}/{name}/predictions`.
    public let id: String
    /// The most images one prediction returns; `variants` is validated against it.
    public let maxOutputs: Int
    /// The most input images one prediction accepts.
    public let maxInputImages: Int
    /// The modes this model can serve, in the order of `GenerationMode.allCases`.
    public let supportedModes: [GenerationMode]
    let mapping: Mapping

    enum Mapping: Equatable, Sendable {
        case gptImage1
        case fluxKontextPro
    }

    private init(id: String, maxOutputs: Int, maxInputImages: Int, mapping: Mapping) {
        self.id = id
        self.maxOutputs = maxOutputs
        self.maxInputImages = maxInputImages
        self.mapping = mapping
        supportedModes = GenerationMode.allCases.filter { $0.inputImageCount <= maxInputImages }
    }

    public var owner: String { String(id.split(separator: "/", maxSplits: 1).first ?? "") }
    public var name: String { String(id.split(separator: "/", maxSplits: 1).last ?? "") }
    public var description: String { id }

    public func supports(_ mode: GenerationMode) -> Bool { supportedModes.contains(mode) }

    // MARK: Profiles

    public static let defaultModelID = "openai/gpt-image-1"

    /// OpenAI's GPT Image 1 on Replicate: up to 10 images out, any number of reference images in.
    public static let gptImage1 = ModelProfile(
        id: "openai/gpt-image-1", maxOutputs: 10, maxInputImages: 10, mapping: .gptImage1
    )

    /// FLUX.1 Kontext [pro]: one optional input image, one output. No compose.
    public static let fluxKontextPro = ModelProfile(
        id: "black-forest-labs/flux-kontext-pro", maxOutputs: 1, maxInputImages: 1, mapping: .fluxKontextPro
    )

    public static let all: [ModelProfile] = [gptImage1, fluxKontextPro]

    /// The profile of a model id (`REPLICATE_MODEL`), ignoring case and surrounding spaces.
    public static func named(_ id: String) -> ModelProfile? {
        let key = id.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return all.first { $0.id == key }
    }

    // MARK: Input

    /// The prediction input for a validated request.
    /// - Parameters:
    ///   - prompt: the final prompt (`PromptBuilder.build`).
    ///   - inputImageURLs: URLs Replicate can read the inputs through, `input1` first; exactly
    ///     as many as the mode takes.
    ///   - openAIAPIKey: passed to models that bill through the caller's OpenAI account;
    ///     omitted when nil or blank. Marked secret in the result.
    public func input(
        for request: GenerationRequest, prompt: String, inputImageURLs: [String], openAIAPIKey: String? = nil
    ) throws(ModelInputError) -> ModelInput {
        guard supports(request.mode) else { throw .unsupportedMode(request.mode, model: id) }
        guard inputImageURLs.count == request.mode.inputImageCount else {
            throw .wrongImageCount(expected: request.mode.inputImageCount, got: inputImageURLs.count)
        }
        guard (1...maxOutputs).contains(request.variants) else {
            throw .tooManyOutputs(requested: request.variants, maximum: maxOutputs)
        }
        var input = ModelInput()
        switch mapping {
        case .gptImage1:
            input.set("prompt", .string(prompt))
            if !inputImageURLs.isEmpty { input.set("input_images", .strings(inputImageURLs)) }
            input.set("aspect_ratio", .string(request.aspectRatio.rawValue))
            if request.quality != .auto { input.set("quality", .string(request.quality.rawValue)) }
            input.set("number_of_images", .int(request.variants))
            input.set("output_format", .string("png"))
            if let key = openAIAPIKey?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty {
                input.set("openai_api_key", .string(key), secret: true)
            }
        case .fluxKontextPro:
            input.set("prompt", .string(prompt))
            if let image = inputImageURLs.first {
                input.set("input_image", .string(image))
                // The photo's own framing is the room's; cropping it to another shape would
                // move the walls the guardrails keep in place.
                input.set("aspect_ratio", .string("match_input_image"))
            } else {
                input.set("aspect_ratio", .string(request.aspectRatio.rawValue))
            }
            input.set("output_format", .string("png"))
        }
        return input
    }
}

/// A request the profile cannot turn into an input. Validation against the same profile
/// rules these out; reaching one is a programming error worth failing the job over.
public enum ModelInputError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedMode(GenerationMode, model: String)
    case wrongImageCount(expected: Int, got: Int)
    case tooManyOutputs(requested: Int, maximum: Int)

    public var description: String {
        switch self {
        case let .unsupportedMode(mode, model): "\(model) does not support \(mode.rawValue)"
        case let .wrongImageCount(expected, got): "expected \(expected) input image(s), got \(got)"
        case let .tooManyOutputs(requested, maximum): "\(requested) outputs requested, the model returns 1 to \(maximum)"
        }
    }
}
