import Foundation

/// What a prediction input asks the model for, read back through the model's profile: the
/// other direction of `ModelProfile.input(for:...)`, for code that plays the model (the
/// emulator) and must not know the model's field names itself.
public struct ModelInvocation: Equatable, Sendable {
    public var prompt: String
    /// The input image URLs, in order.
    public var inputImageURLs: [String]
    /// How many images the model returns.
    public var outputCount: Int
    /// The requested shape as the model names it ("3:2", "16:9"); nil when the output
    /// follows the input image's shape.
    public var aspectRatio: String?
    public var quality: Quality

    public init(prompt: String, inputImageURLs: [String], outputCount: Int, aspectRatio: String?, quality: Quality) {
        self.prompt = prompt
        self.inputImageURLs = inputImageURLs
        self.outputCount = outputCount
        self.aspectRatio = aspectRatio
        self.quality = quality
    }

    /// The requested shape as width and height parts ("16:9" → (16, 9)).
    public var aspectRatioComponents: (width: Int, height: Int)? {
        guard let parts = aspectRatio?.split(separator: ":"), parts.count == 2,
              let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else { return nil }
        return (width, height)
    }
}

/// An input the model would refuse, with one line per problem in the style of Replicate's
/// 422 `detail` ("input.aspect_ratio: ..."). Values of secret fields are never quoted.
public struct ModelInputRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public let problems: [String]

    public init(problems: [String]) { self.problems = problems }

    /// Replicate's `detail` text: each problem on its own line, prefixed "- ".
    public var detail: String { problems.map { "- \($0)\n" }.joined() }
    public var description: String { problems.joined(separator: "; ") }
}

extension ModelProfile {
    /// Reads an input as the model would, or refuses it as Replicate would (422): a missing
    /// or empty prompt, a value of the wrong type or outside the model's choices, too many
    /// input images, an output count the model cannot return. Unknown fields are ignored.
    public func interpret(_ input: ModelInput) throws(ModelInputRejection) -> ModelInvocation {
        var reader = InputReader(input: input)
        let prompt = reader.string("prompt", required: true) ?? ""
        let invocation: ModelInvocation
        switch mapping {
        case .gptImage1:
            let images = reader.strings("input_images") ?? []
            if images.count > maxInputImages {
                reader.problem("input.input_images: at most \(maxInputImages) images are allowed")
            }
            let ratio = reader.choice("aspect_ratio", in: ["1:1", "3:2", "2:3"]) ?? "1:1"
            let quality = reader.choice("quality", in: Quality.allCases.map(\.rawValue)) ?? "auto"
            let count = reader.int("number_of_images", in: 1...maxOutputs) ?? 1
            _ = reader.choice("output_format", in: ["png", "jpeg", "webp"])
            _ = reader.string("openai_api_key", required: false)
            invocation = ModelInvocation(
                prompt: prompt, inputImageURLs: images, outputCount: count,
                aspectRatio: ratio, quality: Quality(rawValue: quality) ?? .auto
            )
        case .fluxKontextPro:
            let image = reader.string("input_image", required: false)
            let ratio = reader.choice("aspect_ratio", in: Self.fluxAspectRatios) ?? "match_input_image"
            _ = reader.choice("output_format", in: ["jpg", "png"])
            _ = reader.int("seed", in: Int.min...Int.max)
            _ = reader.int("safety_tolerance", in: 0...6)
            _ = reader.bool("prompt_upsampling")
            // Without an input image there is nothing to match; the model makes a square.
            let shape = ratio == "match_input_image" ? (image == nil ? "1:1" : nil) : ratio
            invocation = ModelInvocation(
                prompt: prompt, inputImageURLs: image.map { [$0] } ?? [], outputCount: 1,
                aspectRatio: shape, quality: .auto
            )
        }
        if !reader.problems.isEmpty { throw ModelInputRejection(problems: reader.problems) }
        return invocation
    }

    static let fluxAspectRatios = [
        "match_input_image", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "4:5", "5:4", "21:9", "9:21", "2:1", "1:2",
    ]
}

/// Typed reads from a `ModelInput` that collect problems instead of stopping at the first.
private struct InputReader {
    let input: ModelInput
    var problems: [String] = []

    mutating func problem(_ text: String) { problems.append(text) }

    private func present(_ key: String) -> InputValue? {
        guard let value = input[key], value != .null else { return nil }
        return value
    }

    private func isSecret(_ key: String) -> Bool {
        input.fields.first { $0.key == key }?.isSecret ?? false
    }

    mutating func string(_ key: String, required: Bool) -> String? {
        guard let value = present(key) else {
            if required { problem("input: \(key) is required") }
            return nil
        }
        guard case let .string(text) = value else {
            problem("input.\(key): Invalid type. Expected: string")
            return nil
        }
        if required, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problem("input.\(key): \(key) must not be empty")
        }
        return text
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case let .strings(list) = value else {
            problem("input.\(key): Invalid type. Expected: array of strings")
            return nil
        }
        return list
    }

    mutating func choice(_ key: String, in choices: [String]) -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value, choices.contains(text) else {
            let shown = isSecret(key) ? "" : " (got \(value.shortDescription))"
            problem("input.\(key): \(key) must be one of the following: " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + shown)
            return nil
        }
        return text
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = present(key) else { return nil }
        guard case let .int(number) = value else {
            problem("input.\(key): Invalid type. Expected: integer")
            return nil
        }
        guard range.contains(number) else {
            problem("input.\(key): must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case let .bool(flag) = value else {
            problem("input.\(key): Invalid type. Expected: boolean")
            return nil
        }
        return flag
    }
}

extension InputValue {
    /// A short rendering for error messages.
    fileprivate var shortDescription: String {
        switch self {
        case let .string(text): "\"\(text.prefix(40))\""
        case let .int(number): String(number)
        case let .bool(flag): String(flag)
        case let .strings(list): "a list of \(list.count)"
        case let .number(number): String(number)
        case .null: "null"
        }
    }
}
