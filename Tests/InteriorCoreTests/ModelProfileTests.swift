import Foundation
import Testing
@testable import InteriorCore

@Suite("Model adapter")
struct ModelProfileTests {
    static let config = RuntimeConfig()
    static let prompt = "FINAL PROMPT"
    static let urls = ["https://files.example/in/1.png?token=a", "https://files.example/in/2.png?token=b"]
    static let photo = ImageSize(width: 1200, height: 800)

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

    /// Every combination gpt-image-1 offers.
    static let combinations: [Combination] = ModelProfile.gptImage1.supportedModes.flatMap { mode in
        ModelProfile.gptImage1.aspectRatios(for: mode).flatMap { ratio in
            Quality.allCases.flatMap { quality in
                (1...3).map { Combination(mode: mode, ratio: ratio, quality: quality, variants: $0) }
            }
        }
    }

    /// gpt-image-1's fields, written out for each combination (the schema tests check the
    /// same inputs against the published schema).
    @Test("gpt-image-1 maps every mode × aspect ratio × quality × variants combination", arguments: combinations)
    func gptImage1MapsEveryCombination(_ c: Combination) throws {
        let images = Array(Self.urls.prefix(c.mode.inputImageCount))
        let input = try ModelProfile.gptImage1.input(
            for: Self.request(c.mode, c.ratio, c.quality, variants: c.variants),
            prompt: Self.prompt, inputImageURLs: images, inputSize: Self.photo, outputs: c.variants,
            secrets: ["OPENAI_API_KEY": "sk-test-123"]
        )
        var expected: [String: Any] = [
            "prompt": Self.prompt,
            // `match` on a model without a match value: the ratio nearest the 3:2 photo.
            "aspect_ratio": c.ratio == .match ? "3:2" : c.ratio.rawValue,
            "number_of_images": c.variants,
            // WebP at the stored quality, so an output that fits the tier is stored as it came.
            "output_format": "webp",
            "output_compression": 82,
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
    }

    @Test("an input keeps the profile's field order and encodes to the exact JSON Replicate expects")
    func exactJSON() throws {
        let compose = try ModelProfile.gptImage1.input(
            for: Self.request(.compose, .landscape, .high, variants: 3), prompt: "P", inputImageURLs: Self.urls, outputs: 3,
            secrets: ["OPENAI_API_KEY": "sk-1"])
        #expect(compose.keys == ["prompt", "input_images", "aspect_ratio", "quality", "number_of_images", "output_format", "output_compression",
                                "openai_api_key"])

        let banana = try ModelProfile.nanoBanana.input(
            for: Self.request(.redesign, .match, .low, variants: 3), prompt: "P", inputImageURLs: [Self.urls[0]])
        #expect(try Self.json(banana) == #"{"aspect_ratio":"match_input_image","image_input":["https://files.example/in/1.png?token=a"],"output_format":"png","prompt":"P"}"#)

        let flux = try ModelProfile.fluxKontextPro.input(
            for: Self.request(.staging, .wide, .medium, variants: 1), prompt: "P", inputImageURLs: [Self.urls[0]])
        #expect(try Self.json(flux) == #"{"aspect_ratio":"16:9","input_image":"https://files.example/in/1.png?token=a","output_format":"png","prompt":"P","safety_tolerance":2}"#)

        let seedream = try ModelProfile.seedream4.input(for: Self.request(.imagine, .portrait, .high, variants: 2), prompt: "P", inputImageURLs: [])
        #expect(try Self.json(seedream) == #"{"aspect_ratio":"2:3","prompt":"P","size":"2K"}"#)
    }

    @Test("a secret is sent only when set, and a required one that is missing is refused")
    func secrets() throws {
        let request = Self.request(.redesign)
        let without = try ModelProfile.gptImage15.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]], outputs: 2)
        #expect(without["openai_api_key"] == nil)
        let blank = try ModelProfile.gptImage15.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]], outputs: 2,
                                                      secrets: ["OPENAI_API_KEY": "  "])
        #expect(blank["openai_api_key"] == nil)
        let with = try ModelProfile.gptImage15.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]], outputs: 2,
                                                     secrets: ["OPENAI_API_KEY": "sk-live-abc"])
        #expect(with["openai_api_key"] == .string("sk-live-abc"))
        #expect(try Self.json(with).contains(#""openai_api_key":"sk-live-abc""#), "the request itself carries the key")
        #expect(throws: ModelInputError.missingSecret(field: "openai_api_key", from: "OPENAI_API_KEY")) {
            try ModelProfile.gptImage1.input(for: request, prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(ModelProfile.nanoBanana.secrets.isEmpty, "the default model needs no second key")
    }

    @Test("the API key never appears in any description of the input")
    func apiKeyIsRedactedInDescriptions() throws {
        let secret = "sk-proj-SECRET0123456789"
        let input = try ModelProfile.gptImage1.input(
            for: Self.request(.redesign), prompt: "P", inputImageURLs: [Self.urls[0]], secrets: ["OPENAI_API_KEY": secret])
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

    @Test("what each built-in model can serve follows from its declaration")
    func capabilities() {
        #expect(ModelProfile.fluxKontextPro.supportedModes == [.redesign, .staging, .imagine], "one image slot: no compose")
        #expect(ModelProfile.qwenImageEditPlus.supportedModes == [.redesign, .staging, .compose], "an image is required: no imagine")
        #expect(ModelProfile.nanoBanana.supportedModes == GenerationMode.allCases)
        #expect(ModelProfile.nanoBanana.aspectRatios(for: .redesign).first == .match)
        #expect(!ModelProfile.nanoBanana.aspectRatios(for: .imagine).contains(.match), "nothing to match without a photo")
        #expect(ModelProfile.nanoBanana.qualities == [.auto, .low, .medium], "a 1 MP model cannot honour high")
        #expect(ModelProfile.nanoBananaPro.qualities == Quality.allCases)
        #expect(ModelProfile.gptImage1.aspectRatios(for: .compose) == [.match, .square, .landscape, .portrait])
    }

    @Test("a job asks for as many predictions as the model needs for its variants")
    func predictionPlan() {
        #expect(ModelProfile.nanoBanana.outputsPerPrediction(variants: 3) == [1, 1, 1])
        #expect(ModelProfile.nanoBanana.outputsPerPrediction(variants: 1) == [1])
        #expect(ModelProfile.gptImage1.outputsPerPrediction(variants: 3) == [3])
        var two = ModelProfile.gptImage1
        two.outputCount?.max = 2
        #expect(two.outputsPerPrediction(variants: 3) == [2, 1])
        #expect(two.outputsPerPrediction(variants: 0) == [1], "at least one prediction")
    }

    @Test("match is sent as the model's match value, or as the fixed ratio nearest the photo")
    func matchMapping() {
        #expect(ModelProfile.nanoBanana.aspectRatioValue(.match, inputSize: Self.photo) == "match_input_image")
        let gpt = ModelProfile.gptImage1
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 1200, height: 800)) == "3:2")
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 800, height: 1200)) == "2:3")
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 1000, height: 990)) == "1:1")
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 1920, height: 1080)) == "3:2", "16:9 is nearest 3:2 of 1:1, 3:2, 2:3")
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 1000, height: 1150)) == "1:1", "nearer 1:1 than 2:3 by log ratio")
        #expect(gpt.aspectRatioValue(.match, inputSize: ImageSize(width: 1000, height: 1250)) == "2:3")
        #expect(gpt.aspectRatioValue(.landscape, inputSize: nil) == "3:2")
        #expect(AspectRatio.nearest(to: ImageSize(width: 4032, height: 3024), among: ModelProfile.nanoBanana.aspectRatio!.values) == .landscape4x3)
    }

    @Test("a request the profile cannot serve is refused, not silently changed")
    func unservableRequestsThrow() {
        #expect(throws: ModelInputError.unsupportedMode(.compose, model: "black-forest-labs/flux-kontext-pro")) {
            try ModelProfile.fluxKontextPro.input(for: Self.request(.compose, variants: 1), prompt: "P", inputImageURLs: Self.urls)
        }
        #expect(throws: ModelInputError.tooManyOutputs(requested: 2, maximum: 1)) {
            try ModelProfile.fluxKontextPro.input(for: Self.request(.redesign, variants: 2), prompt: "P", inputImageURLs: [Self.urls[0]], outputs: 2)
        }
        #expect(throws: ModelInputError.wrongImageCount(expected: 2, got: 1)) {
            try ModelProfile.nanoBanana.input(for: Self.request(.compose), prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(throws: ModelInputError.wrongImageCount(expected: 0, got: 1)) {
            try ModelProfile.nanoBanana.input(for: Self.request(.imagine), prompt: "P", inputImageURLs: [Self.urls[0]])
        }
        #expect(throws: ModelInputError.unsupportedAspectRatio(.ultrawide, model: "openai/gpt-image-1.5")) {
            try ModelProfile.gptImage15.input(for: Self.request(.imagine, .ultrawide), prompt: "P", inputImageURLs: [])
        }
        #expect(throws: ModelInputError.unsupportedAspectRatio(.match, model: "google/nano-banana")) {
            try ModelProfile.nanoBanana.input(for: Self.request(.imagine, .match), prompt: "P", inputImageURLs: [])
        }
        #expect(throws: ModelInputError.unsupportedQuality(.high, model: "google/nano-banana")) {
            try ModelProfile.nanoBanana.input(for: Self.request(.imagine, .square, .high), prompt: "P", inputImageURLs: [])
        }
    }

    @Test("built-in profiles are found by model id, ignoring case and spaces; the default needs no second key")
    func profilesByName() {
        #expect(ModelProfile.builtIn(named: "openai/gpt-image-1") == .gptImage1)
        #expect(ModelProfile.builtIn(named: "  OpenAI/GPT-Image-1 ") == .gptImage1)
        #expect(ModelProfile.builtIn(named: "openai/dall-e-2") == nil)
        #expect(ModelProfile.builtIn(named: "") == nil)
        #expect(ModelProfile.builtIn(named: ModelProfile.defaultModelID) == .nanoBanana)
        #expect(ModelProfile.gptImage1.owner == "openai")
        #expect(ModelProfile.gptImage1.name == "gpt-image-1")
        #expect(Set(ModelProfile.builtIn.map(\.id)).count == ModelProfile.builtIn.count)
        for id in ["google/nano-banana", "google/nano-banana-pro", "black-forest-labs/flux-kontext-pro", "black-forest-labs/flux-2-pro",
                   "bytedance/seedream-4", "qwen/qwen-image-edit-plus", "openai/gpt-image-1.5", "openai/gpt-image-1"] {
            #expect(ModelProfile.builtIn(named: id) != nil, "\(id) ships built in")
        }
    }

    @Test("every built-in profile satisfies the rules a configured one must")
    func builtInsValidate() throws {
        for profile in ModelProfile.builtIn { try profile.validate() }
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
            (.wide, .auto, 1024, 576), (.tall, .high, 864, 1536), (.landscape4x3, .auto, 1024, 768),
        ]
        for (ratio, quality, width, height) in table {
            let size = ImageSize.target(aspectRatio: ratio, quality: quality)
            #expect(size == ImageSize(width: width, height: height), "\(ratio) \(quality)")
            #expect(size.width % 16 == 0 && size.height % 16 == 0)
            #expect(size.longEdge == quality.longEdge)
        }
    }

    @Test("match takes the photo's proportions, and is square without a photo")
    func matchTargetSize() {
        #expect(ImageSize.target(aspectRatio: .match, quality: .auto, inputSize: ImageSize(width: 3000, height: 2000)) == ImageSize(width: 1024, height: 688))
        #expect(ImageSize.target(aspectRatio: .match, quality: .high, inputSize: ImageSize(width: 3024, height: 4032)) == ImageSize(width: 1152, height: 1536))
        #expect(ImageSize.target(aspectRatio: .match, quality: .low) == ImageSize(width: 768, height: 768))
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
        #expect(request.targetSize() == ImageSize(width: 1024, height: 1536))
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
            return rejection.problems.map { "\($0.field): \($0.description)" }
        }
    }

    @Test("every gpt-image-1 input the adapter writes reads back as what was asked", arguments: ModelProfileTests.combinations)
    func gptImage1RoundTrip(_ c: ModelProfileTests.Combination) throws {
        let images = Array(ModelProfileTests.urls.prefix(c.mode.inputImageCount))
        let input = try ModelProfile.gptImage1.input(
            for: ModelProfileTests.request(c.mode, c.ratio, c.quality, variants: c.variants),
            prompt: "P", inputImageURLs: images, inputSize: ModelProfileTests.photo, outputs: c.variants,
            secrets: ["OPENAI_API_KEY": "sk-x"]
        )
        let received = try JSONDecoder().decode(ModelInput.self, from: JSONEncoder().encode(input))
        #expect(try ModelProfile.gptImage1.interpret(received) == ModelInvocation(
            prompt: "P", inputImageURLs: images, outputCount: c.variants, aspectRatio: c.ratio == .match ? "3:2" : c.ratio.rawValue,
            quality: c.quality, outputFormat: "webp"
        ))
    }

    @Test("every built-in profile reads back what it writes", arguments: ModelProfile.builtIn.map(\.id))
    func everyProfileRoundTrips(_ id: String) throws {
        let profile = try #require(ModelProfile.builtIn(named: id))
        for mode in profile.supportedModes {
            for ratio in profile.aspectRatios(for: mode) {
                for quality in profile.qualities {
                    let images = Array(ModelProfileTests.urls.prefix(mode.inputImageCount))
                    let input = try profile.input(
                        for: ModelProfileTests.request(mode, ratio, quality, variants: 1), prompt: "P", inputImageURLs: images,
                        inputSize: ModelProfileTests.photo, outputs: 1, secrets: ["OPENAI_API_KEY": "sk-x"])
                    let read = try profile.interpret(try JSONDecoder().decode(ModelInput.self, from: JSONEncoder().encode(input)))
                    #expect(read.prompt == "P")
                    #expect(read.inputImageURLs == images)
                    #expect(read.outputCount == 1)
                    let matched = ratio == .match && profile.aspectRatio?.matchValue != nil
                    #expect(read.aspectRatio == (matched ? nil : profile.aspectRatioValue(ratio, inputSize: ModelProfileTests.photo)),
                            "\(id) \(mode) \(ratio)")
                    // The tier sent reads back as the largest tier sending the same value.
                    if let value = profile.quality.value(for: quality) {
                        #expect(profile.quality.value(for: read.quality) == value)
                        #expect(read.quality.longEdge >= quality.longEdge)
                    }
                }
            }
        }
    }

    @Test("flux-kontext-pro inputs read back with the photo's shape or the requested one")
    func fluxRoundTrip() throws {
        let photo = ModelProfileTests.request(.staging, .match, .low, variants: 1)
        let input = try ModelProfile.fluxKontextPro.input(for: photo, prompt: "P", inputImageURLs: ["https://x/1.png"])
        let invocation = try ModelProfile.fluxKontextPro.interpret(try JSONDecoder().decode(ModelInput.self, from: JSONEncoder().encode(input)))
        #expect(invocation == ModelInvocation(prompt: "P", inputImageURLs: ["https://x/1.png"], outputCount: 1, aspectRatio: nil,
                                              quality: .auto, outputFormat: "png"))

        let text = try ModelProfile.fluxKontextPro.interpret(try Self.decode(#"{"prompt":"P","aspect_ratio":"16:9","seed":7}"#))
        #expect(text.aspectRatio == "16:9")
        #expect(text.aspectRatioComponents! == (16, 9))
        let square = try ModelProfile.fluxKontextPro.interpret(try Self.decode(#"{"prompt":"P"}"#))
        #expect(square.aspectRatio == "1:1", "nothing to match without an image")
    }

    @Test("defaults apply to fields left out, and unknown fields are ignored")
    func defaultsAndUnknownFields() throws {
        let invocation = try ModelProfile.gptImage15.interpret(try Self.decode(#"{"prompt":"a loft","background":"auto","moderation":"low"}"#))
        #expect(invocation == ModelInvocation(prompt: "a loft", inputImageURLs: [], outputCount: 1, aspectRatio: "1:1", quality: .auto))
    }

    @Test("inputs the model would refuse list every problem, as Replicate's 422 detail does")
    func rejections() throws {
        #expect(try Self.problems(.gptImage15, #"{}"#) == ["input: prompt is required"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"  "}"#) == ["input.prompt: prompt must not be empty"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":null}"#) == ["input: prompt is required"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":5}"#) == ["input.prompt: Invalid type. Expected: string"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","aspect_ratio":"4:3"}"#)
            == [#"input.aspect_ratio: aspect_ratio must be one of the following: "1:1", "3:2", "2:3" (got "4:3")"#])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","number_of_images":11}"#) == ["input.number_of_images: Must be less than or equal to 10"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","number_of_images":0}"#) == ["input.number_of_images: Must be greater than or equal to 1"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","number_of_images":"2"}"#) == ["input.number_of_images: Invalid type. Expected: integer"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","number_of_images":1.5}"#) == ["input.number_of_images: Invalid type. Expected: integer"])
        let eleven = (1...11).map { "\"https://x/\($0).png\"" }.joined(separator: ",")
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","input_images":[\#(eleven)]}"#) == ["input.input_images: Array must have at most 10 items"])
        #expect(try Self.problems(.gptImage15, #"{"prompt":"P","input_images":"https://x/1.png"}"#) == ["input.input_images: Invalid type. Expected: array"])
        #expect(try Self.problems(.gptImage15, #"{"quality":"ultra","output_format":"gif"}"#).count == 3)
        #expect(try Self.problems(.gptImage1, #"{"prompt":"P"}"#) == ["input: openai_api_key is required"])
        #expect(try Self.problems(.qwenImageEditPlus, #"{"prompt":"P"}"#) == ["input: image is required"])
        #expect(try Self.problems(.fluxKontextPro, #"{"prompt":"P","input_image":["a","b"]}"#)
            == ["input.input_image: Invalid type. Expected: string"])
        #expect(try Self.problems(.nanoBananaPro, #"{"prompt":"P","resolution":"8K"}"#)
            == [#"input.resolution: resolution must be one of the following: "1K", "2K" (got "8K")"#])

        let rejection = ModelInputRejection(problems: [
            .init(type: "required", field: "input", description: "prompt is required"),
            .init(type: "enum", field: "input.quality", description: "bad"),
        ])
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
