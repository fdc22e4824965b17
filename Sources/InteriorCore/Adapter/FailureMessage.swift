import Foundation

/// The error text of a failed prediction, made fit to show a user and to store (SPEC §4:
/// `error` is ≤ 500 characters with no URLs or secrets): one meaningful line, links and
/// anything that looks like a credential replaced, never empty.
public enum FailureMessage {
    public static let maxLength = 500

    /// Shown when the model said nothing usable.
    public static let fallback = "The image model could not complete this generation. Please try again."

    public static func normalise(_ raw: String?) -> String {
        guard let raw else { return fallback }
        // Error bodies can be megabytes of logs; the message is near the top (or, for a
        // Python traceback, at the bottom), so only the ends are ever looked at.
        let line = meaningfulLine(of: clipped(raw))
        let redacted = PromptText.sanitise(redact(line))
        let words = redacted
            .replacingOccurrences(of: linkPlaceholder, with: "")
            .replacingOccurrences(of: secretPlaceholder, with: "")
        guard words.contains(where: { $0.isLetter }) else { return fallback }
        return truncated(redacted)
    }

    static let linkPlaceholder = "[link]"
    static let secretPlaceholder = "[redacted]"

    // MARK: Choosing the line

    private static func clipped(_ text: String) -> String {
        let limit = 20_000
        guard text.count > limit * 2 else { return text }
        return String(text.prefix(limit)) + "\n" + String(text.suffix(limit))
    }

    /// The first line that says something, or the exception line of a Python traceback.
    private static func meaningfulLine(of text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if let traceback = lines.firstIndex(where: { $0.hasPrefix("Traceback (most recent call last)") }) {
            // Python prints the exception last; what comes before the traceback, if anything
            // meaningful, is the program's own message and wins.
            if let before = lines[..<traceback].first(where: isMeaningful) { return before }
            if let exception = lines[traceback...].last(where: isMeaningful) { return exception }
        }
        return lines.first(where: isMeaningful) ?? ""
    }

    private static func isMeaningful(_ line: String) -> Bool {
        guard line.contains(where: { $0.isLetter }) else { return false }
        let lower = line.lowercased()
        let framePrefixes = ["traceback (", "file \"", "at ", "goroutine ", "stack trace", "stacktrace", "caused by:", "...", "during handling of"]
        if framePrefixes.contains(where: { lower.hasPrefix($0) }) {
            return false
        }
        // "#0 0x00007f... in main ()" and "  File \"x.py\", line 3, in <module>"
        if lower.hasPrefix("#"), lower.dropFirst().first?.isNumber == true { return false }
        if lower.hasPrefix("^") || lower.hasPrefix("~") { return false }
        return true
    }

    // MARK: Redaction

    private static func redact(_ line: String) -> String {
        var text = line
        for rule in rules {
            guard let regex = try? Regex(rule.pattern) else { continue }
            text = text.replacing(regex) { match in
                let whole = match.output[0].substring.map(String.init) ?? ""
                guard rule.applies(whole) else { return whole }
                var result = rule.replacement
                if result.contains("$1"), match.output.count > 1, let group = match.output[1].substring {
                    result = result.replacingOccurrences(of: "$1", with: String(group))
                }
                return result
            }
        }
        return text
    }

    private struct Rule: Sendable {
        var pattern: String
        var replacement: String
        /// A second look at the match, where a regular expression would need look-aheads.
        var applies: @Sendable (String) -> Bool = { _ in true }
    }

    private static func hasDigitAndLetter(_ text: String) -> Bool {
        text.contains(where: \.isNumber) && text.contains(where: \.isLetter)
    }

    /// Applied in order. Later rules catch what earlier ones leave: a credential with no
    /// recognisable prefix is still a long run of random-looking characters.
    private static let rules: [Rule] = [
        Rule(pattern: #"(?i)\bdata:[a-z0-9.+/-]+;base64,[A-Za-z0-9+/=]+"#, replacement: linkPlaceholder),
        Rule(pattern: #"(?i)\b(?:https?|ftp|s3|gs|wss?)://[^\s"'<>()\[\]{}]+"#, replacement: linkPlaceholder),
        Rule(pattern: #"(?i)\bwww\.[^\s"'<>()\[\]{}]+"#, replacement: linkPlaceholder),
        Rule(
            pattern: #"(?i)\b(authorization|proxy-authorization|x-api-key|api[_-]?key|access[_-]?token|secret|password)\s*:\s*(?:(?:bearer|basic|token)\s+)?["']?[^\s"',;&)]+["']?"#,
            replacement: "$1: " + secretPlaceholder
        ),
        Rule(
            pattern: #"(?i)\b(api[_-]?key|access[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|signature|sig|key|x-amz-signature|x-amz-credential)\s*=\s*["']?[^\s"',;&)]+["']?"#,
            replacement: "$1=" + secretPlaceholder
        ),
        Rule(
            pattern: #"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"#,
            replacement: "$1 " + secretPlaceholder,
            applies: { $0.contains(where: \.isNumber) }
        ),
        Rule(
            pattern: #"\b(?:r8_|sk-|sk_|pk_|rk_|whsec_|ghp_|gho_|ghs_|github_pat_|xox[abprs]-|hf_|AKIA|ASIA)[A-Za-z0-9_\-+/=.]{6,}"#,
            replacement: secretPlaceholder
        ),
        Rule(pattern: #"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"#, replacement: secretPlaceholder),
        Rule(pattern: #"\b[0-9a-fA-F]{32,}\b"#, replacement: secretPlaceholder),
        Rule(pattern: #"[A-Za-z0-9+/_=-]{32,}"#, replacement: secretPlaceholder, applies: { hasDigitAndLetter($0) }),
    ]

    // MARK: Length

    private static func truncated(_ text: String) -> String {
        guard text.count > maxLength else { return text }
        var cut = String(text.prefix(maxLength - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > maxLength / 2 {
            cut = String(cut[..<space])
        }
        while let last = cut.last, last == " " || last == "," || last == ";" || last == ":" { cut.removeLast() }
        return cut + "…"
    }
}
