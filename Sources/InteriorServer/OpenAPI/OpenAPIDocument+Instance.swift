import Foundation
import InteriorCore

/// The document as one instance serves it. `openapi.yaml` describes the API; what
/// a request may carry also depends on the instance — its auth mode, its runtime config's
/// presets and limits, its model's modes, ratios and tiers — so those are written into the
/// submit schemas here, per mode, and dev-only operations are left out outside dev auth. A
/// client (or a fuzzer) that reads the document then finds exactly the routes that answer and
/// requests the schemas admit pass validation, as far as a schema can say it: image contents,
/// moderation and idempotency are for the server to judge.
extension OpenAPIDocument {
    struct Instance: Sendable {
        var devAuth: Bool
        var validator: GenerationRequestValidator?
    }

    static func served(_ instance: Instance) -> Data {
        var root = root()
        if !instance.devAuth { root["paths"] = withoutDevOnly(root["paths"] as? [String: Any] ?? [:]) }
        if let validator = instance.validator { describe(validator, in: &root) }
        guard let data = try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            preconditionFailure("the OpenAPI document cannot be written back")
        }
        return data
    }

    /// A character that survives the prompt's cleaning (not blank, not a control or format character).
    static let visibleCharacter = "[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff]"

    private static let methods: Set = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    private static func withoutDevOnly(_ paths: [String: Any]) -> [String: Any] {
        var paths = paths
        for (path, value) in paths {
            guard var item = value as? [String: Any] else { continue }
            for (method, operation) in item where (operation as? [String: Any])?["x-interior-dev-only"] as? Bool == true {
                item[method] = nil
            }
            paths[path] = item.keys.contains(where: methods.contains) ? item : nil
        }
        return paths
    }

    private static func describe(_ validator: GenerationRequestValidator, in root: inout [String: Any]) {
        var components = root["components"] as? [String: Any] ?? [:]
        var schemas = components["schemas"] as? [String: Any] ?? [:]
        schemas["SubmitForm"] = submitSchema(schemas["SubmitForm"], validator, images: ["input1", "input2"])
        schemas["SubmitJSON"] = submitSchema(schemas["SubmitJSON"], validator, images: ["input1Url", "input2Url"])
        components["schemas"] = schemas

        var parameters = components["parameters"] as? [String: Any] ?? [:]
        let config = validator.config
        parameters["ModeFilter"] = withSchema(parameters["ModeFilter"], ["type": "string", "enum": [""] + GenerationMode.allCases.map(\.rawValue)])
        parameters["RoomTypeFilter"] = withSchema(parameters["RoomTypeFilter"], ["type": "string", "enum": [""] + names(config.roomTypes.map { ($0.id, $0.label) })])
        parameters["StyleFilter"] = withSchema(parameters["StyleFilter"], ["type": "string", "enum": [""] + names(config.styles.map { ($0.id, $0.label) })])
        parameters["Cursor"] = withSchema(parameters["Cursor"], ["type": "string", "pattern": PageCursor.pattern])
        components["parameters"] = parameters
        root["components"] = components
    }

    /// A preset is named by its id or its label.
    private static func names(_ presets: [(String, String)]) -> [String] {
        var seen = Set<String>()
        return presets.flatMap { [$0.0, $0.1] }.filter { seen.insert($0).inserted }
    }

    private static func withSchema(_ parameter: Any?, _ schema: [String: Any]) -> [String: Any] {
        var parameter = parameter as? [String: Any] ?? [:]
        parameter["schema"] = schema
        return parameter
    }

    /// The submit schema with this instance's choices, and one rule per mode: the images it
    /// needs and refuses, the prompt imagine needs, the ratios the model offers for it.
    private static func submitSchema(_ base: Any?, _ validator: GenerationRequestValidator, images: [String]) -> [String: Any] {
        var schema = base as? [String: Any] ?? [:]
        var properties = schema["properties"] as? [String: Any] ?? [:]
        let config = validator.config
        let modes = validator.availableModes
        func merged(_ name: String, _ values: [String: Any]) {
            properties[name] = (properties[name] as? [String: Any] ?? [:]).merging(values) { _, new in new }.filter { $0.key != "$ref" }
        }
        merged("mode", ["type": "string", "enum": modes.map(\.rawValue)])
        merged("roomType", ["type": "string", "enum": names(config.roomTypes.map { ($0.id, $0.label) })])
        merged("style", ["type": "string", "enum": names(config.styles.map { ($0.id, $0.label) })])
        merged("quality", ["type": "string", "enum": validator.qualities.map(\.rawValue)])
        let ratios = modes.flatMap(validator.aspectRatios(for:)).map(\.rawValue)
        merged("aspectRatio", ["type": "string", "enum": ratios.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }])
        merged("variants", ["type": "integer", "minimum": 1, "maximum": validator.maxVariants])
        merged("prompt", ["type": "string", "maxLength": config.limits.maxPromptLength])
        schema["properties"] = properties

        schema["allOf"] = modes.map { mode -> [String: Any] in
            var then: [String: Any] = [
                "properties": ["aspectRatio": ["enum": validator.aspectRatios(for: mode).map(\.rawValue)]],
            ]
            let needed = Array(images.prefix(mode.inputImageCount))
            let refused = Array(images.dropFirst(mode.inputImageCount))
            var required = needed
            if mode == .imagine {
                required.append("prompt")
                then["properties"] = [
                    "aspectRatio": ["enum": validator.aspectRatios(for: mode).map(\.rawValue)],
                    "prompt": ["pattern": visibleCharacter],
                ]
            }
            if !required.isEmpty { then["required"] = required }
            if !refused.isEmpty { then["not"] = ["anyOf": refused.map { ["required": [$0]] }] }
            return ["if": ["properties": ["mode": ["const": mode.rawValue]], "required": ["mode"]], "then": then]
        }
        return schema
    }
}
