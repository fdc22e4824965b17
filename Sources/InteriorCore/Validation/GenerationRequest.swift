import Foundation

/// A submission that passed validation and moderation: every setting resolved to a value
/// the engine knows, defaults applied, the prompt sanitised.
public struct GenerationRequest: Equatable, Sendable {
    public var mode: GenerationMode
    public var roomType: Preset
    public var style: StylePreset
    public var aspectRatio: AspectRatio
    public var quality: Quality
    public var variants: Int
    /// The user's own text, sanitised; nil when none was given.
    public var prompt: String?
    public var idempotencyKey: UUID?

    public init(
        mode: GenerationMode, roomType: Preset, style: StylePreset, aspectRatio: AspectRatio,
        quality: Quality, variants: Int, prompt: String?, idempotencyKey: UUID?
    ) {
        self.mode = mode
        self.roomType = roomType
        self.style = style
        self.aspectRatio = aspectRatio
        self.quality = quality
        self.variants = variants
        self.prompt = prompt
        self.idempotencyKey = idempotencyKey
    }

    /// The prompt sent to the model (SPEC §6).
    public var finalPrompt: String {
        PromptBuilder.build(mode: mode, roomType: roomType, style: style, userPrompt: prompt)
    }

    /// The size outputs are normalised to (SPEC §5); `inputSize` is the photo's, for `match`.
    public func targetSize(inputSize: ImageSize? = nil) -> ImageSize {
        .target(aspectRatio: aspectRatio, quality: quality, inputSize: inputSize)
    }
}

/// The fields of `POST /api/v1/generations` as they arrived (multipart form fields or JSON),
/// before anything is checked. Blank strings count as absent, as an HTML form sends them.
public struct GenerationSubmission: Equatable, Sendable {
    public var mode: String?
    public var prompt: String?
    public var roomType: String?
    public var style: String?
    public var aspectRatio: String?
    public var quality: String?
    public var variants: SubmittedInteger?
    public var idempotencyKey: String?
    /// Whether an `input1` image (file or URL) came with the request.
    public var hasInput1: Bool
    /// Whether an `input2` image (file or URL) came with the request.
    public var hasInput2: Bool

    public init(
        mode: String? = nil, prompt: String? = nil, roomType: String? = nil, style: String? = nil,
        aspectRatio: String? = nil, quality: String? = nil, variants: SubmittedInteger? = nil,
        idempotencyKey: String? = nil, hasInput1: Bool = false, hasInput2: Bool = false
    ) {
        self.mode = mode
        self.prompt = prompt
        self.roomType = roomType
        self.style = style
        self.aspectRatio = aspectRatio
        self.quality = quality
        self.variants = variants
        self.idempotencyKey = idempotencyKey
        self.hasInput1 = hasInput1
        self.hasInput2 = hasInput2
    }
}

/// A number field that may arrive as a JSON number or as text (every multipart field is text).
public enum SubmittedInteger: Equatable, Sendable, Decodable, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case integer(Int)
    case text(String)

    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }

    /// Decodes an integer, or keeps any other scalar as text for validation to refuse with
    /// the field's own message ("2.5", "two", true).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .integer(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Double.self) {
            self = .text(String(number))
        } else if let flag = try? container.decode(Bool.self) {
            self = .text(String(flag))
        } else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a number"))
        }
    }

    /// The whole number it holds, if it is one.
    public var intValue: Int? {
        switch self {
        case let .integer(value): value
        case let .text(text): Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

/// Why a submission was refused: the API field at fault and a message a user can act on.
/// Becomes `400 VALIDATION_ERROR` with `details.field`.
public struct ValidationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
