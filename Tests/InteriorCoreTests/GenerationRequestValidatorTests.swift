import Foundation
import Testing
@testable import InteriorCore

@Suite("Request validation")
struct GenerationRequestValidatorTests {
    static let config = RuntimeConfig()
    static let validator = GenerationRequestValidator(config: config, profile: .gptImage1)

    static func failure(_ submission: GenerationSubmission, _ validator: GenerationRequestValidator = validator) -> ValidationFailure? {
        do {
            _ = try validator.validate(submission)
            return nil
        } catch {
            return error
        }
    }

    static func redesign(_ change: (inout GenerationSubmission) -> Void = { _ in }) -> GenerationSubmission {
        var submission = GenerationSubmission(mode: "redesign", hasInput1: true)
        change(&submission)
        return submission
    }

    // MARK: mode

    @Test("mode is required")
    func modeRequired() {
        #expect(Self.failure(GenerationSubmission(hasInput1: true))?.field == "mode")
        #expect(Self.failure(GenerationSubmission(mode: "  ", hasInput1: true))?.field == "mode")
    }

    @Test("mode must be one of the configured modes, matched case-insensitively")
    func modeMustBeConfigured() throws {
        #expect(Self.failure(Self.redesign { $0.mode = "remodel" })?.field == "mode")
        #expect(try Self.validator.validate(Self.redesign { $0.mode = " Redesign " }).mode == .redesign)
        var config = Self.config
        config.modes = [.redesign, .imagine]
        let narrow = GenerationRequestValidator(config: config, profile: .gptImage1)
        let failure = Self.failure(GenerationSubmission(mode: "staging", hasInput1: true), narrow)
        #expect(failure == ValidationFailure(field: "mode", message: "mode must be one of redesign, imagine."))
    }

    @Test("a mode the model cannot serve is refused on mode")
    func modeMustBeSupportedByModel() {
        let flux = GenerationRequestValidator(config: Self.config, profile: .fluxKontextPro)
        let failure = Self.failure(GenerationSubmission(mode: "compose", variants: 1, hasInput1: true, hasInput2: true), flux)
        #expect(failure?.field == "mode")
        #expect(flux.availableModes == [.redesign, .staging, .imagine])
        #expect(Self.validator.availableModes == GenerationMode.allCases)
    }

    // MARK: defaults

    @Test("everything but mode defaults from the config")
    func defaultsApply() throws {
        let request = try Self.validator.validate(Self.redesign())
        #expect(request == GenerationRequest(
            mode: .redesign, roomType: Self.config.roomTypes[0], style: Self.config.styles[0],
            aspectRatio: .match, quality: .auto, variants: 2, prompt: nil, idempotencyKey: nil
        ))
        let imagine = try Self.validator.validate(GenerationSubmission(mode: "imagine", prompt: "a loft"))
        #expect(imagine.aspectRatio == .square, "imagine has no photo to match: the first ratio the model offers")
        var config = Self.config
        config.defaults.aspectRatio = .portrait
        config.defaults.quality = .high
        config.defaults.variants = 3
        let custom = try GenerationRequestValidator(config: config, profile: .gptImage1).validate(Self.redesign())
        #expect(custom.aspectRatio == .portrait && custom.quality == .high && custom.variants == 3)
    }

    @Test("blank fields, as an HTML form sends them, take the defaults")
    func blankFieldsAreAbsent() throws {
        let request = try Self.validator.validate(Self.redesign {
            $0.roomType = ""; $0.style = " "; $0.aspectRatio = ""; $0.quality = ""; $0.variants = ""
            $0.idempotencyKey = ""; $0.prompt = "  "
        })
        #expect(request == (try Self.validator.validate(Self.redesign())))
    }

    @Test("a one-image model offers as many variants as the config (one prediction each)")
    func variantsOnOneImageModels() throws {
        let flux = GenerationRequestValidator(config: Self.config, profile: .fluxKontextPro)
        #expect(try flux.validate(Self.redesign()).variants == 2)
        #expect(try flux.validate(Self.redesign { $0.variants = 3 }).variants == 3)
        #expect(flux.maxVariants == 3)
    }

    @Test("quality tiers the model cannot honour are refused and not the default")
    func qualityPerModel() throws {
        let banana = GenerationRequestValidator(config: Self.config, profile: .nanoBanana)
        #expect(Self.failure(Self.redesign { $0.quality = "high" }, banana)
            == ValidationFailure(field: "quality", message: "quality must be one of auto, low, medium with the current image model."))
        var config = Self.config
        config.defaults.quality = .high
        #expect(try GenerationRequestValidator(config: config, profile: .nanoBanana).validate(Self.redesign()).quality == .auto)
    }

    // MARK: presets

    @Test("room type accepts its id or its label, case-insensitively")
    func roomTypeByIdOrLabel() throws {
        for text in ["kitchen", "Kitchen", "KITCHEN", " kitchen "] {
            #expect(try Self.validator.validate(Self.redesign { $0.roomType = text }).roomType.id == "kitchen")
        }
        for text in ["alfresco", "Alfresco / Patio", "alfresco / patio"] {
            #expect(try Self.validator.validate(Self.redesign { $0.roomType = text }).roomType.id == "alfresco")
        }
        let failure = Self.failure(Self.redesign { $0.roomType = "garage" })
        #expect(failure?.field == "roomType")
        #expect(failure?.message.contains("living_room") == true)
    }

    @Test("style accepts its id or its label, case-insensitively")
    func styleByIdOrLabel() throws {
        for text in ["hamptons_au", "Hamptons AU", "hamptons au"] {
            #expect(try Self.validator.validate(Self.redesign { $0.style = text }).style.id == "hamptons_au")
        }
        #expect(try Self.validator.validate(Self.redesign { $0.style = "mid-century au" }).style.id == "midcentury_au")
        #expect(Self.failure(Self.redesign { $0.style = "baroque" })?.field == "style")
    }

    // MARK: settings

    @Test("aspect ratio must be one the model takes in the mode: match for photos, then its fixed ratios")
    func aspectRatio() throws {
        for ratio in [AspectRatio.match, .square, .landscape, .portrait] {
            #expect(try Self.validator.validate(Self.redesign { $0.aspectRatio = ratio.rawValue }).aspectRatio == ratio)
        }
        #expect(try Self.validator.validate(Self.redesign { $0.aspectRatio = "MATCH" }).aspectRatio == .match)
        for bad in ["4:3", "16:9", "square", "1x1"] {
            #expect(Self.failure(Self.redesign { $0.aspectRatio = bad })
                == ValidationFailure(field: "aspectRatio", message: "aspectRatio must be one of match, 1:1, 3:2, 2:3 for redesign with the current image model."))
        }
        #expect(Self.failure(GenerationSubmission(mode: "imagine", prompt: "a loft", aspectRatio: "match"))
            == ValidationFailure(field: "aspectRatio", message: "imagine has no photo to match: choose one of 1:1, 3:2, 2:3."))
        let banana = GenerationRequestValidator(config: Self.config, profile: .nanoBanana)
        #expect(try banana.validate(Self.redesign { $0.aspectRatio = "16:9" }).aspectRatio == .wide)
    }

    @Test("quality must be auto, low, medium or high")
    func quality() throws {
        #expect(try Self.validator.validate(Self.redesign { $0.quality = "HIGH" }).quality == .high)
        #expect(Self.failure(Self.redesign { $0.quality = "ultra" })?.field == "quality")
    }

    @Test("variants must be a whole number from 1 to the smaller of the config's and the model's maximum")
    func variants() throws {
        for value: SubmittedInteger in [1, 2, 3, "1", " 3 "] {
            #expect(throws: Never.self) { try Self.validator.validate(Self.redesign { $0.variants = value }) }
        }
        #expect(try Self.validator.validate(Self.redesign { $0.variants = "3" }).variants == 3)
        for value: SubmittedInteger in [0, 4, -1, "0", "4", "two", "2.5", "1e1"] {
            #expect(Self.failure(Self.redesign { $0.variants = value }) == ValidationFailure(field: "variants", message: "variants must be a whole number from 1 to 3."), "\(value)")
        }
        var config = Self.config
        config.limits.maxVariants = 2
        config.defaults.variants = 1
        let lower = GenerationRequestValidator(config: config, profile: .gptImage1)
        #expect(Self.failure(Self.redesign { $0.variants = 3 }, lower)?.field == "variants")
    }

    @Test("variants decode from a JSON number or a JSON string")
    func variantsDecode() throws {
        struct Body: Decodable { let variants: SubmittedInteger }
        func decode(_ json: String) throws -> SubmittedInteger {
            let body = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
            return body.variants
        }
        #expect(try decode(#"{"variants": 2}"#) == .integer(2))
        #expect(try decode(#"{"variants": "2"}"#) == .text("2"))
        #expect(try decode(#"{"variants": 2.5}"#).intValue == nil)
        #expect(try decode(#"{"variants": true}"#).intValue == nil)
        #expect(throws: DecodingError.self) { try decode(#"{"variants": [2]}"#) }
    }

    @Test("idempotencyKey must be a UUID when given")
    func idempotencyKey() throws {
        let key = UUID()
        #expect(try Self.validator.validate(Self.redesign { $0.idempotencyKey = key.uuidString.lowercased() }).idempotencyKey == key)
        #expect(Self.failure(Self.redesign { $0.idempotencyKey = "order-42" })?.field == "idempotencyKey")
    }

    // MARK: prompt

    @Test("the prompt is sanitised")
    func promptSanitised() throws {
        let request = try Self.validator.validate(Self.redesign { $0.prompt = "  warm\n\ntimber\u{0000} tones  " })
        #expect(request.prompt == "warm timber tones")
    }

    @Test("the prompt may be at most maxPromptLength characters after sanitising")
    func promptLength() throws {
        let limit = Self.config.limits.maxPromptLength
        let exactly = String(repeating: "a", count: limit)
        #expect(try Self.validator.validate(Self.redesign { $0.prompt = "   " + exactly + "\n\n" }).prompt == exactly)
        let spaced = String(repeating: "ab ", count: limit / 3) + "      " + String(repeating: "c", count: limit - (limit / 3) * 3)
        #expect(throws: Never.self) { try Self.validator.validate(Self.redesign { $0.prompt = spaced }) }
        #expect(Self.failure(Self.redesign { $0.prompt = exactly + "b" }) == ValidationFailure(field: "prompt", message: "prompt must be at most \(limit) characters."))
        let accented = String(repeating: "e\u{0301}", count: limit)
        #expect(throws: Never.self) { try Self.validator.validate(Self.redesign { $0.prompt = accented }) }
    }

    @Test("imagine requires a prompt")
    func imagineRequiresPrompt() throws {
        #expect(Self.failure(GenerationSubmission(mode: "imagine"))?.field == "prompt")
        #expect(Self.failure(GenerationSubmission(mode: "imagine", prompt: " \u{200B} "))?.field == "prompt")
        #expect(try Self.validator.validate(GenerationSubmission(mode: "imagine", prompt: "a sunroom")).prompt == "a sunroom")
    }

    @Test("a prompt that fails moderation is refused on prompt with the generic message")
    func moderationFailure() {
        let failure = Self.failure(Self.redesign { $0.prompt = "a m3th lab by the window" })
        #expect(failure == ValidationFailure(field: "prompt", message: Moderation.rejectionMessage))
        #expect(failure?.message.contains("m3th") == false)
        #expect(failure?.message.contains("meth") == false)
    }

    // MARK: images

    @Test("redesign and staging need input1 and take no input2")
    func photoModesNeedOneImage() throws {
        for mode in ["redesign", "staging"] {
            #expect(Self.failure(GenerationSubmission(mode: mode))?.field == "input1")
            #expect(Self.failure(GenerationSubmission(mode: mode, hasInput2: true))?.field == "input1")
            #expect(Self.failure(GenerationSubmission(mode: mode, hasInput1: true, hasInput2: true))?.field == "input2")
            #expect(try Self.validator.validate(GenerationSubmission(mode: mode, hasInput1: true)).mode.rawValue == mode)
        }
    }

    @Test("compose needs both images")
    func composeNeedsTwoImages() throws {
        #expect(Self.failure(GenerationSubmission(mode: "compose"))?.field == "input1")
        #expect(Self.failure(GenerationSubmission(mode: "compose", hasInput2: true))?.field == "input1")
        #expect(Self.failure(GenerationSubmission(mode: "compose", hasInput1: true))?.field == "input2")
        #expect(try Self.validator.validate(GenerationSubmission(mode: "compose", hasInput1: true, hasInput2: true)).mode == .compose)
    }

    @Test("imagine takes no images")
    func imagineTakesNoImages() {
        #expect(Self.failure(GenerationSubmission(mode: "imagine", prompt: "a loft", hasInput1: true))?.field == "input1")
        #expect(Self.failure(GenerationSubmission(mode: "imagine", prompt: "a loft", hasInput2: true))?.field == "input2")
    }

    // MARK: whole request

    @Test("a full submission becomes the request it describes")
    func fullSubmission() throws {
        let key = UUID()
        let request = try Self.validator.validate(GenerationSubmission(
            mode: "compose", prompt: "use the rug's colours", roomType: "Living Room", style: "japandi",
            aspectRatio: "3:2", quality: "medium", variants: "1", idempotencyKey: key.uuidString,
            hasInput1: true, hasInput2: true
        ))
        #expect(request == GenerationRequest(
            mode: .compose, roomType: Preset(id: "living_room", label: "Living Room"),
            style: Self.config.styles.first { $0.id == "japandi" }!, aspectRatio: .landscape, quality: .medium,
            variants: 1, prompt: "use the rug's colours", idempotencyKey: key
        ))
        #expect(request.finalPrompt.hasSuffix("Client's brief: use the rug's colours"))
    }

    @Test("fields are checked in the API's order and the first failure is reported")
    func firstFailureWins() {
        let everythingWrong = GenerationSubmission(
            mode: "bogus", prompt: String(repeating: "x", count: 5000), roomType: "garage", style: "baroque",
            aspectRatio: "4:3", quality: "ultra", variants: 9, idempotencyKey: "nope", hasInput1: false, hasInput2: true
        )
        #expect(Self.failure(everythingWrong)?.field == "mode")
        var submission = everythingWrong
        var order: [String] = []
        submission.mode = "redesign"
        while let failure = Self.failure(submission) {
            order.append(failure.field)
            switch failure.field {
            case "roomType": submission.roomType = nil
            case "style": submission.style = nil
            case "aspectRatio": submission.aspectRatio = nil
            case "quality": submission.quality = nil
            case "variants": submission.variants = nil
            case "idempotencyKey": submission.idempotencyKey = nil
            case "prompt": submission.prompt = nil
            case "input1": submission.hasInput1 = true
            case "input2": submission.hasInput2 = false
            default: Issue.record("unexpected field \(failure.field)"); return
            }
        }
        #expect(order == ["roomType", "style", "aspectRatio", "quality", "variants", "idempotencyKey", "prompt", "input1", "input2"])
    }
}
