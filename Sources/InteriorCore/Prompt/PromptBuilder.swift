/// Assembles the final prompt sent to the image model (SPEC §6):
/// `[mode template] [guardrails] [Australian context] [style seed] [room type] [user prompt]`.
///
/// Every word the engine adds lives in `PromptBuilder.Text`; changing one is a reviewed
/// change to the snapshot files under `Tests/InteriorCoreTests/__Snapshots__`.
public enum PromptBuilder {
    /// The final prompt. The user's text is sanitised and appended last, after everything the
    /// engine adds, so it can refine the result but never remove a guardrail. A blank user
    /// prompt adds nothing (validation refuses imagine without one).
    public static func build(mode: GenerationMode, roomType: Preset, style: StylePreset, userPrompt: String?) -> String {
        var sections = [template(for: mode, roomType: roomType, style: style)]
        if mode.keepsRoomArchitecture { sections.append(Text.guardrails) }
        sections.append(Text.australianContext)
        sections.append(fill(Text.styleSeed, roomType: roomType, style: style))
        sections.append(fill(Text.roomType, roomType: roomType, style: style))
        if let brief = PromptText.sanitisedOrNil(userPrompt) {
            sections.append(Text.userPromptLead + brief)
        }
        return sections.joined(separator: Text.sectionSeparator)
    }

    static func template(for mode: GenerationMode, roomType: Preset, style: StylePreset) -> String {
        let text = switch mode {
        case .redesign: Text.redesign
        case .staging: Text.staging
        case .compose: Text.compose
        case .imagine: Text.imagine
        }
        return fill(text, roomType: roomType, style: style)
    }

    private static func fill(_ text: String, roomType: Preset, style: StylePreset) -> String {
        text
            .replacingOccurrences(of: "{roomType}", with: PromptText.sanitise(roomType.label))
            .replacingOccurrences(of: "{style}", with: PromptText.sanitise(style.label))
            .replacingOccurrences(of: "{seed}", with: seedPhrase(style.seed))
    }

    /// The template ends the seed's sentence itself, so a seed written with a full stop
    /// does not end in two.
    private static func seedPhrase(_ seed: String) -> String {
        var phrase = PromptText.sanitise(seed)
        while phrase.hasSuffix(".") { phrase.removeLast() }
        return phrase
    }

    /// The exact strings. `{roomType}` and `{style}` are the presets' labels, `{seed}` the
    /// style's seed phrase.
    public enum Text {
        public static let sectionSeparator = "\n"

        public static let redesign = """
            Redesign the {roomType} of an Australian home in this photo, in the {style} style. \
            Keep the existing structure exactly as it is and restyle only the furniture, decor, \
            colour palette and finishes.
            """

        public static let staging = """
            Virtually stage the {roomType} of an Australian home in this photo, in the {style} style. \
            The room may be empty or sparsely furnished: add furniture and decor that suit the style and \
            the room's purpose, and do not move walls, doors or windows.
            """

        public static let compose = """
            Combine two images into one photo of the {roomType} of an Australian home, in the {style} style. \
            The first image is the base room: its architecture stays intact. The second image is only a \
            reference for the colour palette, the materials or the object named in the brief; bring those \
            into the base room and harmonise their lighting and perspective with it.
            """

        public static let imagine = """
            Create a photoreal interior concept for the {roomType} of an Australian home, in the {style} style, \
            with a balanced composition, realistic materials and natural light, following the client's \
            brief below.
            """

        /// For every mode that starts from a photo of a real room.
        public static let guardrails = """
            The result must be a photorealistic interior photograph with correct perspective and realistic \
            lighting. Keep the room's architecture unchanged: the walls, windows, doors, floor, ceiling \
            height, camera position and view direction stay exactly as they are. Make no structural changes.
            """

        public static let australianContext = """
            Use materials and furnishings common in Australian homes, and fill the space with bright, airy \
            natural daylight.
            """

        public static let styleSeed = "Style ({style}): {seed}."

        public static let roomType = "Room type: {roomType}."

        public static let userPromptLead = "Client's brief: "
    }
}

extension GenerationMode {
    /// Modes that start from a photo of a real room whose architecture must survive.
    public var keepsRoomArchitecture: Bool { self != .imagine }
}
