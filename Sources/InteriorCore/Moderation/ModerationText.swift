import Foundation

/// Turns text into the word tokens the moderation lists are matched against, undoing the
/// usual disguises: case, accents and look-alike letters, letter-for-digit swaps
/// ("s3x", "h3r0in"), and letters spelled apart ("s.e.x", "s e x").
enum ModerationText {
    /// One word as typed (folded to lower case and plain letters, digits left as they are).
    struct Token: Equatable {
        var raw: String
        /// Only punctuation, no whitespace, separates it from the previous token, as in
        /// "s.e.x" or "gun-metal".
        var joinedToPrevious: Bool
        /// What separates it from the previous token could sit inside a phrase: whitespace,
        /// a hyphen, an underscore, an apostrophe. Sentence punctuation ("grow. Op shop")
        /// ends a phrase.
        var linksToPrevious: Bool
        /// An English contraction's ending after an apostrophe ("re" in "who're"), never glued
        /// to the word before: "who're" is not "whore".
        var isContraction = false
    }

    /// A sequence of words as the matcher sees them.
    struct Stream: Equatable {
        /// Each word's readings (more than one when a "1" may be an "i" or an "l").
        var words: [[String]] = []
        /// Whether a phrase may run from the previous word into this one.
        var linksToPrevious: [Bool] = []
        /// Whether the next word is glued to this one by punctuation ("man" in "man-made"),
        /// so a phrase cannot end here.
        var gluedToNext: [Bool] = []
    }

    /// What one text is checked as.
    struct Analysis {
        /// The words as typed, then (when they differ) words glued back across in-word
        /// punctuation ("s.e.x", "gun-metal"), and runs of single characters glued back into
        /// words ("s e x").
        var streams: [Stream]
        /// Runs of two or more single characters ("sextoy" from "s e x t o y"), de-leeted;
        /// a list entry may hide anywhere inside one.
        var spelledOutRuns: [String]
    }

    static func analyse(_ text: String) -> Analysis {
        let tokens = tokenise(fold(text))
        var streams = [stream(of: tokens)]
        let compounds = joinCompounds(tokens)
        if compounds.count != tokens.count { streams.append(stream(of: compounds)) }
        let (spelled, runs) = joinSpelledOut(tokens)
        if !runs.isEmpty { streams.append(stream(of: spelled)) }
        return Analysis(streams: streams, spelledOutRuns: runs.flatMap { variants(of: $0) })
    }

    /// The canonical form of a list entry: folded and de-leeted exactly like user text.
    static func canonical(_ term: String) -> [String] {
        tokenise(fold(term)).map { variants(of: $0.raw)[0] }
    }

    private static func stream(of tokens: [Token]) -> Stream {
        var stream = Stream()
        stream.words.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            stream.words.append(variants(of: token.raw))
            stream.linksToPrevious.append(token.linksToPrevious)
            stream.gluedToNext.append(index + 1 < tokens.count && tokens[index + 1].joinedToPrevious)
        }
        return stream
    }

    // MARK: Folding

    /// Lower case, compatibility-decomposed (full-width and styled letters become plain),
    /// accents dropped, and the letters that do not decompose mapped by hand.
    static func fold(_ text: String) -> String {
        let clean = PromptText.sanitise(text)
        if clean.utf8.allSatisfy({ $0 < 0x80 }) { return clean.lowercased() }
        var output = String.UnicodeScalarView()
        for scalar in clean.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.isASCII {
                output.append(contentsOf: String(scalar).lowercased().unicodeScalars)
                continue
            }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: break
            }
            for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                if let replacement = lookAlikes[lower] {
                    output.append(contentsOf: replacement.unicodeScalars)
                } else {
                    output.append(lower)
                }
            }
        }
        return String(output)
    }

    /// Letters without a decomposition, and Cyrillic and Greek letters that pass for Latin.
    private static let lookAlikes: [Unicode.Scalar: String] = [
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
        "ı": "i", "ħ": "h", "ŀ": "l", "ɡ": "g", "ſ": "s",
        // Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h",
        // Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s",
    ]

    // MARK: Tokens

    /// Symbols that stand in for letters inside a word.
    private static let leetSymbols: Set<Unicode.Scalar> = ["@", "$", "!", "|"]
    /// Symbols that are only letters between other word characters ("k!ll", not "wow!").
    private static let edgeTrimmed: Set<Character> = ["!", "|"]

    /// Separators a phrase may run across besides whitespace.
    private static let softSeparators: Set<Unicode.Scalar> = ["-", "_", "'", "\u{2019}", "\u{2010}", "\u{2011}", "~", "*", "+", "="]

    private static let apostrophes: Set<Unicode.Scalar> = ["'", "\u{2019}"]
    private static let contractionEndings: Set<String> = ["s", "re", "ve", "ll", "d", "m", "t"]

    static func tokenise(_ folded: String) -> [Token] {
        var tokens: [Token] = []
        var current = String.UnicodeScalarView()
        var sawSpace = false
        var sawHardSeparator = false
        var sawApostrophe = false
        func flush() {
            var word = String(current)
            current = String.UnicodeScalarView()
            while let first = word.first, edgeTrimmed.contains(first) { word.removeFirst() }
            while let last = word.last, edgeTrimmed.contains(last) { word.removeLast() }
            guard !word.isEmpty else { return }
            let joined = !tokens.isEmpty && !sawSpace
            tokens.append(Token(
                raw: word,
                joinedToPrevious: joined,
                linksToPrevious: !tokens.isEmpty && !sawHardSeparator,
                isContraction: joined && sawApostrophe && contractionEndings.contains(word)
            ))
            sawSpace = false
            sawHardSeparator = false
            sawApostrophe = false
        }
        for scalar in folded.unicodeScalars {
            if isWordScalar(scalar) {
                current.append(scalar)
            } else {
                flush()
                if scalar.properties.isWhitespace {
                    sawSpace = true
                } else if !softSeparators.contains(scalar) {
                    sawHardSeparator = true
                }
                if apostrophes.contains(scalar) { sawApostrophe = true }
            }
        }
        flush()
        return tokens
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar.value {
            case 0x61...0x7A, 0x41...0x5A, 0x30...0x39: return true
            default: return leetSymbols.contains(scalar)
            }
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// "gun-metal" → "gunmetal", "s.e.x" → "sex": tokens separated only by punctuation.
    private static func joinCompounds(_ tokens: [Token]) -> [Token] {
        var joined: [Token] = []
        for token in tokens {
            if token.joinedToPrevious, !token.isContraction, let last = joined.popLast() {
                joined.append(Token(raw: last.raw + token.raw, joinedToPrevious: last.joinedToPrevious, linksToPrevious: last.linksToPrevious))
            } else {
                joined.append(Token(raw: token.raw, joinedToPrevious: false, linksToPrevious: token.linksToPrevious))
            }
        }
        return joined
    }

    /// "s e x toys" → "sex", "toys": runs of single characters glued back together. Also
    /// returns the glued runs of two or more.
    private static func joinSpelledOut(_ tokens: [Token]) -> (tokens: [Token], runs: [String]) {
        var joined: [Token] = []
        var runs: [String] = []
        var run: Token?
        var runLength = 0
        func flush() {
            if let run { joined.append(run) }
            if runLength >= 2, let run { runs.append(run.raw) }
            run = nil
            runLength = 0
        }
        for token in tokens {
            if token.raw.count == 1 {
                if let started = run {
                    run = Token(raw: started.raw + token.raw, joinedToPrevious: started.joinedToPrevious, linksToPrevious: started.linksToPrevious)
                } else {
                    run = token
                }
                runLength += 1
            } else {
                flush()
                joined.append(token)
            }
        }
        flush()
        return (joined, runs)
    }

    // MARK: Letter-for-digit swaps

    private static let leet: [Character: Character] = [
        "0": "o", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
        "@": "a", "$": "s", "!": "i",
    ]
    /// "1" and "|" read as either "i" or "l" ("k1ll", "1oli"), so both readings are checked.
    private static let ambiguous: [Character: (Character, Character)] = ["1": ("i", "l"), "|": ("i", "l")]

    /// The readings of one token. A token with no letter at all is a number ("455", "1970")
    /// and is left alone, so measurements never turn into words.
    static func variants(of raw: String) -> [String] {
        var hasLetter = false
        var hasSwap = false
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), 0x80...: hasLetter = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "|"):
                hasSwap = true
            default: break
            }
        }
        // Folding left only lower-case ASCII and other scripts' letters, so any byte from
        // 0x80 up belongs to a letter.
        guard hasLetter, hasSwap else { return [raw] }
        var first = ""
        var second = ""
        first.reserveCapacity(raw.utf8.count)
        second.reserveCapacity(raw.utf8.count)
        for character in raw {
            if let letter = leet[character] {
                first.append(letter)
                second.append(letter)
            } else if let (a, b) = ambiguous[character] {
                first.append(a)
                second.append(b)
            } else {
                first.append(character)
                second.append(character)
            }
        }
        return first == second ? [first] : [first, second]
    }
}
