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
            throw Self.configError(for: error, models: object["models"] as? [Any])
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
        if limits.acceptedMimeTypes.isEmpty {
            throw ConfigError("limits.acceptedMimeTypes", "must list at least one type")
        }
        if let odd = limits.acceptedMimeTypes.first(where: { !Limits.supportedMimeTypes.contains($0) }) {
            throw ConfigError("limits.acceptedMimeTypes",
                              "unsupported type \"\(odd)\" (supported: \(Limits.supportedMimeTypes.joined(separator: ", ")))")
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
        if !(0...100_000).contains(limits.requestsPerMinute) {
            throw ConfigError("limits.requestsPerMinute", "must be between 0 (off) and 100000")
        }
        if limits.maxBodyBytesInFlightPerUser < limits.maxSubmitBodyBytes {
            throw ConfigError("limits.maxBodyBytesInFlightPerUser",
                              "must hold at least one whole submit (\(limits.maxSubmitBodyBytes) bytes: two uploads of limits.maxUploadBytes and the text fields)")
        }
        if limits.maxBodyBytesInFlight < limits.maxBodyBytesInFlightPerUser || limits.maxBodyBytesInFlight > 1 << 40 {
            throw ConfigError("limits.maxBodyBytesInFlight", "must be at least limits.maxBodyBytesInFlightPerUser and at most 1 TiB")
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
            ("reconcileAfter", timeouts.reconcileAfter), ("inboxLease", timeouts.inboxLease),
            ("requestBodyIdle", timeouts.requestBodyIdle),
        ]
        for (name, seconds) in durations where !(seconds > 0 && seconds <= 86_400) {
            throw ConfigError("timeouts.\(name)", "must be a number of seconds between 0 and 86400")
        }
        if !(1...600).contains(timeouts.inboxLease) {
            throw ConfigError("timeouts.inboxLease", "must be between 1 and 600 seconds")
        }
        if timeouts.inputSignedURLTTL < 60 {
            throw ConfigError("timeouts.inputSignedURLTTL", "must be at least 60 seconds (Replicate reads inputs through it)")
        }
        var profileIDs = Set<String>()
        for (index, profile) in models.enumerated() {
            try profile.validate(key: Self.modelKey(index: index, id: profile.id))
            if !profileIDs.insert(profile.id).inserted {
                throw ConfigError("models[\(profile.id)]", "is declared twice")
            }
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
            // Ids and labels are matched case-insensitively, so no two presets may share one
            // (a preset's own id and label may be alike: "kitchen" / "Kitchen").
            let names = Set([preset.id.lowercased(), preset.label.lowercased()])
            if let clash = names.sorted().first(where: seen.contains) {
                throw ConfigError("\(key)[\(index)]", "\"\(clash)\" is used twice (ids and labels must be unique, ignoring case)")
            }
            seen.formUnion(names)
        }
    }

    private static let knownKeys: [String: Set<String>] = [
        "": ["modes", "defaults", "roomTypes", "styles", "limits", "plans", "defaultPlanId", "timeouts", "models"],
        "defaults": ["mode", "aspectRatio", "quality", "variants"],
        "limits": ["maxVariants", "maxUploadBytes", "acceptedMimeTypes", "maxMegapixels", "minShortEdge", "maxPromptLength", "requestsPerMinute",
                   "maxBodyBytesInFlight", "maxBodyBytesInFlightPerUser"],
        "timeouts": ["replicateRequest", "statusPoll", "stalePollThreshold", "stuckCutoff", "inputSignedURLTTL", "sweeperInterval", "reconcileAfter", "inboxLease", "requestBodyIdle"],
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
        guard let models = object["models"] else { return }
        guard let list = models as? [Any] else { throw ConfigError("models", "must be a list of model profiles") }
        for (index, entry) in list.enumerated() {
            guard let profile = entry as? [String: Any] else { throw ConfigError("models[\(index)]", "must be an object") }
            let key = modelKey(index: index, id: profile["id"] as? String)
            for name in profile.keys.sorted() where !profileKeys.keys.contains(name) {
                throw ConfigError("\(key).\(name)", "unknown key")
            }
            for (name, allowed) in profileKeys {
                guard !allowed.isEmpty, let value = profile[name] else { continue }
                let nested = value as? [String: Any] ?? [:]
                let entries = (value as? [[String: Any]]) ?? [nested]
                for item in entries {
                    for field in item.keys.sorted() where !allowed.contains(field) {
                        throw ConfigError("\(key).\(name).\(field)", "unknown key")
                    }
                }
            }
        }
    }

    /// The keys of a model profile, and of each of its objects (empty: a plain value).
    private static let profileKeys: [String: Set<String>] = [
        "id": [], "version": [], "label": [], "promptField": [], "output": [],
        "images": ["field", "list", "max", "required"],
        "aspectRatio": ["field", "values", "matchValue"],
        "outputCount": ["field", "max"],
        "outputFormat": ["field", "value", "accepted"],
        "quality": ["field", "tiers", "values"],
        "constants": ["field", "value"],
        "secrets": ["field", "from", "required"],
    ]

    /// How a configured profile is named in errors: by its id when it has a usable one.
    static func modelKey(index: Int, id: String?) -> String {
        guard let id, !id.isEmpty, id.count <= 100, !id.contains(where: { $0.isNewline }) else { return "models[\(index)]" }
        return "models[\(id)]"
    }

    private static func configError(for error: DecodingError, models: [Any]?) -> ConfigError {
        var (path, problem) = DecodingErrorText.describe(error, fallbackPath: "(top level)")
        // "models[2].output" names the profile by its id where it has one.
        if path.hasPrefix("models["), let close = path.firstIndex(of: "]"),
           let index = Int(path[path.index(path.startIndex, offsetBy: 7)..<close]), let models, index < models.count {
            let id = (models[index] as? [String: Any])?["id"] as? String
            path = modelKey(index: index, id: id) + path[path.index(after: close)...]
        }
        return ConfigError(path, problem)
    }
}
