import Crypto
import Foundation

/// Why a webhook was refused. Deliberately vague for the sender; precise for our logs.
public enum WebhookVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The secret is not `whsec_<base64>` or bare base64.
    case invalidSecret
    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing or empty.
    case missingHeaders
    /// `webhook-timestamp` is not a whole number of seconds.
    case invalidTimestamp
    /// The timestamp is further from now than the tolerance (a replay, or a skewed clock).
    case timestampOutOfTolerance
    /// No `v1,` signature in the header matches.
    case noMatchingSignature

    public var description: String {
        switch self {
        case .invalidSecret: "the webhook secret is not valid base64"
        case .missingHeaders: "webhook headers are missing"
        case .invalidTimestamp: "the webhook timestamp is not a number"
        case .timestampOutOfTolerance: "the webhook timestamp is too far from now"
        case .noMatchingSignature: "no webhook signature matches"
        }
    }
}

/// The key webhooks are signed with: `whsec_` followed by base64, or the bare base64.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    let key: SymmetricKey

    public init(_ text: String) throws(WebhookVerificationError) {
        var encoded = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if encoded.hasPrefix("whsec_") { encoded.removeFirst("whsec_".count) }
        // Tolerate missing padding; Standard Webhooks secrets are padded, some tools strip it.
        while encoded.count % 4 != 0 { encoded += "=" }
        guard !encoded.isEmpty, let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
            throw .invalidSecret
        }
        key = SymmetricKey(data: bytes)
    }

    /// A new random secret (24 bytes, like Standard Webhooks' own generator), as `whsec_...`.
    public static func generate() -> String {
        let bytes = SymmetricKey(size: .init(bitCount: 192)).withUnsafeBytes { Data($0) }
        return "whsec_" + bytes.base64EncodedString()
    }

    public var description: String { "WebhookSecret(<redacted>)" }
}

/// Signs webhook bodies as Standard Webhooks (and Replicate) do.
public struct WebhookSigner: Sendable {
    private let secret: WebhookSecret

    public init(secret: WebhookSecret) {
        self.secret = secret
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        "v1," + Data(mac(id: id, timestamp: String(timestamp), body: body)).base64EncodedString()
    }

    /// The three headers a delivery carries.
    public func headers(id: String, timestamp: Int, body: Data) -> [(name: String, value: String)] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body)),
        ]
    }

    func mac(id: String, timestamp: String, body: Data) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: secret.key)
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize()
    }
}

/// Verifies a delivery: the signed content is `"{webhook-id}.{webhook-timestamp}.{raw body}"`,
/// `webhook-signature` holds space-separated `v1,<base64>` entries, any one of which may
/// match (compared in constant time), and the timestamp must be within `tolerance` of now.
public struct WebhookVerifier: Sendable {
    private let secret: WebhookSecret
    public let tolerance: TimeInterval

    public init(secret: WebhookSecret, tolerance: TimeInterval = 300) {
        self.secret = secret
        self.tolerance = tolerance
    }

    public func verify(
        id: String?, timestamp: String?, signatureHeader: String?, body: Data, now: Date
    ) throws(WebhookVerificationError) {
        guard let id, !id.isEmpty, let timestamp, !timestamp.isEmpty,
              let signatureHeader, !signatureHeader.isEmpty
        else { throw .missingHeaders }
        guard timestamp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), timestamp.utf8.count <= 12,
              let seconds = Int(timestamp)
        else { throw .invalidTimestamp }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else {
            throw .timestampOutOfTolerance
        }

        var hmac = HMAC<SHA256>(key: secret.key)
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        let expected = hmac.finalize()

        for entry in signatureHeader.split(separator: " ", omittingEmptySubsequences: true) {
            let parts = entry.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "v1", !parts[1].isEmpty,
                  let candidate = Data(base64Encoded: String(parts[1]))
            else { continue }
            // Equal-length constant-time comparison (swift-crypto's MAC equality).
            if expected == candidate { return }
        }
        throw .noMatchingSignature
    }
}
