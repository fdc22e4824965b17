/// The text check every user prompt passes before anything is stored or sent (SPEC §6):
/// whole-word and whole-phrase matching against `ModerationLexicon` after undoing case,
/// accents, look-alike letters, letter-for-digit swaps and letters spelled apart.
///
/// The lists are compiled once into hash sets; a check is a handful of set lookups per word.
public enum Moderation {
    /// What a user sees when a prompt is refused. It never repeats the matched words.
    public static let rejectionMessage =
        "This prompt can't be used. Please describe the room, furniture, colours and finishes you'd like."

    public static func check(_ text: String) -> ModerationVerdict {
        let analysis = ModerationText.analyse(text)
        for stream in analysis.streams {
            if let category = compiled.match(stream) { return .rejected(category) }
        }
        for run in analysis.spelledOutRuns {
            if let category = compiled.matchInside(run) { return .rejected(category) }
        }
        return .allowed
    }

    private static let compiled = CompiledLexicon()
}

/// `ModerationLexicon` folded into lookup tables.
private struct CompiledLexicon: Sendable {
    struct Phrase: Sendable {
        var rest: [String]
        var category: ModerationCategory
    }

    struct Stretchable: Sendable {
        var runs: LetterRuns
        var category: ModerationCategory
    }

    var words: [String: ModerationCategory] = [:]
    /// squeezed word → the entries it could be stretched from ("seeex" for "sex").
    var stretchable: [String: [Stretchable]] = [:]
    /// first word → the rest of each phrase beginning with it.
    var phrases: [String: [Phrase]] = [:]
    /// first four characters → the stems beginning with them (every stem has at least four).
    var stems: [Substring: [(String, ModerationCategory)]] = [:]
    var stretchableStems: [Stretchable] = []
    var fragments: [(String, ModerationCategory)] = []
    var exemptWords: Set<String> = []
    var exemptAfter: [String: Set<String>] = [:]
    var exemptBefore: [String: Set<String>] = [:]
    var longestWord = 0
    static let stemKeyLength = 4

    init() {
        for category in ModerationCategory.allCases {
            for entry in ModerationLexicon.entries[category] ?? [] {
                let tokens = ModerationText.canonical(entry)
                guard let first = tokens.first else { continue }
                if tokens.count > 1 {
                    phrases[first, default: []].append(Phrase(rest: Array(tokens.dropFirst()), category: category))
                }
                addWord(tokens.joined(), category)
            }
            for stem in ModerationLexicon.stems[category] ?? [] {
                let canonical = ModerationText.canonical(stem).joined()
                precondition(canonical.count >= Self.stemKeyLength, "moderation stems need \(Self.stemKeyLength)+ letters")
                stems[canonical.prefix(Self.stemKeyLength), default: []].append((canonical, category))
                stretchableStems.append(Stretchable(runs: LetterRuns(canonical), category: category))
            }
            for fragment in ModerationLexicon.fragments[category] ?? [] {
                fragments.append((ModerationText.canonical(fragment).joined(), category))
            }
        }
        exemptWords = Set(ModerationLexicon.exemptWords.map { ModerationText.canonical($0).joined() })
        func canonicalSets(_ table: [String: Set<String>]) -> [String: Set<String>] {
            Dictionary(uniqueKeysWithValues: table.map { word, neighbours in
                (ModerationText.canonical(word).joined(), Set(neighbours.map { ModerationText.canonical($0).joined() }))
            })
        }
        exemptAfter = canonicalSets(ModerationLexicon.exemptAfter)
        exemptBefore = canonicalSets(ModerationLexicon.exemptBefore)
    }

    private mutating func addWord(_ word: String, _ category: ModerationCategory) {
        words[word] = category
        let runs = LetterRuns(word)
        stretchable[runs.letters, default: []].append(Stretchable(runs: runs, category: category))
        longestWord = max(longestWord, word.count)
    }

    /// The first entry found in a stream of words.
    func match(_ stream: ModerationText.Stream) -> ModerationCategory? {
        let words = stream.words
        for index in words.indices {
            // A qualifier counts only within the same phrase: "heroin. Chic" is no aesthetic.
            let previous = index > 0 && stream.linksToPrevious[index] ? words[index - 1] : []
            let next = index + 1 < words.count && stream.linksToPrevious[index + 1] ? words[index + 1] : []
            for word in words[index] {
                if isExempt(word, after: previous, before: next) { continue }
                if let category = matchWord(word) { return category }
                if let category = matchPhrase(startingWith: word, in: stream, at: index) { return category }
            }
        }
        return nil
    }

    /// Any entry hidden inside a run of letters spelled apart ("a s e x t o y").
    func matchInside(_ run: String) -> ModerationCategory? {
        let characters = Array(run)
        guard characters.count >= 3 else { return nil }
        for start in 0..<(characters.count - 2) {
            let maxEnd = min(characters.count, start + longestWord)
            for end in (start + 3)...maxEnd {
                let window = String(characters[start..<end])
                if let category = matchWord(window) { return category }
            }
        }
        return nil
    }

    private func isExempt(_ word: String, after previous: [String], before next: [String]) -> Bool {
        if exemptWords.contains(word) { return true }
        if let qualifiers = exemptAfter[word], previous.contains(where: qualifiers.contains) { return true }
        if let qualifiers = exemptBefore[word], next.contains(where: qualifiers.contains) { return true }
        return false
    }

    private func matchWord(_ word: String) -> ModerationCategory? {
        if let category = words[word] { return category }
        if let bucket = stems[word.prefix(Self.stemKeyLength)] {
            for (stem, category) in bucket where word.hasPrefix(stem) { return category }
        }
        if LetterRuns.hasRepeat(word) {
            let runs = LetterRuns(word)
            if let hit = stretchable[runs.letters]?.first(where: { runs.stretches($0.runs) }) { return hit.category }
            if let hit = stretchableStems.first(where: { runs.stretches($0.runs, prefixOnly: true) }) { return hit.category }
        }
        for (fragment, category) in fragments where Self.contains(word, fragment) { return category }
        return nil
    }

    /// A plain byte search: the words are short and the fragments few.
    private static func contains(_ word: String, _ fragment: String) -> Bool {
        let haystack = Array(word.utf8)
        let needle = Array(fragment.utf8)
        guard haystack.count > needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// A phrase matches word for word, with nothing but whitespace or in-word punctuation
    /// between its words, not ending inside a compound ("nude man-made fibre"), and not
    /// followed by a word that makes its last word innocent ("build a bomb shelter").
    private func matchPhrase(startingWith word: String, in stream: ModerationText.Stream, at index: Int) -> ModerationCategory? {
        guard let candidates = phrases[word] else { return nil }
        for phrase in candidates where index + phrase.rest.count < stream.words.count {
            let end = index + phrase.rest.count
            guard !stream.gluedToNext[end] else { continue }
            let matches = phrase.rest.indices.allSatisfy { offset in
                let position = index + 1 + offset
                return stream.linksToPrevious[position] && stream.words[position].contains(phrase.rest[offset])
            }
            guard matches else { continue }
            if let last = phrase.rest.last, let qualifiers = exemptBefore[last], end + 1 < stream.words.count,
               stream.linksToPrevious[end + 1], stream.words[end + 1].contains(where: qualifiers.contains) {
                continue
            }
            return phrase.category
        }
        return nil
    }
}

/// A word as runs of one repeated character: "seeex" is s×1 e×3 x×1.
private struct LetterRuns: Sendable {
    /// The word with each run squeezed to one character ("sex").
    let letters: String
    let counts: [Int]

    init(_ word: String) {
        var letters = ""
        var counts: [Int] = []
        var previous: Character?
        for character in word {
            if character == previous {
                counts[counts.count - 1] += 1
            } else {
                letters.append(character)
                counts.append(1)
                previous = character
            }
        }
        self.letters = letters
        self.counts = counts
    }

    /// Whether any character follows itself; only such words can be stretched forms of another.
    static func hasRepeat(_ word: String) -> Bool {
        var previous: UInt8 = 0
        for byte in word.utf8 {
            if byte == previous { return true }
            previous = byte
        }
        return false
    }

    /// Whether this word is `entry` with some of its letters repeated more often ("pooorn"
    /// for "porn", but not "niger" for "nigger": a run may grow, never shrink). With
    /// `prefixOnly`, `entry` need only stretch to the start of this word (a stem).
    func stretches(_ entry: LetterRuns, prefixOnly: Bool = false) -> Bool {
        if prefixOnly {
            guard letters.hasPrefix(entry.letters) else { return false }
        } else {
            guard letters == entry.letters else { return false }
        }
        return zip(counts, entry.counts).allSatisfy { count, needed in count >= needed }
    }
}
