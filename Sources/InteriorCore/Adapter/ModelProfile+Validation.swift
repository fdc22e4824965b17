import Foundation

extension ModelProfile {
    /// Environment variables a secret input may not be filled from: Interior's own secrets,
    /// which must never travel to a model.
    static let reservedSecretSources: Set<String> = [
        "REPLICATE_API_TOKEN", "REPLICATE_WEBHOOK_SECRET", "AUTH_JWT_SECRET", "S3_SECRET_ACCESS_KEY",
        "S3_ACCESS_KEY_ID", "STORAGE_SIGNING_SECRET", "DATABASE_URL", "METRICS_TOKEN",
    ]

    /// Every rule a profile must satisfy; a broken one stops start-up with one line naming the
    /// profile and the field (`models[acme/x].aspectRatio.values`).
    /// - Parameter key: where the profile was declared, for the message.
    public func validate(key: String? = nil) throws(ConfigError) {
        let at = key ?? "models[\(id)]"
        func fail(_ field: String, _ problem: String) -> ConfigError { ConfigError("\(at).\(field)", problem) }

        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isSlugCharacter) }) else {
            throw fail("id", "must be owner/name in lowercase letters, digits, '-', '_' or '.'")
        }
        if let version, !(version.count == 64 && version.allSatisfy(\.isHexDigit)) {
            throw fail("version", "must be a version id of 64 hexadecimal digits")
        }
        if label.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("label", "must not be empty") }

        var fields: [(String, String)] = [("promptField", promptField)]
        if let images {
            fields.append(("images.field", images.field))
            if !(1...20).contains(images.max) { throw fail("images.max", "must be between 1 and 20") }
            if !images.list, images.max != 1 { throw fail("images.max", "must be 1 for a single image field (list: false)") }
        }
        if let aspectRatio {
            fields.append(("aspectRatio.field", aspectRatio.field))
            if aspectRatio.values.contains(.match) {
                throw fail("aspectRatio.values", "lists fixed ratios only; declare the model's match value as matchValue")
            }
            if Set(aspectRatio.values).count != aspectRatio.values.count {
                throw fail("aspectRatio.values", "lists a ratio twice")
            }
            if aspectRatio.values.isEmpty, aspectRatio.matchValue == nil {
                throw fail("aspectRatio", "needs values, a matchValue, or both")
            }
            if let match = aspectRatio.matchValue, match.trimmingCharacters(in: .whitespaces).isEmpty {
                throw fail("aspectRatio.matchValue", "must not be empty")
            }
        }
        if let outputCount {
            fields.append(("outputCount.field", outputCount.field))
            if !(1...20).contains(outputCount.max) { throw fail("outputCount.max", "must be between 1 and 20") }
        }
        if let outputFormat {
            fields.append(("outputFormat.field", outputFormat.field))
            if !outputFormat.accepted.contains(outputFormat.value) {
                throw fail("outputFormat.value", "\"\(outputFormat.value)\" is not one of outputFormat.accepted")
            }
        }
        if quality.tiers.isEmpty || !quality.tiers.contains(.auto) {
            throw fail("quality.tiers", "must include auto (the default quality)")
        }
        if Set(quality.tiers).count != quality.tiers.count { throw fail("quality.tiers", "lists a tier twice") }
        if let unknown = quality.values.keys.sorted().first(where: { key in !quality.tiers.contains { $0.rawValue == key } }) {
            throw fail("quality.values.\(unknown)", "is not one of quality.tiers")
        }
        if let field = quality.field {
            fields.append(("quality.field", field))
            if quality.values.isEmpty { throw fail("quality.values", "must give a value for at least one tier when quality.field is set") }
        } else if !quality.values.isEmpty {
            throw fail("quality.field", "is required when quality.values are given")
        }
        for (index, constant) in constants.enumerated() {
            fields.append(("constants[\(index)].field", constant.field))
            if constant.value == .null { throw fail("constants[\(index)].value", "must not be null") }
        }
        for (index, secret) in secrets.enumerated() {
            fields.append(("secrets[\(index)].field", secret.field))
            let source = secret.from
            let wellFormed = source.first?.isUppercase == true
                && source.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" } && source.hasSuffix("_API_KEY")
            if !wellFormed || Self.reservedSecretSources.contains(source) {
                throw fail("secrets[\(index)].from", "must name an environment variable ending in _API_KEY that is not one of Interior's own")
            }
        }

        var seen = Set<String>()
        for (path, name) in fields {
            if name.trimmingCharacters(in: .whitespaces).isEmpty { throw fail(path, "must not be empty") }
            if !seen.insert(name).inserted { throw fail(path, "\"\(name)\" is used by another field of this profile") }
        }
        if supportedModes.isEmpty { throw fail("images", "the profile serves no mode") }
    }

    private static func isSlugCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLowercase || character.isNumber || "-_.".contains(character))
    }
}
