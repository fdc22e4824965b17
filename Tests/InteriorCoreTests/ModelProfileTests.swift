import Foundation
import Testing
@testable import InteriorCore

@Suite("Model adapter")
struct ModelProfileTests {
    static let config = RuntimeConfig()
    static let prompt = "FINAL PROMPT"
    static let urls = ["https://files.example/in/1.png?token=a", "https://files.example/in/2.png?token=b"]

    static func request(_ mode: GenerationMode, _ ratio: AspectRatio = .square, _ quality: Quality = .auto, variants: Int = 2) -> GenerationRequest {
        GenerationRequest(
            mode: mode, roomType: config.roomTypes[0], style: config.styles[0], aspectRatio: ratio,
            quality: quality, variants: variants, prompt: nil, idempotencyKey: nil
        )
    }

    static func json(_ input: ModelInput) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(input), as: UTF8.self)
    }

    struct Combination: CustomTestStringConvertible, Sendable {
        let mode: GenerationMode
        let ratio: AspectRatio
        let quality: Quality
        let variants: Int
        var testDescription: String { "\(mode.rawValue) \(ratio.rawValue) \(quality.rawValue) ×\(variants)" }
    }

    static let combinations: [Combination] = GenerationMode.allCases.flatMap { mode in
        AspectRatio.allCases.flatMap { ratio in
            Quality.allCases.flatMap { quality in
                (1...3).map { Combination(mode: mode, ratio: ratio, quality: quality, variants: $0) }
            }
        }
    }

    /// SPEC §7's table for openai/gpt-image-1, written out as the fields each combination must produce.
    @Test("gpt-image-1 maps every mode × aspect ratio × quality × variants combination", arguments: combinations)
    func gptImage1MapsEveryCombination(_ c: Combination) throws {
        let images = Array(Self.urls.prefix(c.mode.inputImageCount))
        let input = try ModelProfile.gptImage1.input(
            for: Self.request(c.mode, c.ratio, c.quality, variants: c.variants),
            prompt: Self.prompt, inputImageURLs: images, openAIAPIKey: "sk-test-123"
        )
        var expected: [String: Any] = [
            "prompt": Self.prompt,
            "aspect_ratio": ["1:1", "3:2", "2:3"][AspectRatio.allCases.firstIndex(of: c.ratio)!],
            "number_of_images": c.variants,
            "output_format": "png",
            "openai_api_key": "sk-test-123",
        ]
        switch c.mode {
        case .redesign, .staging: expected["input_images"] = [Self.urls[0]]
        case .compose: expected["input_images"] = Self.urls
        case .imagine: break
        }
        if c.quality != .auto { expected["quality"] = c.quality.rawValue }

        // Both sides through the same serialiser, so only content can differ.
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        let decoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(input))
        let actualJSON = String(decoding: try JSONSerialization.data(withJSONObject: decoded, options: options), as: UTF8.self)
        let expectedJSON = String(decoding: try JSONSerialization.data(withJSONObject: expected, options: options), as: UTF8.self)
        #expect(actualJSON == expectedJSON)
        #expect(Set(input.keys) == Set(expected.keys))
        #expect(input["quality"] == (c.quality == .auto ? nil : .string(c.quality.rawValue)))
    }

    @Test("gpt-image-1 input encodes to the exact JSON Replicate expects")
    func gptImage1ExactJSON() throws {
        let compose = try ModelProfile.gptImage1.input(
            for: Self.request(.compose, .landscape, .high, variants: 3), prompt: "P", inputImageURLs: Self.urls
        )
        #expect(try Self.json(compose) == #"{"aspect_ratio":"3:2","input_images":["https://files.example/in/1.png?token=a","https://files.example/in/2.png?token=b"],"number_of_images":3,"output_format":"png","prompt":"P","quality":"high"}"#)
        #expect(compose.keys == ["prompt", "input_images", "aspect_ratio", "quality", "number_of_images", "output_format"])

        let imagine = try ModelProfile.gptImage1.input(for: Self.request(.imagine), prompt: "P", inputImageURLs: [], openAIAPIKey: "  ")
        #expect(try Self.json(imagine) == #"{"aspect_ratio":"1:1","number_of_images":2,"output_format":"png","prompt":"P"}"#)
    }

    @Test("the OpenAI key is sent only when given")
    func openAIKeyOnlyWhenGiven() throws {
        let request = Self.request(.redesign)
        let without = try ModelProfile.gptImage1.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]])
        #expect(without["openai_api_key"] == nil)
        let blank = try ModelProfile.gptImage1.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]], openAIAPIKey: "")
        #expect(blank["openai_api_key"] == nil)
        let with = try ModelProfile.gptImage1.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]], openAIAPIKey: "sk-live-abc")
        #expect(with["openai_api_key"] == .string("sk-live-abc"))
        #expect(try Self.json(with).contains(#""openai_api_key":"sk-live-abc""#), "the request itself carries the key")
    }

    @Test("the API key never appears in any description of the input")
    func apiKeyIsRedactedInDescriptions() throws {
        let secret = "sk-proj-SECRET0123456789"
        let input = try ModelProfile.gptImage1.input(
            for: Self.request(.redesign), prompt: "P", inputImageURLs: [Self.urls[0]], openAIAPIKey: secret
        )
        var dumped = ""
        dump(input, to: &dumped)
        var dumpedFields = ""
        dump(input.fields, to: &dumpedFields)
        let renderings = [
            input.description, input.debugDescription, String(describing: input), String(reflecting: input),
            "\(input)", dumped, "\(input.fields)", String(reflecting: input.fields), dumpedFields,
        ]
        for text in renderings {
            #expect(!text.contains(secret), "leaked in: \(text)")
            #expect(!text.contains("SECRET"))
        }
        #expect(input.description.contains(#""openai_api_key": "[redacted]""#))
        #expect(input.description.contains(#""prompt": "P""#))
    }

    @Test("flux-kontext-pro takes one image, returns one output and matches the photo's shape")
    func fluxKontextPro() throws {
        let profile = ModelProfile.fluxKontextPro
        #expect(profile.maxOutputs == 1)
        #expect(profile.maxInputImages == 1)
        #expect(profile.supportedModes == [.redesign, .staging, .imagine])
        for mode in [GenerationMode.redesign, .staging] {
            for ratio in AspectRatio.allCases {
                for quality in Quality.allCases {
                    let input = try profile.input(
                        for: Self.request(mode, ratio, quality, variants: 1), prompt: "P",
                        inputImageURLs: [Self.urls[0]], openAIAPIKey: "sk-ignored"
                    )
                    #expect(try Self.json(input) == #"{"aspect_ratio":"match_input_image","input_image":"https://files.example/in/1.png?token=a","output_format":"png","prompt":"P"}"#)
                }
            }
        }
        for ratio in AspectRatio.allCases {
            let input = try profile.input(for: Self.request(.imagine, ratio, .high, variants: 1), prompt: "P", inputImageURLs: [])
            #expect(try Self.json(input) == #"{"aspect_ratio":"\#(ratio.rawValue)","output_format":"png","prompt":"P"}"#)
        }
    }

    @Test("a request the profile cannot serve is refused, not silently changed")
    func unservableRequestsThrow() {
        #expect(throws: ModelInputError.unsupportedMode(.compose, model: "black-forest-labs/flux-kontext-pro")) {
            try ModelProfile.fluxKontextPro.input(for: Self.request(.compose, variants: 1), prompt: "P", inputImageURLs: Self.urls)
        }
        #expect(throws: ModelInputError.tooManyOutputs(requested: 2, maximum: 1)) {
            try ModelProfile.fluxKontextPro.input(for: Self.request(.redesign, variants: 2), prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(throws: ModelInputError.wrongImageCount(expected: 2, got: 1)) {
            try ModelProfile.gptImage1.input(for: Self.request(.compose), prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(throws: ModelInputError.wrongImageCount(expected: 0, got: 1)) {
            try ModelProfile.gptImage1.input(for: Self.request(.imagine), prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(throws: ModelInputError.tooManyOutputs(requested: 0, maximum: 10)) {
            try ModelProfile.gptImage1.input(for: Self.request(.imagine, variants: 0), prompt: "P", inputImageURLs: [])
        }
    }

    @Test("profiles are found by model id, ignoring case and spaces")
    func profilesByName() {
        #expect(ModelProfile.named("openai/gpt-image-1") == .gptImage1)
        #expect(ModelProfile.named("  OpenAI/GPT-Image-1 ") == .gptImage1)
        #expect(ModelProfile.named("black-forest-labs/flux-kontext-pro") == .fluxKontextPro)
        #expect(ModelProfile.named("openai/dall-e-2") == nil)
        #expect(ModelProfile.named("") == nil)
        #expect(ModelProfile.named(ModelProfile.defaultModelID) == .gptImage1)
        #expect(ModelProfile.gptImage1.owner == "openai")
        #expect(ModelProfile.gptImage1.name == "gpt-image-1")
        #expect(ModelProfile.fluxKontextPro.owner == "black-forest-labs")
        #expect(ModelProfile.gptImage1.supportedModes == GenerationMode.allCases)
    }
}

@Suite("Target size")
struct ImageSizeTests {
    @Test("aspect ratio × quality tier gives the long edge of the tier and a short edge in multiples of 16")
    func targetSizes() {
        let table: [(AspectRatio, Quality, Int, Int)] = [
            (.square, .low, 768, 768), (.square, .auto, 1024, 1024), (.square, .medium, 1024, 1024), (.square, .high, 1536, 1536),
            (.landscape, .low, 768, 512), (.landscape, .auto, 1024, 688), (.landscape, .medium, 1024, 688), (.landscape, .high, 1536, 1024),
            (.portrait, .low, 512, 768), (.portrait, .auto, 688, 1024), (.portrait, .medium, 688, 1024), (.portrait, .high, 1024, 1536),
        ]
        #expect(table.count == AspectRatio.allCases.count * Quality.allCases.count)
        for (ratio, quality, width, height) in table {
            let size = ImageSize.target(aspectRatio: ratio, quality: quality)
            #expect(size == ImageSize(width: width, height: height), "\(ratio) \(quality)")
            #expect(size.width % 16 == 0 && size.height % 16 == 0)
            #expect(size.longEdge == quality.longEdge)
        }
    }

    @Test("rounding goes to the nearest multiple of 16")
    func rounding() {
        #expect(ImageSize.roundedTo16(682.67) == 688)
        #expect(ImageSize.roundedTo16(679.9) == 672)
        #expect(ImageSize.roundedTo16(680) == 688, "halves round up")
        #expect(ImageSize.roundedTo16(3) == 16, "never below 16")
    }

    @Test("a request knows its target size")
    func requestTargetSize() {
        let config = RuntimeConfig()
        let request = GenerationRequest(
            mode: .imagine, roomType: config.roomTypes[0], style: config.styles[0], aspectRatio: .portrait,
            quality: .high, variants: 1, prompt: "x", idempotencyKey: nil
        )
        #expect(request.targetSize == ImageSize(width: 1024, height: 1536))
    }
}

@Suite("Model input read back")
struct ModelInvocationTests {
    static func decode(_ json: String) throws -> ModelInput {
        try JSONDecoder().decode(ModelInput.self, from: Data(json.utf8))
    }

    static func problems(_ profile: ModelProfile, _ json: String) throws -> [String] {
        do {
            _ = try profile.interpret(try decode(json))
            return []
        } catch let rejection as ModelInputRejection {
            return rejection.problems
        }
    }

    @Test("every gpt-image-1 input the adapter writes reads back as what was asked", arguments: ModelProfileTests.combinations)
    func gptImage1RoundTrip(_ c: ModelProfileTests.Combination) throws {
        let images = Array(ModelProfileTests.urls.prefix(c.mode.inputImageCount))
        let input = try ModelProfile.gptImage1.input(
            for: ModelProfileTests.request(c.mode, c.ratio, c.quality, variants: c.variants),
            prompt: "P", inputImageURLs: images, openAIAPIKey: "sk-x"
        )
        let received = try JSONDecoder().decode(ModelInput.self, from: JSONEncoder().encode(input))
        #expect(try ModelProfile.gptImage1.interpret(received) == ModelInvocation(
            prompt: "P", inputImageURLs: images, outputCount: c.variants, aspectRatio: c.ratio.rawValue, quality: c.quality
        ))
    }

    @Test("flux-kontext-pro inputs read back with the photo's shape or the requested one")
    func fluxRoundTrip() throws {
        let config = RuntimeConfig()
        let photo = GenerationRequest(mode: .staging, roomType: config.roomTypes[0], style: config.styles[0],
                                      aspectRatio: .portrait, quality: .low, variants: 1, prompt: nil, idempotencyKey: nil)
        let input = try ModelProfile.fluxKontextPro.input(for: photo, prompt: "P", inputImageURLs: ["https://x/1.png"])
        let invocation = try ModelProfile.fluxKontextPro.interpret(try JSONDecoder().decode(ModelInput.self, from: JSONEncoder().encode(input)))
        #expect(invocation == ModelInvocation(prompt: "P", inputImageURLs: ["https://x/1.png"], outputCount: 1, aspectRatio: nil, quality: .auto))

        let text = try ModelProfile.fluxKontextPro.interpret(try Self.decode(#"{"prompt":"P","aspect_ratio":"16:9","seed":7}"#))
        #expect(text.aspectRatio == "16:9")
        #expect(text.aspectRatioComponents! == (16, 9))
        let square = try ModelProfile.fluxKontextPro.interpret(try Self.decode(#"{"prompt":"P"}"#))
        #expect(square.aspectRatio == "1:1", "nothing to match without an image")
    }

    @Test("defaults apply to fields left out, and unknown fields are ignored")
    func defaultsAndUnknownFields() throws {
        let invocation = try ModelProfile.gptImage1.interpret(try Self.decode(#"{"prompt":"a loft","background":"auto","moderation":"low"}"#))
        #expect(invocation == ModelInvocation(prompt: "a loft", inputImageURLs: [], outputCount: 1, aspectRatio: "1:1", quality: .auto))
    }

    @Test("inputs the model would refuse list every problem, as Replicate's 422 detail does")
    func rejections() throws {
        #expect(try Self.problems(.gptImage1, #"{}"#) == ["input: prompt is required"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"  "}"#) == ["input.prompt: prompt must not be empty"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":null}"#) == ["input: prompt is required"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":5}"#) == ["input.prompt: Invalid type. Expected: string"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","aspect_ratio":"4:3"}"#)
            == [#"input.aspect_ratio: aspect_ratio must be one of the following: "1:1", "3:2", "2:3" (got "4:3")"#])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","number_of_images":11}"#) == ["input.number_of_images: must be between 1 and 10"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","number_of_images":"2"}"#) == ["input.number_of_images: Invalid type. Expected: integer"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","number_of_images":1.5}"#) == ["input.number_of_images: Invalid type. Expected: integer"])
        let eleven = (1...11).map { "\"https://x/\($0).png\"" }.joined(separator: ",")
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","input_images":[\#(eleven)]}"#) == ["input.input_images: at most 10 images are allowed"])
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P","input_images":"https://x/1.png"}"#) == ["input.input_images: Invalid type. Expected: array of strings"])
        #expect(try Self.problems(.gptImage1, #"{"quality":"ultra","output_format":"gif"}"#).count == 3)
        #expect(try Self.problems(.fluxKontextPro, #"{"prompt":"P","input_image":["a","b"],"safety_tolerance":9}"#)
            == ["input.input_image: Invalid type. Expected: string", "input.safety_tolerance: must be between 0 and 6"])

        let rejection = ModelInputRejection(problems: ["input: prompt is required", "input.quality: bad"])
        #expect(rejection.detail == "- input: prompt is required\n- input.quality: bad\n")
    }

    @Test("a received input hides credential-like fields when described")
    func decodedSecretsAreRedacted() throws {
        let input = try Self.decode(#"{"prompt":"P","openai_api_key":"sk-live-SECRET","webhook_token":"t0k3n"}"#)
        #expect(input["openai_api_key"] == .string("sk-live-SECRET"))
        #expect(!input.description.contains("SECRET"))
        #expect(!input.description.contains("t0k3n"))
        #expect(input.description.contains(#""prompt": "P""#))
    }

    @Test("a value of no JSON type the model knows cannot be decoded")
    func undecodableValue() {
        #expect(throws: DecodingError.self) { try Self.decode(#"{"prompt":{"nested":true}}"#) }
    }
}
