import Foundation

/// Turns a raw submission into a `GenerationRequest` under the runtime config and the model
/// profile (SPEC §3, §7, §8.1, §9), moderating the prompt on the way. Fields are checked in
/// the API's order and the first failure is reported.
public struct GenerationRequestValidator: Sendable {
    public let config: RuntimeConfig
    public let profile: ModelProfile

    public init(config: RuntimeConfig, profile: ModelProfile) {
        self.config = config
        self.profile = profile
    }

    /// The modes a user can choose: the config's, in its order, that the model can serve.
    public var availableModes: [GenerationMode] { config.modes.filter(profile.supports) }

    /// The most variants one job may ask for: any model can give them, one prediction per
    /// image where it returns fewer per prediction.
    public var maxVariants: Int { config.limits.maxVariants }

    /// The aspect ratios a user may pick for `mode`, and the one a job gets when it does not say.
    public func aspectRatios(for mode: GenerationMode) -> [AspectRatio] { profile.aspectRatios(for: mode) }

    public func defaultAspectRatio(for mode: GenerationMode) -> AspectRatio {
        let offered = aspectRatios(for: mode)
        return offered.contains(config.defaults.aspectRatio) ? config.defaults.aspectRatio : offered.first ?? .square
    }

    /// The quality tiers a user may pick, and the one a job gets when it does not say.
    public var qualities: [Quality] { profile.qualities }

    public var defaultQuality: Quality {
        qualities.contains(config.defaults.quality) ? config.defaults.quality : qualities.first ?? .auto
    }

    /// The variants a job gets when it does not say.
    public var defaultVariants: Int { min(config.defaults.variants, maxVariants) }

    public func validate(_ submission: GenerationSubmission) throws(ValidationFailure) -> GenerationRequest {
        let mode = try validateMode(submission.mode)
        let roomType = try validateRoomType(submission.roomType)
        let style = try validateStyle(submission.style)
        let aspectRatio = try validateAspectRatio(submission.aspectRatio, mode: mode)
        let quality = try validateQuality(submission.quality)
        let variants = try validateVariants(submission.variants)
        let idempotencyKey = try validateIdempotencyKey(submission.idempotencyKey)
        let prompt = try validatePrompt(submission.prompt, mode: mode)
        try validateImages(input1: submission.hasInput1, input2: submission.hasInput2, mode: mode)
        return GenerationRequest(
            mode: mode, roomType: roomType, style: style, aspectRatio: aspectRatio, quality: quality,
            variants: variants, prompt: prompt, idempotencyKey: idempotencyKey
        )
    }

    // MARK: Fields

    private func validateMode(_ raw: String?) throws(ValidationFailure) -> GenerationMode {
        let choices = config.modes.map(\.rawValue).joined(separator: ", ")
        guard let text = Self.present(raw) else {
            throw ValidationFailure(field: "mode", message: "mode is required (one of \(choices)).")
        }
        guard let mode = GenerationMode(rawValue: text.lowercased()), config.modes.contains(mode) else {
            throw ValidationFailure(field: "mode", message: "mode must be one of \(choices).")
        }
        guard profile.supports(mode) else {
            throw ValidationFailure(field: "mode", message: "\(mode.rawValue) is not available with the current image model.")
        }
        return mode
    }

    private func validateRoomType(_ raw: String?) throws(ValidationFailure) -> Preset {
        guard let text = Self.present(raw) else { return config.roomTypes[0] }
        guard let preset = config.roomType(matching: text) else {
            throw ValidationFailure(
                field: "roomType",
                message: "roomType must be one of \(config.roomTypes.map(\.id).joined(separator: ", ")) (id or label)."
            )
        }
        return preset
    }

    private func validateStyle(_ raw: String?) throws(ValidationFailure) -> StylePreset {
        guard let text = Self.present(raw) else { return config.styles[0] }
        guard let style = config.style(matching: text) else {
            throw ValidationFailure(
                field: "style",
                message: "style must be one of \(config.styles.map(\.id).joined(separator: ", ")) (id or label)."
            )
        }
        return style
    }

    private func validateAspectRatio(_ raw: String?, mode: GenerationMode) throws(ValidationFailure) -> AspectRatio {
        guard let text = Self.present(raw) else { return defaultAspectRatio(for: mode) }
        let offered = aspectRatios(for: mode)
        let choices = offered.map(\.rawValue).joined(separator: ", ")
        let ratio = AspectRatio(rawValue: text.lowercased())
        if ratio == .match, !offered.contains(.match) {
            throw ValidationFailure(field: "aspectRatio", message: "\(mode.rawValue) has no photo to match: choose one of \(choices).")
        }
        guard let ratio, offered.contains(ratio) else {
            throw ValidationFailure(
                field: "aspectRatio",
                message: "aspectRatio must be one of \(choices) for \(mode.rawValue) with the current image model."
            )
        }
        return ratio
    }

    private func validateQuality(_ raw: String?) throws(ValidationFailure) -> Quality {
        guard let text = Self.present(raw) else { return defaultQuality }
        guard let quality = Quality(rawValue: text.lowercased()), qualities.contains(quality) else {
            throw ValidationFailure(
                field: "quality",
                message: "quality must be one of \(qualities.map(\.rawValue).joined(separator: ", ")) with the current image model."
            )
        }
        return quality
    }

    private func validateVariants(_ raw: SubmittedInteger?) throws(ValidationFailure) -> Int {
        if case let .text(text)? = raw, Self.present(text) == nil { return defaultVariants }
        guard let raw else { return defaultVariants }
        guard let count = raw.intValue, (1...maxVariants).contains(count) else {
            let range = maxVariants == 1 ? "1" : "a whole number from 1 to \(maxVariants)"
            throw ValidationFailure(field: "variants", message: "variants must be \(range).")
        }
        return count
    }

    private func validateIdempotencyKey(_ raw: String?) throws(ValidationFailure) -> UUID? {
        guard let text = Self.present(raw) else { return nil }
        guard let key = UUID(uuidString: text) else {
            throw ValidationFailure(field: "idempotencyKey", message: "idempotencyKey must be a UUID.")
        }
        return key
    }

    private func validatePrompt(_ raw: String?, mode: GenerationMode) throws(ValidationFailure) -> String? {
        let prompt = PromptText.sanitisedOrNil(raw)
        if let prompt, prompt.count > config.limits.maxPromptLength {
            throw ValidationFailure(
                field: "prompt", message: "prompt must be at most \(config.limits.maxPromptLength) characters."
            )
        }
        if prompt == nil, mode.requiresPrompt {
            throw ValidationFailure(field: "prompt", message: "prompt is required for \(mode.rawValue): describe the room you imagine.")
        }
        if let prompt, !Moderation.check(prompt).isAllowed {
            throw ValidationFailure(field: "prompt", message: Moderation.rejectionMessage)
        }
        return prompt
    }

    private func validateImages(input1: Bool, input2: Bool, mode: GenerationMode) throws(ValidationFailure) {
        switch mode {
        case .imagine:
            if input1 { throw ValidationFailure(field: "input1", message: "imagine takes no images: remove input1.") }
            if input2 { throw ValidationFailure(field: "input2", message: "imagine takes no images: remove input2.") }
        case .redesign, .staging:
            if !input1 {
                throw ValidationFailure(field: "input1", message: "input1 (a photo of the room) is required for \(mode.rawValue).")
            }
            if input2 {
                throw ValidationFailure(field: "input2", message: "\(mode.rawValue) takes one image: remove input2.")
            }
        case .compose:
            if !input1 {
                throw ValidationFailure(field: "input1", message: "input1 (the photo of the room) is required for compose.")
            }
            if !input2 {
                throw ValidationFailure(field: "input2", message: "input2 (the reference image) is required for compose.")
            }
        }
    }

    /// The trimmed text, or nil when it is missing or blank.
    private static func present(_ raw: String?) -> String? {
        guard let text = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }
}
