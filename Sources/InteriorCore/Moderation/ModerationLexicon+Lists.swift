/// The lists, one per category of OpenAI's moderation taxonomy (see `ModerationLexicon`).
/// Before adding a word, think of the rooms it names innocently; `docs/moderation.md`
/// records the words left out and why.
extension ModerationLexicon {
    // MARK: - sexual

    static let sexual: [String] = [
        "nsfw", "xxx", "xxx rated", "erotica", "orgy", "orgies", "bdsm", "bondage",
        "dildo", "dildos", "fleshlight", "buttplug", "butt plug", "butt plugs",
        "anal beads", "cock ring", "cock rings", "dick pic", "dick pics", "milf", "milfs",
        "onlyfans", "boobs", "titties", "penis", "penises", "vagina", "vaginas", "vulva", "vulvas",
        "genitals", "genitalia", "clitoris", "testicles", "scrotum", "erect penis", "pubic hair",
        "semen", "jizz", "bare breasts", "exposed breasts", "naked breasts",
        "sexual intercourse", "sexual act", "sexual acts", "sexual position", "sexual positions",
        "sexually explicit", "sexual content", "sexual imagery", "sexual pose", "sexual poses",
        "sex toy", "sex toys", "sex doll", "sex dolls", "sex dungeon", "sex swing", "sex room",
        "sex scene", "sex scenes", "sex act", "sex acts", "sex position", "sex positions",
        "sex tape", "sex club", "sex party", "sex slave", "sex slaves", "sex shop", "sex with",
        "have sex", "having sex", "had sex", "for sex", "group sex", "oral sex", "anal sex",
        "webcam sex", "cunnilingus", "fellatio", "coitus", "fornicating",
        "explicit nudity", "full nudity", "frontal nudity", "full frontal", "nude selfie", "nude selfies",
        "strip club", "striptease", "strip tease", "lap dance", "lap dancing", "peep show",
        "camgirl", "camgirls", "cam girl", "cam girls", "chaturbate", "xhamster", "xvideos", "ahegao",
        "dominatrix", "escort agency", "escort service", "escort services", "happy ending massage",
        "prostitute", "prostitutes", "prostitution", "brothel", "brothels", "slut", "sluts",
        "whore", "whores", "bestiality", "paedo", "paedos", "pedo", "pedos",
        // Sexual violence and intimate-image abuse (MLCommons' "sex-related crimes").
        "rape", "raped", "rapes", "raping", "rapist", "rapists", "date rape", "sexual assault",
        "sexually assaulted", "sexual abuse", "sex trafficking", "upskirt", "upskirts", "voyeurism",
        "voyeur cam", "deepfake nudes",
    ] + pairs(["naked", "nude", "topless", "undressed"], people)
      + pairs(["naked", "topless"], ["body", "bodies", "photo", "photos", "selfie", "selfies", "kid", "kids"])
      + pairs(["hidden camera in the", "hidden cameras in the", "spy camera in the", "spy cameras in the", "spycam in the"],
              ["bathroom", "shower", "toilet", "ensuite", "change room", "changing room"])

    /// Not "body", "photo" or "kid" after "nude": a nude body pillow, nude photo frames and
    /// nude kid leather are colours.
    private static let people = [
        "woman", "women", "man", "men", "girl", "girls", "boy", "boys", "lady", "ladies", "person",
        "people", "model", "models", "child", "children", "teen", "teens", "couple", "couples",
    ]

    // MARK: - sexual/minors

    static let sexualMinors: [String] = [
        "jailbait", "barely legal", "shotacon", "csam", "child sexual abuse", "child sex abuse", "child sex",
        "child abuse material", "child exploitation material", "child bride", "child brides",
        "teen nudes", "teen sex",
    ] + pairs(["naked", "nude", "topless", "undressed"], minors)
      + pairs(["naked", "topless", "undressed"], ["baby", "babies", "infant", "infants", "minor", "minors"])
      + pairs(["sexy", "sexualised", "sexualized", "seductive"], minors + ["child", "children"])
      + pairs(minors + ["child", "children", "kid", "kids", "minor", "minors"], ["in lingerie", "naked", "topless", "undressed"])
      + pairs(["year old", "year olds", "year old girl", "year old girls", "year old boy", "year old boys"],
              ["in lingerie", "topless", "undressed"])
      + pairs(["underage"], [
          "girl", "girls", "boy", "boys", "teen", "teens", "nude", "nudes", "naked", "sex", "model", "models",
          "lingerie", "bikini", "selfie", "selfies",
      ])

    /// Children by other names than `people` gives. Not "kid" or "baby" after "nude" (nude kid
    /// leather, a nude and baby-pink palette) or after "sexy" (a sexy baby-blue sofa, a sexy
    /// kids bathroom), nor "minor" (nude minor details).
    private static let minors = [
        "toddler", "toddlers", "little girl", "little girls", "little boy", "little boys",
        "schoolgirl", "schoolgirls", "schoolboy", "schoolboys", "preteen", "preteens",
    ]

    // MARK: - hate

    /// Slurs, and names of hate movements. Not "coon" (cheese), "chink" (of light), "spic"
    /// (and span), "poof" (a pouffe), "coolie" (a lampshade), "wog" (reclaimed), "gin" (a
    /// bar), "dyke" (Van Dyke brown), "aryan" alone (a boy's name).
    static let hate: [String] = [
        "kike", "kikes", "kyke", "wetback", "wetbacks", "tranny", "trannies", "shemale", "shemales",
        "retard", "retards", "retarded", "spastic", "spastics", "mongoloid", "mongoloids",
        "abo", "abos", "abbo", "abbos", "boong", "boongs", "lubra", "lubras",
        "gook", "gooks", "zipperhead", "zipperheads", "raghead", "ragheads", "towelhead", "towelheads",
        "paki", "pakis", "dothead", "dotheads", "curry muncher", "curry munchers", "muzzie", "muzzies",
        "sand monkey", "sand monkeys", "gyppo", "gyppos", "gippo", "gippos", "pikey", "pikeys",
        "darkie", "darkies", "jigaboo", "jigaboos", "pickaninny", "pickaninnies", "beaner", "beaners",
        "kaffir", "kaffirs", "porch monkey", "porch monkeys", "golliwog", "golliwogs", "gollywog",
        "gollywogs", "blackface", "poofter", "poofters", "shirtlifter", "shirtlifters",
        "christ killer", "christ killers",
        "nazi", "nazis", "nazism", "neo nazi", "neo nazis", "national socialism",
        "national socialist network", "third reich", "hitler", "mein kampf", "heil hitler",
        "sieg heil", "seig heil",
        "kkk", "ku klux klan", "klan", "klans", "klansman", "klansmen", "aryan nation",
        "aryan nations", "aryan brotherhood", "aryan race", "white supremacy", "white supremacist",
        "white supremacists", "white pride worldwide", "wpww", "white genocide", "race war",
        "racial holy war", "rahowa", "day of the rope", "blood and soil", "blood and honour",
        "blood and honor", "jews will not replace us", "holocaust denial", "holocaust never happened",
        "ethnic cleansing", "atomwaffen", "terrorgram", "jihadist", "jihadists", "jihadi", "jihadis",
        "al qaeda", "al qaida",
    ]

    /// Hate symbols. The Criminal Code (s 80.2E) bans displaying the Nazi hakenkreuz, the SS
    /// double-sig rune and the symbols of listed terrorist organisations; the rest are the ADL's
    /// best-known hate symbols. Not "ss bolts" (stainless-steel bolts on a deck), "iron cross"
    /// (a wrought-iron crucifix), "celtic cross", "black sun" alone, "88", or "white power"
    /// alone (white power points) or before "symbol" (the white power symbol on a switch).
    static let hateSymbols: [String] = [
        "swastika", "swastikas", "hakenkreuz", "totenkopf", "sonnenrad", "schwarze sonne",
        "wolfsangel", "reichsadler", "ss runes", "ss lightning bolts", "sig runes",
        "double sig rune", "1488", "burning cross", "burning crosses", "cross burning",
        "isis flag", "isis flags", "isis banner", "islamic state flag", "islamic state flags",
        "islamic state banner", "hamas flag", "hamas flags", "hezbollah flag", "hezbollah flags",
        "hizballah flag",
    ] + pairs(["white power"], ["flag", "flags", "salute", "banner", "slogan", "tattoo"])

    // MARK: - hate/threatening

    /// Calls to violence against a group. Not "whites" or "blacks" (paint colours: "kill all
    /// the whites and greys"), "chinese" alone ("kill all the Chinese lanterns") or "trans"
    /// alone ("kill the trans fats"), and no "hang" ("hang the Chinese lanterns") or "shoot"
    /// (photography).
    static let hateThreatening: [String] = pairs(
        ["kill all", "kill all the", "kill the", "death to", "death to all", "death to the", "gas the",
         "gas all", "gas all the", "exterminate the", "exterminate all", "exterminate all the",
         "murder all", "murder all the", "murder the", "burn the", "burn all", "burn all the",
         "lynch the", "lynch all", "lynch all the", "wipe out the", "wipe out all", "i hate",
         "i hate all", "i hate the", "we hate", "deport all", "deport all the"],
        groups
    ) + pairs(pairs(["no"], groups.filter { $0 != "women" }), ["allowed"])

    private static let groups = [
        "jews", "jewish people", "muslims", "muslim people", "asians", "asian people", "chinese people",
        "indian people", "black people", "gays", "gay people", "lesbians", "homosexuals",
        "trans people", "transgender people", "arabs", "aboriginals", "aborigines", "aboriginal people",
        "immigrants", "refugees", "migrants", "christians", "catholics", "hindus", "sikhs", "mexicans",
        "indians", "africans", "women",
    ]

    // MARK: - harassment/threatening

    /// Threats, and urging someone to harm themselves. Not "kill my" (kill my kids room
    /// clutter) or "shoot my" (shoot my kids' bedroom for the listing).
    static let harassmentThreatening: [String] = [
        "i will kill you", "going to kill you", "gonna kill you", "death threat", "death threats",
        "kill yourself", "go kill yourself", "kys", "neck yourself", "hang yourself",
    ] + pairs(["murder my", "stab my", "strangle my", "poison my"], [
        "wife", "husband", "partner", "girlfriend", "boyfriend", "ex", "boss", "neighbour", "neighbours",
        "neighbor", "mum", "mother", "dad", "father", "family",
    ])

    // MARK: - self-harm, self-harm/intent, self-harm/instructions

    /// Not "suicide" alone (Suicide Squad posters, suicide doors), "overdose" (an overdose
    /// of pattern) or "cut myself" (cut myself a new door).
    static let selfHarm: [String] = [
        "self harm", "selfharm", "self harming", "self injury", "self injuring", "slit wrists",
        "slit my wrists", "cutting my wrists", "wrist cutting", "commit suicide", "committing suicide",
        "commits suicide", "suicide note", "suicide notes", "suicide scene", "suicide method",
        "suicide methods", "suicide attempt", "suicide by hanging", "kill myself", "killing myself",
        "hang myself", "hanging myself", "end my life", "ending my life", "take my own life",
        "starve myself", "noose", "nooses", "hanging body", "hanging bodies", "pro ana", "proana",
        "pro mia", "thinspo", "thinspiration", "thinspirational",
    ]

    // MARK: - violence, violence/graphic

    /// Not "gore" (Gore Hill), "blood" (blood orange), "murder" (mystery), "execution" (of
    /// the joinery), "domestic violence" or "child abuse" (refuges and counselling rooms).
    static let violenceGraphic: [String] = [
        "gory", "goriest", "gorefest", "blood and gore", "guts and gore", "bloodbath", "bloodbaths",
        "bloodshed", "bloodsoaked", "bloodstained walls", "blood splatter", "blood splatters",
        "blood splattered", "blood spatter", "blood spattered", "blood soaked", "pool of blood",
        "pools of blood", "covered in blood", "dripping blood", "dripping with blood", "smeared blood",
        "blood smeared", "corpse", "corpses", "dead body", "dead bodies", "severed head", "severed heads",
        "severed limb", "severed limbs", "severed hand", "severed hands", "severed finger", "severed fingers",
        "severed arm", "severed arms", "severed leg", "severed legs", "spilled guts", "guts spilling",
        "spilling guts", "entrails", "stab wound", "stab wounds", "gunshot wound", "gunshot wounds",
        "bullet wound", "bullet wounds", "exit wound", "shot in the head", "murder victim", "murder victims",
        "murder scene", "mass grave", "mass graves", "genocide", "massacre", "massacred",
        "slaughtered people", "lynching", "lynchings", "lynch mob", "public execution", "public executions",
        "execution video", "mass shooting", "school shooting", "school shooter", "mass shooter",
        "shooting spree", "killing spree", "mass murder", "mass murderer", "terrorist attack",
        "terrorist attacks", "terror attack", "suicide bomber", "suicide bombers", "suicide bombing",
        "suicide bombings", "torture chamber", "torture scene", "torture device", "torture devices",
        "torture room", "being tortured", "waterboarding", "skinned alive", "burned alive", "burnt alive",
        "snuff film", "snuff films", "snuff movie", "cannibalism", "animal cruelty", "slit throat",
        "slit throats",
    ] + pairs(["dead"], ["baby", "babies", "child", "children", "kid", "kids", "woman", "women", "person"])
      + pairs(["mangled", "bloodied", "decomposing", "rotting", "charred", "lifeless"], ["body", "bodies"])
      + pairs(["beaten", "stabbed", "hacked", "tortured", "strangled", "bludgeoned", "burned", "burnt", "shot"], ["to death"])

    // MARK: - illicit

    /// Drugs, counterfeits, trafficking. Not "coke", "ice", "weed", "crack", "bong", "opium"
    /// (a perfume, a poppy print, an opium bed, an opium-den lounge) or "ketamine" (clinics).
    static let illicit: [String] = [
        "meth", "crystal meth", "meth lab", "meth labs", "cook meth", "cooking meth", "make meth",
        "making meth", "heroin", "cocaine", "crack cocaine", "snorting coke", "snort coke", "mdma",
        "ecstasy pills", "lsd", "carfentanil", "nitazene", "nitazenes", "rohypnol", "roofie", "roofies",
        "ghb", "date rape drug", "date rape drugs",
        "drug lab", "drug labs", "drug den", "crack den", "crack house", "crack houses", "crack pipe",
        "ice pipe", "drug paraphernalia", "pill press", "pill presses",
        "cannabis grow", "marijuana grow", "weed grow", "drug stash", "stash of drugs",
        "sell drugs", "selling drugs", "buy drugs", "buying drugs", "dealing drugs", "drug dealing",
        "drug deal", "drug deals", "drug dealer", "drug dealers", "drug cartel", "drug mule",
        "drug money", "drug trafficking", "drug smuggling", "money laundering",
        "counterfeit money", "counterfeit cash", "counterfeit notes", "counterfeit currency",
        "fake passport", "fake passports", "forged passport", "forged passports", "fake id", "fake ids",
        "fake drivers licence", "fake driver's licence", "forged documents", "how to shoplift",
        "stolen goods", "stolen credit cards", "card skimmer", "human trafficking", "child trafficking",
        "organ trafficking", "elephant ivory", "rhino horn", "ivory trade",
    ]

    // MARK: - illicit/violent

    /// Weapons and explosives: making them, or the kinds Australian law prohibits. Not "gun"
    /// (gun-metal), "rifle" (an antique above the fireplace), "bomb" (bombe chest, bath bomb),
    /// "machine gun" (a rapper's name), "mustard gas" (a mustard gas cooktop), "nuclear bomb"
    /// (bomb shelters), "anthrax" or "sarin" alone (a band, a surname).
    static let illicitViolent: [String] = [
        "gun smuggling", "gun trafficking", "gun running", "gunrunning", "arms trafficking", "arms dealing",
        "weapons trafficking", "weapon trafficking", "illegal gun", "illegal guns", "illegal firearm",
        "illegal firearms", "illegal weapon", "illegal weapons", "unregistered gun", "unregistered guns",
        "unregistered firearm", "unregistered firearms", "untraceable gun", "untraceable guns",
        "untraceable firearm", "untraceable firearms", "ghost gun", "ghost guns", "3d printed gun",
        "3d printed guns", "3d printed firearm", "3d printed firearms", "3d print a gun", "print a gun",
        "build a gun", "make a gun", "homemade gun", "homemade guns", "homemade firearm",
        "homemade firearms", "homemade silencer", "zip gun", "zip guns", "bump stock", "bump stocks",
        "auto sear", "full auto conversion", "sawn off shotgun", "sawn off shotguns", "sawed off shotgun",
        "assault rifle", "assault rifles", "ak47", "ak 47", "hand grenade", "hand grenades",
        "grenade launcher", "grenade launchers", "rocket launcher", "rocket launchers",
        "pipe bomb", "pipe bombs", "nail bomb", "nail bombs", "car bomb", "car bombs", "letter bomb",
        "letter bombs", "dirty bomb", "dirty bombs", "fertiliser bomb", "fertilizer bomb", "bomb making",
        "make a bomb", "build a bomb", "making bombs", "homemade bomb", "homemade bombs",
        "homemade explosive", "homemade explosives", "make explosives", "making explosives",
        "build explosives", "explosives lab", "explosives workshop", "explosives factory", "improvised explosive", "improvised explosives",
        "improvised explosive device", "improvised explosive devices", "ied", "ieds", "suicide vest",
        "suicide vests", "explosive vest", "molotov cocktail", "molotov cocktails", "molotovs",
        "c4 explosive", "c4 explosives", "c4 bomb", "c4 bombs", "plastic explosive", "plastic explosives", "semtex", "thermite",
        "napalm", "nerve agent", "nerve agents", "nerve gas", "sarin gas", "vx gas", "vx nerve agent",
        "ricin", "anthrax spores", "anthrax lab", "weaponised anthrax", "weaponized anthrax", "chemical weapon",
        "chemical weapons", "biological weapon", "biological weapons", "bioweapon", "bioweapons",
    ]
}
