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
    /// The tier the size or quality value stands for (the largest tier sending that value).
    public var quality: Quality
    /// The output format asked for, as the model names it ("png", "jpg"); nil for the model's own.
    public var outputFormat: String?

    public init(prompt: String, inputImageURLs: [String], outputCount: Int, aspectRatio: String?, quality: Quality,
                outputFormat: String? = nil) {
        self.prompt = prompt
        self.inputImageURLs = inputImageURLs
        self.outputCount = outputCount
        self.aspectRatio = aspectRatio
        self.quality = quality
        self.outputFormat = outputFormat
    }

    /// The requested shape as width and height parts ("16:9" → (16, 9)).
    public var aspectRatioComponents: (width: Int, height: Int)? {
        guard let parts = aspectRatio?.split(separator: ":"), parts.count == 2,
              let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else { return nil }
        return (width, height)
    }
}

/// An input the model would refuse, with one problem per field in the style of Replicate's
/// 422 (`detail` lines "- input.aspect_ratio: ...", `invalid_fields`). Values of secret fields
/// are never quoted.
public struct ModelInputRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Problem: Equatable, Sendable {
        /// Replicate's error type: `required`, `invalid_type`, `enum`, `number_gte`, ...
        public let type: String
        /// `input` or `input.<field>`.
        public let field: String
        public let description: String

        public init(type: String, field: String, description: String) {
            self.type = type
            self.field = field
            self.description = description
        }
    }

    public let problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    /// Replicate's `detail` text: each problem on its own line, prefixed "- ".
    public var detail: String { problems.map { "- \($0.field): \($0.description)\n" }.joined() }
    public var description: String { problems.map { "\($0.field): \($0.description)" }.joined(separator: "; ") }
}

extension ModelProfile {
    /// Reads an input as the model would, or refuses it as Replicate would (422): a missing or
    /// empty prompt, a value of the wrong type or outside the declared choices, too many or
    /// missing input images, an output count the model cannot return, a missing required
    /// secret (when `requireSecrets`). Unknown fields are ignored, as models ignore them.
    public func interpret(_ input: ModelInput, requireSecrets: Bool = true) throws(ModelInputRejection) -> ModelInvocation {
        var reader = InputReader(input: input)
        let prompt = reader.string(promptField, required: true) ?? ""

        var images: [String] = []
        if let field = self.images {
            if field.list {
                images = reader.strings(field.field) ?? []
            } else if let one = reader.string(field.field, required: false) {
                images = [one]
            }
            if images.count > field.max {
                reader.problem("array_max_items", field.field, "Array must have at most \(field.max) items")
            }
            for (index, image) in images.enumerated() where !InputReader.isURI(image) {
                reader.problem("format", field.list ? "\(field.field).\(index)" : field.field, "Does not match format 'uri'")
            }
            if field.required, images.isEmpty { reader.problem("required", nil, "\(field.field) is required") }
        }

        var shape: String?
        if let field = aspectRatio {
            let choices = (field.matchValue.map { [$0] } ?? []) + field.values.map(\.rawValue)
            let asked = reader.choice(field.field, in: choices) ?? field.matchValue ?? field.values.first?.rawValue
            // The model's match value follows the first input image; without one there is
            // nothing to follow and the model makes a square.
            shape = asked == field.matchValue ? (images.isEmpty ? "1:1" : nil) : asked
        }

        var tier = quality.tiers.max { $0.longEdge < $1.longEdge } ?? .auto
        if let field = quality.field {
            let values = Array(Set(quality.values.values)).sorted()
            if let value = reader.choice(field, in: values) {
                tier = quality.tiers.filter { quality.value(for: $0) == value }.max { $0.longEdge < $1.longEdge } ?? tier
            } else if !quality.values.isEmpty {
                tier = .auto
            }
        }

        var count = 1
        if let field = outputCount { count = reader.int(field.field, in: 1...field.max) ?? 1 }

        var format: String?
        if let field = outputFormat { format = reader.choice(field.field, in: field.accepted) }

        for secret in secrets {
            let value = reader.string(secret.field, required: false)
            if requireSecrets, secret.required, value?.isEmpty ?? true {
                reader.problem("required", nil, "\(secret.field) is required")
            }
        }
        if !reader.problems.isEmpty { throw ModelInputRejection(problems: reader.problems) }
        return ModelInvocation(prompt: prompt, inputImageURLs: images, outputCount: count, aspectRatio: shape,
                               quality: tier, outputFormat: format)
    }
}

/// Typed reads from a `ModelInput` that collect problems instead of stopping at the first.
private struct InputReader {
    let input: ModelInput
    var problems: [ModelInputRejection.Problem] = []

    /// `field` nil: a problem of the input as a whole (a missing required field).
    mutating func problem(_ type: String, _ field: String?, _ text: String) {
        problems.append(.init(type: type, field: field.map { "input.\($0)" } ?? "input", description: text))
    }

    private func present(_ key: String) -> InputValue? {
        guard let value = input[key], value != .null else { return nil }
        return value
    }

    private func isSecret(_ key: String) -> Bool {
        input.fields.first { $0.key == key }?.isSecret ?? false
    }

    mutating func string(_ key: String, required: Bool) -> String? {
        guard let value = present(key) else {
            if required { problem("required", nil, "\(key) is required") }
            return nil
        }
        guard case let .string(text) = value else {
            problem("invalid_type", key, "Invalid type. Expected: string")
            return nil
        }
        if required, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problem("required", key, "\(key) must not be empty")
        }
        return text
    }

    /// An absolute http(s) URL with a host, or a `data:` URI (what Replicate fetches).
    static func isURI(_ text: String) -> Bool {
        if text.hasPrefix("data:") { return text.contains(",") }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host?.isEmpty == false else { return false }
        return true
    }

    mutating func strings(_ key: String) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case let .strings(list) = value else {
            problem("invalid_type", key, "Invalid type. Expected: array")
            return nil
        }
        return list
    }

    mutating func choice(_ key: String, in choices: [String]) -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value, choices.contains(text) else {
            let shown = isSecret(key) ? "" : " (got \(value.shortDescription))"
            problem("enum", key, "\(key) must be one of the following: " + choices.map { "\"\($0)\"" }.joined(separator: ", ") + shown)
            return nil
        }
        return text
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = present(key) else { return nil }
        guard case let .int(number) = value else {
            problem("invalid_type", key, "Invalid type. Expected: integer")
            return nil
        }
        if number < range.lowerBound {
            problem("number_gte", key, "Must be greater than or equal to \(range.lowerBound)")
            return nil
        }
        if number > range.upperBound {
            problem("number_lte", key, "Must be less than or equal to \(range.upperBound)")
            return nil
        }
        return number
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
