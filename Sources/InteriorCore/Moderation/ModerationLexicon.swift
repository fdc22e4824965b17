/// What the moderation check refuses, in four lists. Entries are matched as whole words (or
/// whole phrases) after folding, never as substrings, except the few stems listed under
/// `stems` and `fragments`, which begin or appear inside no ordinary word.
///
/// Deliberately absent, because interior language uses them innocently: "nude" (a colour),
/// "naked" (timber, bulbs), "breast" (chimney breast), "bomb" (bombe chest, bath bomb),
/// "gun" (gun-metal, nail gun), "blood" (blood orange), "kill", "hate", "crack", "coke",
/// "weed", "ice", "bong", "coon" (cheese), "negro" (Negro Marquina marble), "chink" (of
/// light), "spic" (and span), "gore" (Gore Hill), "murder" (mystery), "white power" (points),
/// "sex" on its own (same-sex couple, Sex Pistols poster), "stripper" (paint), "hooker"
/// (rugby), "tits" (blue tits), "shoot up" (a ceiling that shoots up), "grow op" (grow, op
/// shop finds), "chinese" after "hang the" (lanterns).
enum ModerationLexicon {
    /// Whole words and phrases. A phrase also matches written as one word ("sextoy").
    static let entries: [ModerationCategory: [String]] = [
        .sexual: sexual,
        .hateful: hateful,
        .violentGore: violentGore,
        .illegalGoods: illegalGoods,
    ]

    /// Any word that begins with one of these.
    static let stems: [ModerationCategory: [String]] = [
        .sexual: [
            "porn", "masturbat", "paedophil", "pedophil", "necrophil", "zoophil", "bestialit",
            "blowjob", "handjob", "rimjob", "cumshot", "creampie", "gangbang", "lolicon", "hentai",
            "incest", "molest", "erotic",
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
    /// hashtags are design-world slang for beautiful rooms.
    static let exemptWords: Set<String> = Set(
        pornQualifiers.map { $0 + "porn" } + pornQualifiers.map { $0 + "porno" }
    )
    /// word → the words that, just before it, make it innocent.
    static let exemptAfter: [String: Set<String>] = [
        "porn": Set(pornQualifiers),
    ]
    /// word → the words that, just after it, make it innocent: "heroin chic" is an aesthetic.
    static let exemptBefore: [String: Set<String>] = [
        "heroin": ["chic"],
    ]
    private static let pornQualifiers = [
        "room", "rooms", "kitchen", "kitchens", "interior", "interiors", "house", "home", "cabin",
        "architecture", "design", "decor", "food", "bathroom", "tile", "shelf", "plant", "garden",
    ]

    // MARK: - Lists

    private static let sexual: [String] = [
        "nsfw", "xxx", "xxx rated", "erotica", "orgy", "orgies", "bdsm", "bondage",
        "dildo", "dildos", "fleshlight", "buttplug", "butt plug", "butt plugs",
        "anal beads", "cock ring", "cock rings", "dick pic", "dick pics", "milf", "milfs",
        "onlyfans", "boobs", "titties", "penis", "penises", "vagina", "vaginas", "vulva", "vulvas",
        "genitals", "genitalia", "clitoris", "testicles", "erect penis", "bare breasts",
        "exposed breasts", "naked breasts",
        "sexual intercourse", "sexual act", "sexual acts", "sexual position", "sexual positions",
        "sexually explicit", "sexual content", "sexual imagery", "sexual pose", "sexual poses",
        "sex toy", "sex toys", "sex doll", "sex dolls", "sex dungeon", "sex swing", "sex room",
        "sex scene", "sex scenes", "sex act", "sex acts", "sex position", "sex positions",
        "sex tape", "sex club", "sex party", "sex slave", "sex slaves", "sex shop", "sex with",
        "have sex", "having sex", "had sex", "for sex", "group sex", "oral sex", "anal sex",
        "explicit nudity", "full nudity", "frontal nudity", "full frontal",
        "strip club", "striptease", "strip tease", "lap dance", "lap dancing", "peep show",
        "prostitute", "prostitutes", "prostitution", "brothel", "brothels", "slut", "sluts",
        "whore", "whores", "rape", "raped", "rapes", "raping", "rapist", "rapists",
        "bestiality", "paedo", "paedos", "pedo", "pedos",
    ] + pairs(["naked", "nude", "topless", "undressed"], people)
      + pairs(["naked", "topless"], ["body", "bodies", "photo", "photos", "selfie", "selfies", "kid", "kids"])

    /// Not "body", "photo" or "kid" after "nude": a nude body pillow, nude photo frames and
    /// nude kid leather are colours.
    private static let people = [
        "woman", "women", "man", "men", "girl", "girls", "boy", "boys", "lady", "ladies", "person",
        "people", "model", "models", "child", "children", "teen", "teens", "couple", "couples",
    ]

    private static let hateful: [String] = [
        "kike", "kikes", "kyke", "wetback", "wetbacks", "tranny", "trannies",
        "retard", "retards", "retarded", "abo", "abos", "abbo", "abbos", "boong", "boongs",
        "gook", "gooks", "raghead", "ragheads", "towelhead", "towelheads", "paki", "pakis",
        "gyppo", "gyppos", "pikey", "pikeys", "darkie", "darkies", "jigaboo", "jigaboos",
        "porch monkey", "porch monkeys",
        "nazi", "nazis", "neo nazi", "neo nazis", "kkk", "ku klux klan", "heil hitler", "sieg heil",
        "white supremacy", "white supremacist", "white supremacists", "ethnic cleansing",
    ] + pairs(
        ["kill all", "kill all the", "death to", "death to all", "gas the", "gas all", "exterminate the",
         "exterminate all"],
        // Not "whites" or "blacks" (paint colours: "kill all the whites and greys") and no
        // "hang the" ("hang the Chinese lanterns").
        ["jews", "muslims", "asians", "gays", "lesbians", "arabs", "aboriginals", "aborigines",
         "immigrants", "refugees", "christians", "mexicans", "indians", "chinese", "africans", "homosexuals",
         "migrants", "women", "trans"]
    )

    private static let violentGore: [String] = [
        "gory", "goriest", "gorefest", "bloodbath", "bloodbaths", "bloodsoaked", "bloodstained walls",
        "blood splatter", "blood splatters", "blood splattered", "blood spatter", "blood spattered",
        "blood soaked", "pool of blood", "pools of blood", "covered in blood", "dripping blood",
        "dripping with blood", "smeared blood", "blood smeared", "corpse", "corpses", "dead body",
        "dead bodies", "severed head", "severed heads", "severed limb", "severed limbs",
        "severed hand", "severed hands", "spilled guts", "guts spilling", "spilling guts", "entrails",
        "mass shooting", "school shooting", "torture chamber", "torture scene", "being tortured",
        "slit throat", "slit throats", "slit wrists", "slit my wrists", "self harm", "selfharm",
        "murder scene", "lynching", "lynchings", "massacre", "massacred", "slaughtered people",
    ]

    private static let illegalGoods: [String] = [
        "meth", "crystal meth", "meth lab", "meth labs", "cook meth", "cooking meth", "make meth",
        "making meth", "heroin", "cocaine", "crack cocaine", "mdma", "lsd",
        "drug lab", "drug labs", "drug den", "crack den", "crack pipe", "ice pipe", "drug paraphernalia",
        "cannabis grow", "marijuana grow", "weed grow",
        "sell drugs", "selling drugs", "buy drugs", "buying drugs", "dealing drugs", "drug dealing",
        "drug trafficking", "drug smuggling", "gun smuggling", "gun trafficking", "gun running",
        "gunrunning", "arms trafficking", "arms dealing", "weapons trafficking", "weapon trafficking",
        "illegal gun", "illegal guns", "illegal firearm", "illegal firearms", "illegal weapon",
        "illegal weapons", "unregistered gun", "unregistered guns", "unregistered firearm",
        "unregistered firearms", "untraceable gun", "untraceable guns", "untraceable firearm",
        "untraceable firearms", "ghost gun", "ghost guns", "3d printed gun", "3d printed guns",
        "pipe bomb", "pipe bombs", "bomb making", "make a bomb", "build a bomb", "making bombs",
        "homemade bomb", "homemade bombs", "homemade explosive", "homemade explosives",
        "counterfeit money", "counterfeit cash", "counterfeit notes", "counterfeit currency",
        "fake passport", "fake passports", "forged passport", "forged passports", "fake ids",
        "stolen goods", "human trafficking", "elephant ivory", "rhino horn", "ivory trade",
    ]

    /// Every "first second" combination.
    private static func pairs(_ firsts: [String], _ seconds: [String]) -> [String] {
        firsts.flatMap { first in seconds.map { "\(first) \($0)" } }
    }
}
