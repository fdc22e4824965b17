import Imaging
import InteriorAPI
import InteriorCore
import SQLKit
import Vapor

/// `GET /api/v1/health` and `GET /api/v1/config`.
extension APIHandler {
    typealias Health = Components.Schemas.Health

    /// Can this instance reach its database and its storage? And what it runs on: the storage
    /// backend and what the installed libvips can decode. 503 when either check fails.
    func getHealth(_ input: InteriorAPI.Operations.GetHealth.Input) async throws -> InteriorAPI.Operations.GetHealth.Output {
        let request = CurrentRequest.request
        let context = request.interior
        async let db = Self.check { try await request.sql.raw("SELECT 1").run() }
        async let storage = Self.check { try await context.checkStorage() }
        let (dbOK, storageOK) = await (db, storage)
        let replicate: Health.ReplicatePayload = context.settings.replicate.usesEmulator ? .emulator : .live
        guard dbOK, storageOK else {
            throw APIError(.serviceUnavailable, "The service cannot reach its database or storage.",
                           details: ["db": dbOK ? "ok" : "error", "storage": storageOK ? "ok" : "error", "replicate": replicate.rawValue])
        }
        let access = await context.storageAccess.cached()
        let health = Health(
            status: .ok, db: .ok, storage: .ok,
            storageBackend: try Self.value(context.store.kind),
            imaging: try Self.imaging(),
            replicate: replicate,
            storageAccess: .init(publicRead: try Self.value(access?.report.publicRead.status.rawValue ?? "pending"),
                                 privateRead: try Self.value(access?.report.privateRead.status.rawValue ?? "pending"),
                                 checkedAt: access?.checkedAt),
            webPage: context.settings.webRoot.map(WebRoot.hasIndex) == true ? .served : .missing)
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: health))))
    }

    /// What the create form needs: the modes this model can serve, presets, ratios, limits.
    func getConfig(_ input: InteriorAPI.Operations.GetConfig.Input) async throws -> InteriorAPI.Operations.GetConfig.Output {
        let context = CurrentRequest.request.interior
        let settings = context.settings
        let live = context.runtime.current
        let runtime = live.config
        // What this model can do: modes it cannot serve are not offered, variants are capped.
        let validator = live.validator
        let modes = validator.availableModes
        let defaultMode = modes.contains(runtime.defaults.mode) ? runtime.defaults.mode : modes.first ?? runtime.defaults.mode
        let qualities = try validator.qualities.map { try Self.value($0.rawValue, as: Components.Schemas.Quality.self) }
        let config = Components.Schemas.PublicConfig(
            modes: try modes.map { mode in
                Components.Schemas.ConfigMode(
                    id: try Self.value(mode.rawValue), label: Self.modeLabel(mode), inputImages: mode.inputImageCount,
                    requiresPrompt: mode.requiresPrompt,
                    aspectRatios: try validator.aspectRatios(for: mode).map { try Self.value($0.rawValue) },
                    defaultAspectRatio: try Self.value(validator.defaultAspectRatio(for: mode).rawValue),
                    qualities: qualities, maxVariants: validator.maxVariants)
            },
            roomTypes: runtime.roomTypes.map { .init(id: $0.id, label: $0.label) },
            styles: runtime.styles.map { .init(id: $0.id, label: $0.label) },
            // Every ratio and tier some mode offers (each mode lists its own).
            aspectRatios: try AspectRatio.allCases.filter { ratio in modes.contains { validator.aspectRatios(for: $0).contains(ratio) } }
                .map { try Self.value($0.rawValue) },
            qualities: qualities,
            defaults: .init(mode: try Self.value(defaultMode.rawValue),
                            aspectRatio: try Self.value(validator.defaultAspectRatio(for: defaultMode).rawValue),
                            quality: try Self.value(validator.defaultQuality.rawValue), variants: validator.defaultVariants),
            limits: .init(maxVariants: validator.maxVariants, maxUploadBytes: runtime.limits.maxUploadBytes,
                          acceptedMimeTypes: context.inputs.acceptedFormats(runtime.limits).map(\.mimeType),
                          maxMegapixels: runtime.limits.maxMegapixels, minShortEdge: runtime.limits.minShortEdge,
                          maxPromptLength: runtime.limits.maxPromptLength, requestsPerMinute: runtime.limits.requestsPerMinute),
            authMode: { if case .dev = settings.auth { .dev } else { .supabase } }(),
            replicate: settings.replicate.usesEmulator ? .emulator : .live,
            model: .init(id: validator.profile.id, label: validator.profile.label))
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: config))))
    }

    static func modeLabel(_ mode: GenerationMode) -> String {
        switch mode {
        case .redesign: "Redesign"
        case .staging: "Virtual staging"
        case .compose: "Compose"
        case .imagine: "Imagine"
        }
    }

    private static func imaging() throws -> Health.ImagingPayload {
        let capabilities = ImageProcessor.capabilities
        let formats = try ImageFormat.allCases.filter(capabilities.supports).map { try value($0.rawValue, as: Health.ImagingPayload.FormatsPayloadPayload.self) }
        return .init(libvips: capabilities.libvipsVersion, formats: formats)
    }

    private static func check(_ probe: @Sendable () async throws -> Void) async -> Bool {
        do {
            try await probe()
            return true
        } catch {
            return false
        }
    }
}
