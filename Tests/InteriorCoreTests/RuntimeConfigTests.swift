import Foundation
@testable import InteriorCore
import Testing

@Suite("Runtime config")
struct RuntimeConfigTests {
    @Test("the built-in defaults are valid and match SPEC §3")
    func builtIns() throws {
        let config = RuntimeConfig()
        try config.validate()
        #expect(config.modes == [.redesign, .staging, .compose, .imagine])
        #expect(config.defaults.mode == .redesign)
        #expect(config.defaults.aspectRatio == .match)
        #expect(config.defaults.quality == .auto)
        #expect(config.defaults.variants == 2)
        #expect(config.roomTypes.map(\.id) == ["living_room", "kitchen", "bedroom", "bathroom", "home_office",
                                              "dining_room", "alfresco", "granny_flat", "laundry", "kids_room"])
        #expect(config.styles.count == 10)
        #expect(config.limits.maxVariants == 3)
        #expect(config.limits.maxUploadBytes == 15 * 1024 * 1024)
        #expect(config.limits.acceptedMimeTypes
            == ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif"])
        #expect(config.limits.maxPixels == 40_000_000)
        #expect(config.limits.minShortEdge == 256)
        #expect(config.plans.map(\.monthlyGenerations) == [10, 150, 600])
        #expect(config.timeouts.stuckCutoff == 600)
    }

    @Test("presets match by id or label, case-insensitively")
    func presetMatching() {
        let config = RuntimeConfig()
        #expect(config.roomType(matching: "living_room")?.id == "living_room")
        #expect(config.roomType(matching: "  LIVING ROOM ")?.id == "living_room")
        #expect(config.roomType(matching: "Alfresco / Patio")?.id == "alfresco")
        #expect(config.roomType(matching: "garage") == nil)
        #expect(config.style(matching: "mid-century au")?.id == "midcentury_au")
        #expect(config.style(matching: "QUEENSLANDER")?.seed.contains("VJ panelling") == true)
        #expect(config.style(matching: "") == nil)
    }

    @Test("plans: known id, unknown id and none")
    func plans() {
        let config = RuntimeConfig()
        #expect(config.plan(id: "advanced").monthlyGenerations == 600)
        #expect(config.plan(id: "gold").id == "free")
        #expect(config.plan(id: nil).id == "free")
    }

    @Test("YAML and JSON files decode alike")
    func yamlAndJSON() throws {
        let json = try RuntimeConfig.parse(Data(#"{"limits": {"maxVariants": 2}, "defaults": {"variants": 1}}"#.utf8), source: "a.json")
        let yaml = try RuntimeConfig.parse(Data("limits:\n  maxVariants: 2\ndefaults:\n  variants: 1\n".utf8), source: "a.yaml")
        #expect(json == yaml)
        #expect(json.limits.maxVariants == 2)
        // The file's name says which it is.
        #expect(try RuntimeConfig.parse(Data("limits:\n  maxVariants: 2\n".utf8), source: "x.YML").limits.maxVariants == 2)
        #expect(throws: ConfigError("x.json", "not valid JSON")) { try RuntimeConfig.parse(Data("limits:\n  maxVariants: 2\n".utf8), source: "x.json") }
    }

    @Test("a value of the wrong shape is named in YAML as in JSON", arguments: [
        ("limits: 3\n", #"{"limits": 3}"#, "limits: must be an object", "limits: must be an object"),
        ("models:\n  id: acme/x\n", #"{"models": {"id": "acme/x"}}"#, "models: must be a list", "models: must be a list"),
        ("limits:\n  maxVariants: two\n", #"{"limits": {"maxVariants": "two"}}"#,
         "limits.maxVariants: must be an integer", "limits.maxVariants: must be an integer"),
        // A list where a number goes: YAML's decoder does not say which scalar it wanted.
        ("limits:\n  maxVariants: [2]\n", #"{"limits": {"maxVariants": [2]}}"#,
         "limits.maxVariants: must be a single value", "limits.maxVariants: must be an integer"),
    ])
    func wrongShape(yaml: String, json: String, yamlMessage: String, jsonMessage: String) {
        for (text, source, message) in [(yaml, "runtime.yaml", yamlMessage), (json, "runtime.json", jsonMessage)] {
            do {
                _ = try RuntimeConfig.parse(Data(text.utf8), source: source)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description == message, "\(source)")
            }
        }
    }

    @Test("validation names the key at fault", arguments: [
        (#"{"modes": []}"#, "modes: must list at least one mode"),
        (#"{"modes": ["imagine"]}"#, #"defaults.mode: "redesign" is not one of modes"#),
        (#"{"defaults": {"variants": 4}}"#, "defaults.variants: must be between 1 and limits.maxVariants (3)"),
        (#"{"limits": {"acceptedMimeTypes": ["image/gif"]}}"#, #"limits.acceptedMimeTypes: unsupported type "image/gif" (supported: image/jpeg, image/png, image/webp, image/heic, image/heif, image/avif)"#),
        (#"{"limits": {"acceptedMimeTypes": ["image/jpeg", "image/HEIC"]}}"#, #"limits.acceptedMimeTypes: unsupported type "image/HEIC" (supported: image/jpeg, image/png, image/webp, image/heic, image/heif, image/avif)"#),
        (#"{"roomTypes": [{"id": "a", "label": "A"}, {"id": "b", "label": "a"}]}"#, #"roomTypes[1]: "a" is used twice (ids and labels must be unique, ignoring case)"#),
        (#"{"styles": [{"id": "x", "label": "X", "seed": " "}]}"#, "styles[0].seed: must not be empty"),
        (#"{"roomTypes": [{"id": "has space", "label": "A"}]}"#, "roomTypes[0].id: must be 1–64 letters, digits, '_' or '-'"),
        (#"{"plans": [{"id": "free", "label": "Free", "monthlyGenerations": -1}]}"#, "plans[0].monthlyGenerations: must not be negative"),
        (#"{"timeouts": {"statusPoll": 0}}"#, "timeouts.statusPoll: must be a number of seconds between 0 and 86400"),
        (#"{"timeouts": {"inputSignedURLTTL": 30}}"#, "timeouts.inputSignedURLTTL: must be at least 60 seconds (Replicate reads inputs through it)"),
        (#"{"surprise": 1}"#, "surprise: unknown key"),
        (#"{"limits": 3}"#, "limits: must be an object"),
        (#"{"plans": [{"id": "free"}]}"#, "plans[0].label: is required"),
    ])
    func invalid(json: String, message: String) {
        #expect(throws: ConfigError.self) { try RuntimeConfig.parse(Data(json.utf8), source: "runtime.json") }
        do {
            _ = try RuntimeConfig.parse(Data(json.utf8), source: "runtime.json")
        } catch {
            #expect(error.description == message)
        }
    }
}
