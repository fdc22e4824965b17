import Foundation
@testable import InteriorCore
import Testing

@Suite("Model profiles in the runtime config")
struct ModelProfileConfigTests {
    static let added = """
        models:
          - id: acme/room-painter
            label: Acme Room Painter
            version: "\(String(repeating: "ab", count: 32))"
            images: {field: source_images, list: true, max: 2}
            aspectRatio: {field: ratio, values: ["1:1", "16:9"], matchValue: same}
            outputCount: {field: count, max: 4}
            outputFormat: {field: format, value: webp, accepted: [webp, png]}
            quality:
              field: detail
              tiers: [auto, high]
              values: {auto: normal, high: fine}
            constants:
              - {field: safety, value: 2}
              - {field: enhance, value: false}
            secrets:
              - {field: acme_key, from: ACME_API_KEY, required: true}
            output: uris
        """

    @Test("a profile added in YAML is a model REPLICATE_MODEL can name, mapped like the built-in ones")
    func addedProfile() throws {
        let config = try RuntimeConfig.parse(Data(Self.added.utf8), source: "runtime.yaml")
        let profile = try #require(config.modelProfile(named: "ACME/room-painter"))
        #expect(config.modelProfiles.count == ModelProfile.builtIn.count + 1)
        #expect(profile.version?.count == 64)
        #expect(profile.supportedModes == GenerationMode.allCases)
        #expect(profile.outputsPerPrediction(variants: 3) == [3])
        let request = GenerationRequest(mode: .redesign, roomType: config.roomTypes[0], style: config.styles[0], aspectRatio: .match,
                                        quality: .high, variants: 3, prompt: nil, idempotencyKey: nil)
        let input = try profile.input(for: request, prompt: "P", inputImageURLs: ["https://x/1.jpg"], outputs: 3,
                                      secrets: ["ACME_API_KEY": "k-123"])
        #expect(input.keys == ["prompt", "source_images", "ratio", "detail", "count", "format", "safety", "enhance", "acme_key"])
        #expect(input["ratio"] == .string("same"))
        #expect(input["detail"] == .string("fine"))
        #expect(input["enhance"] == .bool(false))
        #expect(input.fields.last?.isSecret == true)
        let read = try profile.interpret(input)
        #expect(read.outputCount == 3 && read.aspectRatio == nil && read.quality == .high && read.outputFormat == "webp")
    }

    @Test("a configured profile with a built-in id replaces it, in JSON too")
    func overrideBuiltIn() throws {
        let json = #"{"models": [{"id": "google/nano-banana", "label": "Banana (jpg)", "images": {"field": "image_input", "list": true, "max": 3},"#
            + #" "aspectRatio": {"field": "aspect_ratio", "values": ["1:1"], "matchValue": "match_input_image"},"#
            + #" "outputFormat": {"field": "output_format", "value": "jpg", "accepted": ["jpg", "png"]},"#
            + #" "quality": {"tiers": ["auto"]}, "output": "uri"}]}"#
        let config = try RuntimeConfig.parse(Data(json.utf8), source: "runtime.json")
        #expect(config.modelProfiles.count == ModelProfile.builtIn.count)
        let banana = try #require(config.modelProfile(named: "google/nano-banana"))
        #expect(banana.label == "Banana (jpg)")
        #expect(banana.outputFormat?.value == "jpg")
        #expect(banana.aspectRatios(for: .imagine) == [.square])
        #expect(RuntimeConfig().modelProfile(named: "google/nano-banana") == .nanoBanana)
    }

    /// A valid profile with some of its keys replaced (nil removes one), as a config file.
    static func config(_ changes: [String: Any?] = [:], twice: Bool = false) -> String {
        var profile: [String: Any] = [
            "id": "acme/x", "images": ["field": "image", "list": true, "max": 2],
            "aspectRatio": ["field": "aspect_ratio", "values": ["1:1"]], "quality": ["tiers": ["auto"]], "output": "uri",
        ]
        for (key, value) in changes { profile[key] = value ?? nil }
        let data = try! JSONSerialization.data(withJSONObject: ["models": twice ? [profile, profile] : [profile]], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a bad profile stops start-up with one line naming the profile and the field", arguments: [
        (config(["images": ["field": "image", "list": false, "max": 2]]),
         "models[acme/x].images.max: must be 1 for a single image field (list: false)"),
        (config(["aspectRatio": ["field": "aspect_ratio", "values": ["1:1", "7:5"]]]), "models[acme/x].aspectRatio.values[1]: has an invalid value"),
        (config(["quality": ["tiers": ["high"]]]), "models[acme/x].quality.tiers: must include auto (the default quality)"),
        (config(["quality": ["tiers": ["auto"], "values": ["auto": "1K"]]]), "models[acme/x].quality.field: is required when quality.values are given"),
        (config(["outputFormat": ["field": "fmt", "value": "gif", "accepted": ["png"]]]),
         #"models[acme/x].outputFormat.value: "gif" is not one of outputFormat.accepted"#),
        (config(["secrets": [["field": "k", "from": "AUTH_JWT_SECRET", "required": true]]]),
         "models[acme/x].secrets[0].from: must name an environment variable ending in _API_KEY that is not one of Interior's own"),
        (config(["outputCount": ["field": "image", "max": 4]]), #"models[acme/x].outputCount.field: "image" is used by another field of this profile"#),
        (config(["output": "zip"]), "models[acme/x].output: has an invalid value"),
        (config(["colour": "red"]), "models[acme/x].colour: unknown key"),
        (config(["images": ["field": "image", "list": true, "max": 2, "min": 1]]), "models[acme/x].images.min: unknown key"),
        (config(["images": nil, "aspectRatio": nil]), "models[acme/x].images: the profile serves no mode"),
        (config(["id": "Acme X"]), "models[Acme X].id: must be owner/name in lowercase letters, digits, '-', '_' or '.'"),
        (config(["output": nil]), "models[acme/x].output: is required"),
        (config(twice: true), "models[acme/x]: is declared twice"),
        (#"{"models": {"id": "acme/x"}}"#, "models: must be a list"),
    ])
    func invalid(json: String, message: String) {
        do {
            _ = try RuntimeConfig.parse(Data(json.utf8), source: "runtime.json")
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description == message)
        }
    }
}
