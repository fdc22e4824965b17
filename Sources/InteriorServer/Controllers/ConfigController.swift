import Imaging
import InteriorCore
import Vapor

/// `GET /api/v1/config`: what a UI needs to draw the create form.
enum ConfigController {
    /// A mode and what the configured model really offers in it.
    struct Mode: Content {
        let id: String
        let label: String
        let inputImages: Int
        let requiresPrompt: Bool
        /// `match` (same as the photo) first for photo modes, then the model's fixed ratios.
        let aspectRatios: [String]
        let defaultAspectRatio: String
        let qualities: [String]
        let maxVariants: Int
    }

    struct Model: Content {
        let id: String
        let label: String
    }

    struct Style: Content {
        let id: String
        let label: String
    }

    struct Limits: Content {
        let maxVariants: Int
        let maxUploadBytes: Int
        let acceptedMimeTypes: [String]
        let maxMegapixels: Int
        let minShortEdge: Int
        let maxPromptLength: Int
        let requestsPerMinute: Int
    }

    struct Defaults: Content {
        let mode: String
        let aspectRatio: String
        let quality: String
        let variants: Int
    }

    struct PublicConfig: Content {
        let modes: [Mode]
        let roomTypes: [Preset]
        let styles: [Style]
        let aspectRatios: [String]
        let qualities: [String]
        let defaults: Defaults
        let limits: Limits
        let authMode: String
        let replicate: String
        let model: Model
    }

    static func modeLabel(_ mode: GenerationMode) -> String {
        switch mode {
        case .redesign: "Redesign"
        case .staging: "Virtual staging"
        case .compose: "Compose"
        case .imagine: "Imagine"
        }
    }

    @Sendable
    static func config(_ request: Request) async throws -> Envelope<PublicConfig> {
        let settings = request.interior.settings
        let live = request.interior.runtime.current
        let runtime = live.config
        // What this model can do: modes it cannot serve are not offered, variants are capped.
        let validator = live.validator
        let modes = validator.availableModes
        let defaultMode = modes.contains(runtime.defaults.mode) ? runtime.defaults.mode : modes.first ?? runtime.defaults.mode
        let authMode: String = if case .dev = settings.auth { "dev" } else { "supabase" }
        return Envelope(PublicConfig(
            modes: modes.map { mode in
                Mode(id: mode.rawValue, label: modeLabel(mode), inputImages: mode.inputImageCount, requiresPrompt: mode.requiresPrompt,
                     aspectRatios: validator.aspectRatios(for: mode).map(\.rawValue),
                     defaultAspectRatio: validator.defaultAspectRatio(for: mode).rawValue,
                     qualities: validator.qualities.map(\.rawValue), maxVariants: validator.maxVariants)
            },
            roomTypes: runtime.roomTypes,
            styles: runtime.styles.map { Style(id: $0.id, label: $0.label) },
            // Every ratio and tier some mode offers (each mode lists its own).
            aspectRatios: AspectRatio.allCases.filter { ratio in modes.contains { validator.aspectRatios(for: $0).contains(ratio) } }.map(\.rawValue),
            qualities: validator.qualities.map(\.rawValue),
            defaults: Defaults(mode: defaultMode.rawValue, aspectRatio: validator.defaultAspectRatio(for: defaultMode).rawValue,
                               quality: validator.defaultQuality.rawValue, variants: validator.defaultVariants),
            limits: Limits(maxVariants: validator.maxVariants, maxUploadBytes: runtime.limits.maxUploadBytes,
                           acceptedMimeTypes: request.interior.inputs.acceptedFormats(runtime.limits).map(\.mimeType),
                           maxMegapixels: runtime.limits.maxMegapixels,
                           minShortEdge: runtime.limits.minShortEdge, maxPromptLength: runtime.limits.maxPromptLength,
                           requestsPerMinute: runtime.limits.requestsPerMinute),
            authMode: authMode,
            replicate: settings.replicate.usesEmulator ? "emulator" : "live",
            model: Model(id: validator.profile.id, label: validator.profile.label)))
    }
}
