import Testing
@testable import InteriorCore

@Suite("Moderation")
struct ModerationTests {
    @Test("the corpus holds at least 300 prompts, at least half of them ordinary interior language, and every taxonomy category")
    func corporaAreLargeEnough() {
        let allowed = AllowedPrompts.all
        let disallowed = DisallowedPrompts.all.map(\.text)
        #expect(allowed.count + disallowed.count >= 300)
        #expect(allowed.count * 2 >= allowed.count + disallowed.count, "fewer benign than harmful prompts")
        #expect(Set(allowed).count == allowed.count, "duplicate allowed prompts")
        #expect(Set(disallowed).count == disallowed.count, "duplicate disallowed prompts")
        #expect(Set(allowed).isDisjoint(with: disallowed), "a prompt in both corpora")
        for category in ModerationCategory.allCases {
            #expect(DisallowedPrompts.all.filter { $0.category == category }.count >= 8, "few \(category) cases")
        }
        for category in Taxonomy.allCases {
            #expect(DisallowedPrompts.all.filter { $0.taxonomy == category }.count >= 8, "few \(category.rawValue) cases")
        }
    }

    @Test("ordinary interior language passes, including words that contain listed terms")
    func allowedCorpusPasses() {
        for text in AllowedPrompts.all {
            let verdict = Moderation.check(text)
            #expect(verdict == .allowed, "refused as \(verdict): \(text)")
        }
    }

    @Test("clearly disallowed requests are refused under the right category, however disguised")
    func disallowedCorpusFails() {
        for (text, taxonomy, category) in DisallowedPrompts.all {
            let verdict = Moderation.check(text)
            #expect(verdict == .rejected(category), "\(taxonomy.rawValue) prompt got \(verdict): \(text)")
        }
    }

    @Test("a disallowed term inside an otherwise ordinary prompt is still refused")
    func termInsideLongPrompt() {
        let prompt = "Scandi living room with light oak floors, a linen sofa, lots of plants and a meth lab in the corner"
        #expect(Moderation.check(prompt) == .rejected(.illegalGoods))
    }

    @Test("the user-facing message is generic and never repeats a matched term")
    func messageIsGeneric() {
        let message = Moderation.rejectionMessage.lowercased()
        for term in ["porn", "sex", "nazi", "meth", "blood", "corpse", "nude", "naked", "cocaine", "gun", "kill"] {
            #expect(!message.contains(term), "message mentions \(term)")
        }
        #expect(!message.isEmpty)
    }

    @Test("letter-for-digit swaps are undone, ambiguous 1 and | read both ways")
    func leetVariants() {
        #expect(ModerationText.variants(of: "h3r01n") == ["heroin", "heroln"])
        #expect(ModerationText.variants(of: "k|ke") == ["kike", "klke"])
        #expect(ModerationText.variants(of: "@$$") == ["@$$"], "no letter: left alone")
        #expect(ModerationText.variants(of: "m3th") == ["meth"])
        #expect(ModerationText.variants(of: "s3x") == ["sex"])
        #expect(ModerationText.variants(of: "timber") == ["timber"])
    }

    @Test("numbers and measurements are never read as words")
    func numbersStayNumbers() {
        #expect(ModerationText.variants(of: "455") == ["455"])
        #expect(ModerationText.variants(of: "1970") == ["1970"])
        #expect(Moderation.check("a 455 mm vanity, 5318008 on the calculator, 1337 style") == .allowed)
    }

    @Test("case, accents, full-width and look-alike letters fold to plain lower case")
    func folding() {
        #expect(ModerationText.fold("CRÈME Brûlée") == "creme brulee")
        #expect(ModerationText.fold("ＴＩＭＢＥＲ") == "timber")
        #expect(ModerationText.fold("Smørrebrød Straße") == "smorrebrod strasse")
        #expect(ModerationText.fold("m\u{0435}th") == "meth", "Cyrillic e")
        #expect(ModerationText.fold("z\u{0301}\u{0308}algo") == "zalgo", "stacked combining marks")
    }

    @Test("letters spelled apart are read as the word they spell")
    func spelledApartLetters() {
        #expect(Moderation.check("p o r n") == .rejected(.sexual))
        #expect(Moderation.check("p.o.r.n on the tv") == .rejected(.sexual))
        #expect(Moderation.check("p-0-r-n") == .rejected(.sexual))
        #expect(Moderation.check("a s e x t o y shelf") == .rejected(.sexual))
        #expect(Moderation.check("h e r o i n") == .rejected(.illegalGoods))
        #expect(Moderation.check("k k k") == .rejected(.hateful))
    }

    @Test("stretched letters are read as the word they stretch")
    func stretchedLetters() {
        #expect(Moderation.check("pooorn") == .rejected(.sexual))
        #expect(Moderation.check("cocaaaine") == .rejected(.illegalGoods))
        #expect(Moderation.check("Niger river textiles") == .allowed, "shorter than the listed word")
    }

    @Test("invisible characters inside a word do not hide it")
    func invisibleCharacters() {
        #expect(Moderation.check("co\u{200B}caine") == .rejected(.illegalGoods))
        #expect(Moderation.check("he\u{00AD}roin") == .rejected(.illegalGoods))
    }

    @Test("design slang for beautiful rooms is not refused, other uses are")
    func roomPornSlang() {
        #expect(Moderation.check("pure #interiorporn") == .allowed)
        #expect(Moderation.check("kitchen porn level detail") == .allowed)
        #expect(Moderation.check("childporn") == .rejected(.sexual))
        #expect(Moderation.check("bedroom porn") == .rejected(.sexual))
    }

    @Test("a phrase does not run across sentence punctuation or end inside a compound word")
    func phraseBoundaries() {
        #expect(Moderation.check("sex toys") == .rejected(.sexual))
        #expect(Moderation.check("sex-toys") == .rejected(.sexual))
        #expect(Moderation.check("sex_toys") == .rejected(.sexual))
        #expect(Moderation.check("sextoys") == .rejected(.sexual), "a phrase written as one word")
        #expect(Moderation.check("unisex, toys in baskets") == .allowed)
        #expect(Moderation.check("let it grow. Op shop chairs") == .allowed)
        #expect(Moderation.check("nude man-made fibre rug") == .allowed)
        #expect(Moderation.check("nude man on the rug") == .rejected(.sexual))
    }

    @Test("a contraction is not glued to the word before it; other punctuation inside a word is")
    func contractions() {
        #expect(Moderation.check("bunk beds for kids who're into space") == .allowed)
        #expect(Moderation.check("kids who\u{2019}re into space") == .allowed, "a typographic apostrophe")
        #expect(Moderation.check("wh'ore on the wall") == .rejected(.sexual))
        #expect(Moderation.check("wh.ore on the wall") == .rejected(.sexual))
    }

    @Test("words that only look like stretched listed words pass")
    func stretchedLookAlikes() {
        #expect(Moderation.check("a studio for rapping and recording") == .allowed)
        #expect(Moderation.check("she rapped on the door") == .allowed)
        #expect(Moderation.check("raaape") == .rejected(.sexual))
    }

    @Test("a listed word in a known innocent expression is allowed, elsewhere refused")
    func exemptExpressions() {
        #expect(Moderation.check("90s heroin chic bedroom") == .allowed)
        #expect(Moderation.check("heroin on the bedside table") == .rejected(.illegalGoods))
        #expect(Moderation.check("heroin. Chic bedroom") == .rejected(.illegalGoods), "a qualifier in another sentence")
        #expect(Moderation.check("a kaffir lime in a pot") == .allowed)
        #expect(Moderation.check("kaffir written on the wall") == .rejected(.hateful))
        #expect(Moderation.check("a 1488 mm vanity") == .allowed)
        #expect(Moderation.check("a 1488 sticker on the fridge") == .rejected(.hateful))
    }

    @Test("a religious swastika, so qualified, is allowed; any other is refused")
    func religiousSwastika() {
        #expect(Moderation.check("a Hindu swastika rangoli at the door") == .allowed)
        #expect(Moderation.check("a Buddhist swastika on the altar") == .allowed)
        #expect(Moderation.check("a swastika rangoli at the door") == .rejected(.hateful))
        #expect(Moderation.check("a black swastika on a red flag") == .rejected(.hateful))
        #expect(Moderation.check("my hindu friend, swastika flags") == .rejected(.hateful))
    }

    @Test("a phrase is innocent before the words that make its last word innocent")
    func exemptPhraseEndings() {
        #expect(Moderation.check("build a bomb shelter under the garden") == .allowed)
        #expect(Moderation.check("build a bomb in the shed") == .rejected(.illegalGoods))
        #expect(Moderation.check("build a bomb") == .rejected(.illegalGoods), "at the end of the text")
        #expect(Moderation.check("build a bomb. Shelter the kids") == .rejected(.illegalGoods),
                "the innocent word must follow within the phrase's sentence")
    }

    @Test("a hate symbol is refused like the hate group it stands for")
    func hateSymbols() {
        // The reported gap: the group was refused, its symbol passed.
        #expect(Moderation.check("a nazi flag over the fireplace") == .rejected(.hateful))
        #expect(Moderation.check("a swastika flag over the fireplace") == .rejected(.hateful))
        #expect(Moderation.check("swastikas painted on the garage door") == .rejected(.hateful))
    }

    @Test("blank and empty text is allowed")
    func blankText() {
        #expect(Moderation.check("") == .allowed)
        #expect(Moderation.check("   \n ") == .allowed)
        #expect(Moderation.check("!!! ??? ...") == .allowed)
    }
}
