import Foundation

extension ModelProfile {
    /// The input of one prediction of a validated request: the one mapper for every profile.
    /// - Parameters:
    ///   - prompt: the final prompt (`PromptBuilder.build`).
    ///   - inputImageURLs: URLs Replicate reads the inputs through, `input1` first; exactly as
    ///     many as the mode takes.
    ///   - inputSize: the first input image's size, for `match` on a model without a match value.
    ///   - outputs: how many images this prediction asks for (`outputsPerPrediction`).
    ///   - secrets: values of the environment variables the profile's secret inputs name;
    ///     blank or missing ones are left out. Marked secret in the result.
    public func input(
        for request: GenerationRequest, prompt: String, inputImageURLs: [String], inputSize: ImageSize? = nil,
        outputs: Int = 1, secrets: [String: String] = [:]
    ) throws(ModelInputError) -> ModelInput {
        guard supports(request.mode) else { throw .unsupportedMode(request.mode, model: id) }
        guard inputImageURLs.count == request.mode.inputImageCount else {
            throw .wrongImageCount(expected: request.mode.inputImageCount, got: inputImageURLs.count)
        }
        guard (1...maxOutputsPerPrediction).contains(outputs) else {
            throw .tooManyOutputs(requested: outputs, maximum: maxOutputsPerPrediction)
        }
        guard aspectRatios(for: request.mode).contains(request.aspectRatio) else {
            throw .unsupportedAspectRatio(request.aspectRatio, model: id)
        }
        guard qualities.contains(request.quality) else { throw .unsupportedQuality(request.quality, model: id) }

        var input = ModelInput()
        input.set(promptField, .string(prompt))
        if let images, !inputImageURLs.isEmpty {
            input.set(images.field, images.list ? .strings(inputImageURLs) : .string(inputImageURLs[0]))
        }
        if let field = aspectRatio?.field, let value = aspectRatioValue(request.aspectRatio, inputSize: inputSize) {
            input.set(field, .string(value))
        }
        if let field = quality.field, let value = quality.value(for: request.quality) {
            input.set(field, .string(value))
        }
        if let outputCount { input.set(outputCount.field, .int(outputs)) }
        if let outputFormat { input.set(outputFormat.field, .string(outputFormat.value)) }
        for constant in constants { input.set(constant.field, constant.value) }
        for secret in self.secrets {
            if let value = secrets[secret.from]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                input.set(secret.field, .string(value), secret: true)
            } else if secret.required {
                throw .missingSecret(field: secret.field, from: secret.from)
            }
        }
        return input
    }

    /// What the aspect field says for `ratio`: a fixed ratio as written; `match` as the
    /// model's match value, or — for a model without one — the fixed ratio nearest the photo's
    /// shape (square when there is no photo to measure).
    public func aspectRatioValue(_ ratio: AspectRatio, inputSize: ImageSize?) -> String? {
        guard let field = aspectRatio else { return nil }
        guard ratio == .match else { return ratio.rawValue }
        if let match = field.matchValue { return match }
        let shape = inputSize ?? ImageSize(width: 1, height: 1)
        return AspectRatio.nearest(to: shape, among: field.values)?.rawValue
    }
}

/// A request the profile cannot turn into an input. Validation against the same profile
/// rules these out; reaching one is a programming error worth failing the job over.
public enum ModelInputError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedMode(GenerationMode, model: String)
    case wrongImageCount(expected: Int, got: Int)
    case tooManyOutputs(requested: Int, maximum: Int)
    case unsupportedAspectRatio(AspectRatio, model: String)
    case unsupportedQuality(Quality, model: String)
    case missingSecret(field: String, from: String)

    public var description: String {
        switch self {
        case let .unsupportedMode(mode, model): "\(model) does not support \(mode.rawValue)"
        case let .wrongImageCount(expected, got): "expected \(expected) input image(s), got \(got)"
        case let .tooManyOutputs(requested, maximum): "\(requested) outputs requested, the model returns 1 to \(maximum)"
        case let .unsupportedAspectRatio(ratio, model): "\(model) does not take the aspect ratio \(ratio.rawValue)"
        case let .unsupportedQuality(quality, model): "\(model) does not offer the \(quality.rawValue) quality"
        case let .missingSecret(field, from): "\(field) needs \(from), which is not set"
        }
    }
}
