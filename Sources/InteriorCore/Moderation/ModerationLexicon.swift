/// What the moderation check refuses, in four lists (SPEC §6's four kinds). Entries are
/// matched as whole words (or whole phrases) after folding, never as substrings, except the
/// few stems listed under `stems` and `fragments`, which begin or appear inside no ordinary
/// word.
///
/// The lists are reviewed against a published taxonomy: the categories of OpenAI's moderation
/// model, which also moderates its image models (sexual, sexual/minors, hate,
/// hate/threatening, harassment, harassment/threatening, self-harm with its intent and
/// instructions, violence, violence/graphic, illicit, illicit/violent). The terms for each
/// live in `ModerationLexicon+Lists.swift` under that category's name; `docs/moderation.md`
/// holds the coverage table and why each deliberately absent word is absent ("nude" is a
/// colour, "bomb" a chest, "gun" a metal, "coon" a cheese, "cum" joins a kitchen to a dining
/// room).
enum ModerationLexicon {
    /// Whole words and phrases. A phrase also matches written as one word ("sextoy").
    static let entries: [ModerationCategory: [String]] = [
        .sexual: sexual + sexualMinors,
        .hateful: hate + hateSymbols + hateThreatening,
        .violentGore: violenceGraphic + harassmentThreatening + selfHarm,
        .illegalGoods: illicit + illicitViolent,
    ]

    /// Any word that begins with one of these.
    static let stems: [ModerationCategory: [String]] = [
        .sexual: [
            "porn", "masturbat", "paedophil", "pedophil", "necrophil", "zoophil", "bestialit",
            "blowjob", "handjob", "rimjob", "cumshot", "creampie", "gangbang", "lolicon", "hentai",
            "incest", "molest", "erotic", "ejaculat",
        ],
        .hateful: ["nigger", "nigga", "faggot", "sandnigger"],
        .violentGore: ["decapitat", "dismember", "disembowel", "behead", "mutilat", "eviscerat"],
        .illegalGoods: ["methamphetamin", "fentanyl"],
    ]

    /// Any word that contains one of these ("childporn", "xxxporn").
    static let fragments: [ModerationCategory: [String]] = [
        .sexual: ["porn", "paedophil", "pedophil"],
    ]

    /// Words an entry matches inside of but that mean something else: "room porn" and its
    /// hashtags are design-world slang for beautiful rooms; "rapping" and "rapped" are not
    /// "raping" and "raped" stretched, nor "niggardly" a stretched stem.
    static let exemptWords: Set<String> = Set(
        pornQualifiers.map { $0 + "porn" } + pornQualifiers.map { $0 + "porno" }
            + ["rapped", "rapping", "niggard", "niggards", "niggardly", "niggardliness"]
    )
    /// word → the words that, just before it, make it innocent. The swastika is a sacred
    /// sign in Hindu, Buddhist and Jain homes (the Criminal Code's ban, s 80.2E, is on the Nazi
    /// hakenkreuz, not the religious symbol); unqualified, an image model draws the Nazi one.
    static let exemptAfter: [String: Set<String>] = [
        "porn": Set(pornQualifiers),
        "swastika": religiousQualifiers,
        "swastikas": religiousQualifiers,
    ]
    /// word → the words that, just after it, make it innocent: "heroin chic" is an aesthetic,
    /// a kaffir lime a tree and a kaffir lily a garden plant; a 1488 mm vanity is a size. A
    /// phrase ending in the word is innocent before them too: "build a bomb shelter".
    static let exemptBefore: [String: Set<String>] = [
        "heroin": ["chic"],
        "bomb": ["shelter", "shelters"],
        "kaffir": ["lime", "limes", "lily", "lilies"],
        "1488": [
            "mm", "cm", "m", "millimetres", "millimeters", "metres", "meters", "x", "by", "wide",
            "long", "high", "deep", "tall", "sq", "square", "l", "litre", "litres", "kg", "w", "h", "d",
        ],
    ]
    private static let pornQualifiers = [
        "room", "rooms", "kitchen", "kitchens", "interior", "interiors", "house", "home", "cabin",
        "architecture", "design", "decor", "food", "bathroom", "tile", "shelf", "plant", "garden",
    ]
    private static let religiousQualifiers: Set<String> = ["hindu", "buddhist", "jain", "auspicious", "sacred"]

    /// Every "first second" combination.
    static func pairs(_ firsts: [String], _ seconds: [String]) -> [String] {
        firsts.flatMap { first in seconds.map { "\(first) \($0)" } }
    }
}
