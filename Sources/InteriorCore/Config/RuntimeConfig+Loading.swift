import Foundation
import Yams

extension RuntimeConfig {
    /// Parses and validates a runtime config file. Its keys are laid over the built-in
    /// defaults (objects key by key, lists and values whole); unknown keys are refused, so a
    /// typo does not silently fall back to a default.
    /// - Parameter source: the name errors are reported under (the file's path); YAML if it
    ///   ends in `.yaml` or `.yml`, else JSON.
    public static func parse(_ data: Data, source: String) throws(ConfigError) -> RuntimeConfig {
        let yaml = [".yaml", ".yml"].contains { source.lowercased().hasSuffix($0) }
        let tree: Any?
        do {
            tree = try yaml ? Yams.load(yaml: String(decoding: data, as: UTF8.self)) : JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigError(source, "not valid \(yaml ? "YAML" : "JSON")")
        }
        guard let object = tree as? [String: Any] else {
            throw ConfigError(source, "must be an object at the top level")
        }
        let config: RuntimeConfig
        do {
            if !yaml {
                let builtIn = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RuntimeConfig()))
                config = try JSONDecoder().decode(RuntimeConfig.self, from: JSONSerialization.data(withJSONObject: overlay(object, on: builtIn)))
            } else {
                // Decoded from the document's nodes, so a scalar keeps its text ("3:2" stays a ratio).
                let file = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) ?? [:]
                let defaults = try Yams.compose(yaml: YAMLEncoder().encode(RuntimeConfig())) ?? [:]
                config = try YAMLDecoder().decode(RuntimeConfig.self, from: overlay(file, on: defaults))
            }
        } catch let error as DecodingError {
            let (path, problem) = DecodingErrorText.describe(error, fallbackPath: "(top level)")
            throw ConfigError(named(path, object), problem)
        } catch {
            throw ConfigError(source, "could not be read")
        }
        // A key the decoder passed over is a typo or another version's: it must not silently
        // leave a default in force.
        if let decoded = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(config)),
           let key = unknownKey(in: object, known: decoded, path: "") {
            throw ConfigError(named(key, object), "unknown key")
        }
        try config.validate()
        return config
    }

    /// `file` over `defaults`: objects merge key by key; anything else in `file` replaces
    /// the default, except null, which leaves it.
    private static func overlay(_ file: Any, on defaults: Any) -> Any {
        guard var merged = defaults as? [String: Any], let top = file as? [String: Any] else { return file is NSNull ? defaults : file }
        for (key, value) in top { merged[key] = merged[key].map { overlay(value, on: $0) } ?? value }
        return merged
    }

    private static func overlay(_ file: Node, on defaults: Node) -> Node {
        guard case var .mapping(merged) = defaults, case let .mapping(top) = file else { return file.null != nil ? defaults : file }
        for (key, value) in top {
            guard let name = key.string else { continue }
            merged[name] = merged[name].map { overlay(value, on: $0) } ?? value
        }
        return .mapping(merged)
    }

    /// Every rule a runtime config must satisfy; the built-in defaults satisfy them all.
    public func validate() throws(ConfigError) {
        if modes.isEmpty { throw ConfigError("modes", "must list at least one mode") }
        if Set(modes).count != modes.count { throw ConfigError("modes", "lists a mode twice") }
        if !modes.contains(defaults.mode) {
            throw ConfigError("defaults.mode", "\"\(defaults.mode.rawValue)\" is not one of modes")
        }
        // The limits with a plain range; how the message shows it where numbers alone would not say it.
        let ranges: [(String, Int, ClosedRange<Int>, String?)] = [
            ("maxVariants", limits.maxVariants, 1...10, nil),
            ("maxUploadBytes", limits.maxUploadBytes, 1024...100 * 1024 * 1024, "1 KiB and 100 MiB"),
            ("maxMegapixels", limits.maxMegapixels, 1...200, nil),
            ("minShortEdge", limits.minShortEdge, 1...4096, nil),
            ("maxPromptLength", limits.maxPromptLength, 1...4000, nil),
            ("requestsPerMinute", limits.requestsPerMinute, 0...100_000, "0 (off) and 100000"),
        ]
        for (name, value, range, shown) in ranges where !range.contains(value) {
            throw ConfigError("limits.\(name)", "must be between \(shown ?? "\(range.lowerBound) and \(range.upperBound)")")
        }
        if !(1...limits.maxVariants).contains(defaults.variants) {
            throw ConfigError("defaults.variants", "must be between 1 and limits.maxVariants (\(limits.maxVariants))")
        }
        if limits.acceptedMimeTypes.isEmpty {
            throw ConfigError("limits.acceptedMimeTypes", "must list at least one type")
        }
        if let odd = limits.acceptedMimeTypes.first(where: { !Limits.supportedMimeTypes.contains($0) }) {
            throw ConfigError("limits.acceptedMimeTypes",
                              "unsupported type \"\(odd)\" (supported: \(Limits.supportedMimeTypes.joined(separator: ", ")))")
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
        // Every field of `timeouts`, so a new one cannot be left out of the check.
        for case let (name?, seconds as Double) in Mirror(reflecting: timeouts).children where !(seconds > 0 && seconds <= 86_400) {
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

    /// The first key of `file` that `known` (the decoded config, encoded again) lacks.
    private static func unknownKey(in file: Any, known: Any, path: String) -> String? {
        if let object = file as? [String: Any] {
            for (key, value) in object.sorted(by: { $0.key < $1.key }) where !(value is NSNull) {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                guard let next = (known as? [String: Any])?[key] else { return inner }
                if let found = unknownKey(in: value, known: next, path: inner) { return found }
            }
        } else if let list = file as? [Any], let known = known as? [Any] {
            for (index, item) in zip(list, known).enumerated() {
                if let found = unknownKey(in: item.0, known: item.1, path: "\(path)[\(index)]") { return found }
            }
        }
        return nil
    }

    /// How a configured profile is named in errors: by its id when it has a usable one.
    static func modelKey(index: Int, id: String?) -> String {
        guard let id, !id.isEmpty, id.count <= 100, !id.contains(where: { $0.isNewline }) else { return "models[\(index)]" }
        return "models[\(id)]"
    }

    /// `path` with "models[2]" naming the profile by its id where it has one.
    private static func named(_ path: String, _ object: [String: Any]) -> String {
        guard path.hasPrefix("models["), let close = path.firstIndex(of: "]"), let models = object["models"] as? [Any],
              let index = Int(path[path.index(path.startIndex, offsetBy: 7)..<close]), index < models.count else { return path }
        return modelKey(index: index, id: (models[index] as? [String: Any])?["id"] as? String) + path[path.index(after: close)...]
    }
}
