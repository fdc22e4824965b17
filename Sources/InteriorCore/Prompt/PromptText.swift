import Foundation

/// The clean-up every piece of user text goes through before it is validated, moderated,
/// stored or sent to a model.
public enum PromptText {
    /// Trims the text, turns every kind of line break and tab into a space, removes control
    /// and invisible format characters (zero-width spaces, direction overrides, soft hyphens),
    /// collapses runs of whitespace into one space, and composes the result (NFC) so that a
    /// character counts once however it was typed.
    public static func sanitise(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        var isASCII = true
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                switch scalar.value {
                case 0x09...0x0D, 0x20:
                    pendingSpace = true
                    continue
                case 0x00...0x1F, 0x7F:
                    continue
                default:
                    break
                }
            } else {
                isASCII = false
                if scalar.properties.isWhitespace {
                    pendingSpace = true
                    continue
                }
                switch scalar.properties.generalCategory {
                case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
                    // Invisible characters are dropped outright: "s\u{200B}ex" reads as one word.
                    continue
                default:
                    break
                }
            }
            if pendingSpace, !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(scalar)
        }
        // Plain ASCII is already composed; skipping the Unicode pass keeps this cheap.
        return isASCII ? String(output) : String(output).precomposedStringWithCanonicalMapping
    }

    /// The sanitised text, or `nil` when nothing is left of it.
    public static func sanitisedOrNil(_ text: String?) -> String? {
        guard let text else { return nil }
        let clean = sanitise(text)
        return clean.isEmpty ? nil : clean
    }
}
