import Foundation
import Yams

extension RuntimeConfig {
    public enum FileFormat: Sendable {
        case json, yaml

        /// The format a file name implies; JSON unless it ends in `.yaml` or `.yml`.
        public init(path: String) {
            let lower = path.lowercased()
            self = lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") ? .yaml : .json
        }
    }

    /// Parses and validates a runtime config file. Keys left out take the built-in
    /// defaults; unknown keys are refused, so a typo does not silently fall back to a default.
    /// - Parameter source: the name errors are reported under (the file's path).
    public static func parse(_ data: Data, format: FileFormat, source: String) throws(ConfigError) -> RuntimeConfig {
        let tree: Any?
        do {
            switch format {
            case .json: tree = try JSONSerialization.jsonObject(with: data)
            case .yaml: tree = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
            }
        } catch {
            throw ConfigError(source, "not valid \(format == .json ? "JSON" : "YAML")")
        }
        guard let object = tree as? [String: Any] else {
            throw ConfigError(source, "must be an object at the top level")
        }
        try checkKnownKeys(object)

        let config: RuntimeConfig
        do {
            switch format {
            case .json: config = try JSONDecoder().decode(RuntimeConfig.self, from: data)
            case .yaml: config = try YAMLDecoder().decode(RuntimeConfig.self, from: data)
            }
        } catch let error as DecodingError {
            throw Self.configError(for: error)
        } catch {
            throw ConfigError(source, "could not be read")
        }
        try config.validate()
        return config
    }

    /// Every rule a runtime config must satisfy; the built-in defaults satisfy them all.
    public func validate() throws(ConfigError) {
        if modes.isEmpty { throw ConfigError("modes", "must list at least one mode") }
        if Set(modes).count != modes.count { throw ConfigError("modes", "lists a mode twice") }
        if !modes.contains(defaults.mode) {
            throw ConfigError("defaults.mode", "\"\(defaults.mode.rawValue)\" is not one of modes")
        }
        if !(1...10).contains(limits.maxVariants) {
            throw ConfigError("limits.maxVariants", "must be between 1 and 10")
        }
        if !(1...limits.maxVariants).contains(defaults.variants) {
            throw ConfigError("defaults.variants", "must be between 1 and limits.maxVariants (\(limits.maxVariants))")
        }
        if limits.maxUploadBytes < 1024 || limits.maxUploadBytes > 100 * 1024 * 1024 {
            throw ConfigError("limits.maxUploadBytes", "must be between 1 KiB and 100 MiB")
        }
        let supported: Set = ["image/jpeg", "image/png", "image/webp"]
        if limits.acceptedMimeTypes.isEmpty {
            throw ConfigError("limits.acceptedMimeTypes", "must list at least one type")
        }
        if let odd = limits.acceptedMimeTypes.first(where: { !supported.contains($0) }) {
            throw ConfigError("limits.acceptedMimeTypes", "unsupported type \"\(odd)\" (supported: image/jpeg, image/png, image/webp)")
        }
        if !(1...200).contains(limits.maxMegapixels) {
            throw ConfigError("limits.maxMegapixels", "must be between 1 and 200")
        }
        if !(1...4096).contains(limits.minShortEdge) {
            throw ConfigError("limits.minShortEdge", "must be between 1 and 4096")
        }
        if !(1...4000).contains(limits.maxPromptLength) {
            throw ConfigError("limits.maxPromptLength", "must be between 1 and 4000")
        }
        try Self.checkPresets(roomTypes.map { ($0.id, $0.label) }, key: "roomTypes")
        try Self.checkPresets(styles.map { ($0.id, $0.label) }, key: "styles")
        if let blank = styles.firstIndex(where: { $0.seed.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ConfigError("styles[\(blank)].seed", "must not be empty")
        }
        try Self.checkPresets(plans.map { ($0.id, $0.label) }, key: "plans")
        if let bad = plans.firstIndex(where: { $0.monthlyGenerations < 0 }) {
            throw ConfigError("plans[\(bad)].monthlyGenerations", "must not be negative")
        }
        if !plans.contains(where: { $0.id == defaultPlanId }) {
            throw ConfigError("defaultPlanId", "\"\(defaultPlanId)\" is not one of plans")
        }
        let durations: [(String, Double)] = [
            ("replicateRequest", timeouts.replicateRequest), ("statusPoll", timeouts.statusPoll),
            ("stalePollThreshold", timeouts.stalePollThreshold), ("stuckCutoff", timeouts.stuckCutoff),
            ("inputSignedURLTTL", timeouts.inputSignedURLTTL), ("sweeperInterval", timeouts.sweeperInterval),
            ("reconcileAfter", timeouts.reconcileAfter),
        ]
        for (name, seconds) in durations where !(seconds > 0 && seconds <= 86_400) {
            throw ConfigError("timeouts.\(name)", "must be a number of seconds between 0 and 86400")
        }
        if timeouts.inputSignedURLTTL < 60 {
            throw ConfigError("timeouts.inputSignedURLTTL", "must be at least 60 seconds (Replicate reads inputs through it)")
        }
    }

    private static func checkPresets(_ presets: [(id: String, label: String)], key: String) throws(ConfigError) {
        if presets.isEmpty { throw ConfigError(key, "must list at least one entry") }
        var seen = Set<String>()
        for (index, preset) in presets.enumerated() {
            let id = preset.id.trimmingCharacters(in: .whitespaces)
            if id.isEmpty || id.count > 64 || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                throw ConfigError("\(key)[\(index)].id", "must be 1–64 letters, digits, '_' or '-'")
            }
            if preset.label.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ConfigError("\(key)[\(index)].label", "must not be empty")
            }
            for name in [preset.id.lowercased(), preset.label.lowercased()] where !seen.insert(name).inserted {
                // ids and labels are matched case-insensitively, so no two may collide.
                throw ConfigError("\(key)[\(index)]", "\"\(name)\" is used twice (ids and labels must be unique, ignoring case)")
            }
        }
    }

    private static let knownKeys: [String: Set<String>] = [
        "": ["modes", "defaults", "roomTypes", "styles", "limits", "plans", "defaultPlanId", "timeouts"],
        "defaults": ["mode", "aspectRatio", "quality", "variants"],
        "limits": ["maxVariants", "maxUploadBytes", "acceptedMimeTypes", "maxMegapixels", "minShortEdge", "maxPromptLength"],
        "timeouts": ["replicateRequest", "statusPoll", "stalePollThreshold", "stuckCutoff", "inputSignedURLTTL", "sweeperInterval", "reconcileAfter"],
    ]

    private static func checkKnownKeys(_ object: [String: Any]) throws(ConfigError) {
        for key in object.keys.sorted() where !knownKeys[""]!.contains(key) {
            throw ConfigError(key, "unknown key")
        }
        for section in ["defaults", "limits", "timeouts"] {
            guard let value = object[section] else { continue }
            guard let nested = value as? [String: Any] else {
                throw ConfigError(section, "must be an object")
            }
            for key in nested.keys.sorted() where !knownKeys[section]!.contains(key) {
                throw ConfigError("\(section).\(key)", "unknown key")
            }
        }
    }

    private static func configError(for error: DecodingError) -> ConfigError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case let .typeMismatch(type, context):
            return ConfigError(path(context.codingPath), "expected \(describe(type))")
        case let .valueNotFound(type, context):
            return ConfigError(path(context.codingPath), "expected \(describe(type)), found null")
        case let .keyNotFound(key, context):
            return ConfigError(path(context.codingPath + [key]), "missing")
        case let .dataCorrupted(context):
            // Unknown enum raw values land here ("4:3" as an aspect ratio).
            return ConfigError(path(context.codingPath), "invalid value")
        @unknown default:
            return ConfigError("(config)", "could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: type is any Collection.Type ? "a list" : "an object"
        }
    }
}
