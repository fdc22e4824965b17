extension Moderation {
    /// Every entry, stem and fragment of the lists, as written (phrases with their spaces).
    /// The check itself matches compiled, folded tables; this flat list is for measuring the
    /// check against a plain word search over the same terms (`make bench`).
    public static var listedTerms: [String] {
        ModerationCategory.allCases.flatMap { category in
            (ModerationLexicon.entries[category] ?? []) + (ModerationLexicon.stems[category] ?? [])
                + (ModerationLexicon.fragments[category] ?? [])
        }
    }
}
