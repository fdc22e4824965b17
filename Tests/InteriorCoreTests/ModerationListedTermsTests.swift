import InteriorCore
import Testing

@Suite("Moderation: the listed terms")
struct ModerationListedTermsTests {
    @Test("the flat list holds every entry, stem and fragment, and each one alone is refused")
    func everyListedTermIsRefused() {
        let terms = Moderation.listedTerms
        #expect(terms.count > 300)
        #expect(terms.contains("sex toy") && terms.contains("masturbat") && terms.contains("fentanyl"))
        #expect(terms.contains("swastika") && terms.contains("kill myself") && terms.contains("nerve agent"))
        let allowed = terms.filter { Moderation.check($0) == .allowed }
        #expect(allowed.isEmpty, "allowed: \(allowed)")
    }
}
