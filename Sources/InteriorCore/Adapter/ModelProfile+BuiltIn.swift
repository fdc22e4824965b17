/// The built-in profiles: today's image-edit models on Replicate, each declared from its
/// published input and output schema (kept with their sources in `Tests/Fixtures/models/`;
/// `ModelSchemaTests` proves every input we build against them). docs/models.md tabulates them.
extension ModelProfile {
    /// The model `REPLICATE_MODEL` selects when it is not set.
    public static let defaultModelID = "google/nano-banana"

    public static let builtIn: [ModelProfile] = [
        nanoBanana, nanoBananaPro, nanoBanana2,
        fluxKontextPro, fluxKontextMax, flux2Pro,
        seedream4, seedream45,
        qwenImageEditPlus,
        gptImage15, gptImage1, gptImage2,
    ]

    /// The built-in profile of a model id, ignoring case and surrounding spaces.
    public static func builtIn(named id: String) -> ModelProfile? {
        let key = id.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return builtIn.first { $0.id == key }
    }

    // MARK: Google

    private static let geminiRatios: [AspectRatio] = [
        .square, .portrait, .landscape, .portrait3x4, .landscape4x3, .portrait4x5, .landscape5x4, .tall, .wide, .ultrawide,
    ]

    /// Gemini 2.5 Flash Image: one image of about a megapixel, in the photo's shape by default.
    public static let nanoBanana = ModelProfile(
        id: "google/nano-banana", label: "Nano Banana (Gemini 2.5 Flash Image)",
        images: .init(field: "image_input", list: true, max: 3),
        aspectRatio: .init(field: "aspect_ratio", values: geminiRatios, matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["jpg", "png"]),
        // About 1 MP whatever is asked: no tier beyond 1024 px can be honoured.
        quality: .init(tiers: [.auto, .low, .medium]),
        output: .uri)

    /// Gemini 3 Pro Image: up to 14 reference images, 1K/2K/4K.
    public static let nanoBananaPro = ModelProfile(
        id: "google/nano-banana-pro", label: "Nano Banana Pro (Gemini 3 Pro Image)",
        images: .init(field: "image_input", list: true, max: 14),
        aspectRatio: .init(field: "aspect_ratio", values: geminiRatios, matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["jpg", "png"]),
        quality: .init(field: "resolution", tiers: Quality.allCases,
                       values: [.auto: "1K", .low: "1K", .medium: "1K", .high: "2K"]),
        output: .uri)

    /// Gemini 3.1 Flash Image.
    public static let nanoBanana2 = ModelProfile(
        id: "google/nano-banana-2", label: "Nano Banana 2 (Gemini 3.1 Flash Image)",
        images: .init(field: "image_input", list: true, max: 14),
        aspectRatio: .init(field: "aspect_ratio", values: geminiRatios, matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["jpg", "png"]),
        quality: .init(field: "resolution", tiers: Quality.allCases,
                       values: [.auto: "1K", .low: "1K", .medium: "1K", .high: "2K"]),
        output: .uri)

    // MARK: Black Forest Labs

    private static let kontextRatios: [AspectRatio] = [
        .square, .wide, .tall, .landscape4x3, .portrait3x4, .landscape, .portrait, .portrait4x5, .landscape5x4, .ultrawide,
    ]

    /// FLUX.1 Kontext [pro]: one input image, one output of about a megapixel.
    public static let fluxKontextPro = ModelProfile(
        id: "black-forest-labs/flux-kontext-pro", label: "FLUX.1 Kontext [pro]",
        images: .init(field: "input_image", list: false, max: 1),
        aspectRatio: .init(field: "aspect_ratio", values: kontextRatios, matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["jpg", "png"]),
        quality: .init(tiers: [.auto, .low, .medium]),
        // The most the model allows with an input image.
        constants: [.init("safety_tolerance", .int(2))],
        output: .uri)

    /// FLUX.1 Kontext [max]: as [pro], with better typography and prompt following.
    public static let fluxKontextMax = ModelProfile(
        id: "black-forest-labs/flux-kontext-max", label: "FLUX.1 Kontext [max]",
        images: .init(field: "input_image", list: false, max: 1),
        aspectRatio: .init(field: "aspect_ratio", values: kontextRatios, matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["jpg", "png"]),
        quality: .init(tiers: [.auto, .low, .medium]),
        constants: [.init("safety_tolerance", .int(2))],
        output: .uri)

    /// FLUX.2 [pro]: up to 8 reference images, 0.5 to 4 megapixels.
    public static let flux2Pro = ModelProfile(
        id: "black-forest-labs/flux-2-pro", label: "FLUX.2 [pro]",
        images: .init(field: "input_images", list: true, max: 8),
        aspectRatio: .init(field: "aspect_ratio",
                           values: [.square, .wide, .landscape, .portrait, .portrait4x5, .landscape5x4, .tall, .portrait3x4, .landscape4x3],
                           matchValue: "match_input_image"),
        // WebP at our stored quality, as for the OpenAI models.
        outputFormat: .init(field: "output_format", value: "webp", accepted: ["webp", "jpg", "png"]),
        quality: .init(field: "resolution", tiers: Quality.allCases,
                       values: [.auto: "1 MP", .low: "0.5 MP", .medium: "1 MP", .high: "2 MP"]),
        constants: [.init("output_quality", .int(82))],
        output: .uri)

    // MARK: ByteDance

    /// Seedream 4 and 4.5 take the same shapes.
    private static let seedreamAspectRatio = ModelProfile.AspectRatioField(
        field: "aspect_ratio", values: [.square, .landscape4x3, .portrait3x4, .wide, .tall, .landscape, .portrait, .ultrawide],
        matchValue: "match_input_image")

    /// Seedream 4: up to 10 reference images, 1K to 4K. It can return a coherent sequence of
    /// images (`max_images` with `sequential_image_generation`), but variants are independent
    /// takes, so each prediction asks for one.
    public static let seedream4 = ModelProfile(
        id: "bytedance/seedream-4", label: "Seedream 4",
        images: .init(field: "image_input", list: true, max: 10),
        aspectRatio: seedreamAspectRatio,
        outputFormat: nil,
        quality: .init(field: "size", tiers: Quality.allCases,
                       values: [.auto: "1K", .low: "1K", .medium: "1K", .high: "2K"]),
        output: .uris)

    /// Seedream 4.5: up to 14 reference images, 2K or 4K (no 1K).
    public static let seedream45 = ModelProfile(
        id: "bytedance/seedream-4.5", label: "Seedream 4.5",
        images: .init(field: "image_input", list: true, max: 14),
        aspectRatio: seedreamAspectRatio,
        outputFormat: nil,
        quality: .init(field: "size", tiers: Quality.allCases,
                       values: [.auto: "2K", .low: "2K", .medium: "2K", .high: "2K"]),
        output: .uris)

    // MARK: Qwen

    /// Qwen Image Edit Plus: edits only (an image is required), several images fused.
    public static let qwenImageEditPlus = ModelProfile(
        id: "qwen/qwen-image-edit-plus", label: "Qwen Image Edit Plus",
        images: .init(field: "image", list: true, max: 3, required: true),
        aspectRatio: .init(field: "aspect_ratio", values: [.square, .wide, .tall, .landscape4x3, .portrait3x4],
                           matchValue: "match_input_image"),
        outputFormat: .init(field: "output_format", value: "png", accepted: ["webp", "jpg", "png"]),
        quality: .init(tiers: [.auto, .low, .medium]),
        output: .uris)

    // MARK: OpenAI

    /// WebP at the quality we store (`ImageProcessor.renderQuality`): an output that fits the
    /// tier is then stored as it came, with only its thumbnail made here.
    private static let openAIFormat = FormatField(field: "output_format", value: "webp", accepted: ["png", "jpeg", "webp"])
    private static let openAICompression = [ConstantInput("output_compression", .int(82))]

    private static let openAIQuality = QualityField(
        field: "quality", tiers: Quality.allCases, values: [.low: "low", .medium: "medium", .high: "high"])

    /// GPT Image 1.5: up to 10 images per prediction; Replicate runs it without an OpenAI key,
    /// or bills the operator's own key when `OPENAI_API_KEY` is set.
    public static let gptImage15 = openAI(id: "openai/gpt-image-1.5", label: "GPT Image 1.5", keyRequired: false)

    /// GPT Image 1: billed to the operator's own verified OpenAI key, which it requires.
    public static let gptImage1 = openAI(id: "openai/gpt-image-1", label: "GPT Image 1", keyRequired: true)

    /// GPT Image 2 (the ratios of its launch version, which later versions keep).
    public static let gptImage2 = openAI(id: "openai/gpt-image-2", label: "GPT Image 2", keyRequired: false)

    /// The GPT Image models share their fields: up to 10 images in, up to 10 out, three
    /// shapes, and the operator's OpenAI key (required by some).
    private static func openAI(id: String, label: String, keyRequired: Bool) -> ModelProfile {
        ModelProfile(
            id: id, label: label,
            images: .init(field: "input_images", list: true, max: 10),
            aspectRatio: .init(field: "aspect_ratio", values: [.square, .landscape, .portrait]),
            outputCount: .init(field: "number_of_images", max: 10),
            outputFormat: openAIFormat,
            quality: openAIQuality,
            constants: openAICompression,
            secrets: [.init(field: "openai_api_key", from: "OPENAI_API_KEY", required: keyRequired)],
            output: .uris)
    }
}
