import Foundation
import Replicate
import Testing

/// Standard Webhooks' published test vectors, and the rules around them.
@Suite("Webhook signatures")
struct WebhookVerifierTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = 1_614_265_330
    static let body = Data(#"{"test": 2432232314}"#.utf8)
    static let valid = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let invalid = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
    static let at = Date(timeIntervalSince1970: TimeInterval(timestamp))

    func verifier(_ secret: String = secret) throws -> WebhookVerifier {
        WebhookVerifier(secret: try WebhookSecret(secret))
    }

    @Test func acceptsThePublishedVector() throws {
        try verifier().verify(
            id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body, now: Self.at)
    }

    @Test func rejectsTheVectorWithOneCharacterChanged() throws {
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.invalid, body: Self.body,
                now: Self.at)
        }
    }

    @Test func acceptsTheSecretWithoutItsPrefix() throws {
        try verifier("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(
            id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body, now: Self.at)
    }

    @Test func acceptsTheSecondPublishedVector() throws {
        let verifier = try verifier("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        try verifier.verify(
            id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", timestamp: "1649367553",
            signatureHeader: "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
            body: Data(#"{"email":"test@example.com","username":"test_user"}"#.utf8),
            now: Date(timeIntervalSince1970: 1_649_367_553))
    }

    @Test func theSignerReproducesBothVectors() throws {
        let first = WebhookSigner(secret: try WebhookSecret(Self.secret))
        #expect(first.signature(id: Self.id, timestamp: Self.timestamp, body: Self.body) == Self.valid)
        let second = WebhookSigner(secret: try WebhookSecret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"))
        #expect(second.signature(
            id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", timestamp: 1_649_367_553,
            body: Data(#"{"email":"test@example.com","username":"test_user"}"#.utf8))
            == "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
    }

    @Test func acceptsWhenAnyOfSeveralSignaturesMatches() throws {
        let header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= \(Self.invalid) v1a,ignoredAsymmetric= \(Self.valid)"
        try verifier().verify(
            id: Self.id, timestamp: String(Self.timestamp), signatureHeader: header, body: Self.body, now: Self.at)
    }

    @Test func rejectsSeveralSignaturesWhenNoneMatches() throws {
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: "\(Self.invalid) v2,abc=",
                body: Self.body, now: Self.at)
        }
    }

    @Test func rejectsABareVersionPrefix() throws {
        for header in ["v1,", "v1", "v1, ", ","] {
            #expect(throws: WebhookVerificationError.self) {
                try verifier().verify(
                    id: Self.id, timestamp: String(Self.timestamp), signatureHeader: header, body: Self.body,
                    now: Self.at)
            }
        }
    }

    @Test func rejectsASignatureWithoutItsVersion() throws {
        let bare = String(Self.valid.dropFirst(3))
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: bare, body: Self.body, now: Self.at)
        }
    }

    @Test func rejectsMissingOrEmptyHeaders() throws {
        let v = try verifier()
        let t = String(Self.timestamp)
        let cases: [(String?, String?, String?)] = [
            (nil, t, Self.valid), (Self.id, nil, Self.valid), (Self.id, t, nil),
            ("", t, Self.valid), (Self.id, "", Self.valid), (Self.id, t, ""),
        ]
        for (id, timestamp, signature) in cases {
            #expect(throws: WebhookVerificationError.missingHeaders) {
                try v.verify(id: id, timestamp: timestamp, signatureHeader: signature, body: Self.body, now: Self.at)
            }
        }
    }

    @Test func rejectsANonNumericTimestamp() throws {
        for timestamp in ["abc", "1614265330.5", "-1614265330", " 1614265330", "1e9"] {
            #expect(throws: WebhookVerificationError.invalidTimestamp) {
                try verifier().verify(
                    id: Self.id, timestamp: timestamp, signatureHeader: Self.valid, body: Self.body, now: Self.at)
            }
        }
    }

    @Test func rejectsATimestampMoreThanFiveMinutesOld() throws {
        #expect(throws: WebhookVerificationError.timestampOutOfTolerance) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body,
                now: Self.at.addingTimeInterval(301))
        }
    }

    @Test func rejectsATimestampMoreThanFiveMinutesAhead() throws {
        #expect(throws: WebhookVerificationError.timestampOutOfTolerance) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body,
                now: Self.at.addingTimeInterval(-301))
        }
    }

    @Test func acceptsATimestampExactlyAtTheTolerance() throws {
        for offset in [-300.0, 300.0] {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body,
                now: Self.at.addingTimeInterval(offset))
        }
    }

    @Test func rejectsATamperedBodyOrId() throws {
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier().verify(
                id: Self.id, timestamp: String(Self.timestamp), signatureHeader: Self.valid,
                body: Data(#"{"test":2432232314}"#.utf8), now: Self.at)
        }
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try verifier().verify(
                id: "msg_other", timestamp: String(Self.timestamp), signatureHeader: Self.valid, body: Self.body,
                now: Self.at)
        }
    }

    @Test func refusesASecretThatIsNotBase64() {
        for text in ["", "whsec_", "whsec_!!!not base64!!!"] {
            #expect(throws: WebhookVerificationError.invalidSecret) { try WebhookSecret(text) }
        }
    }

    @Test func generatedSecretsAreUsableAndNeverPrinted() throws {
        let text = WebhookSecret.generate()
        #expect(text.hasPrefix("whsec_"))
        let secret = try WebhookSecret(text)
        #expect(!"\(secret)".contains(text.dropFirst(6)))
        let body = Data("{}".utf8)
        let signature = WebhookSigner(secret: secret).signature(id: "msg_1", timestamp: 1_000, body: body)
        try WebhookVerifier(secret: secret).verify(
            id: "msg_1", timestamp: "1000", signatureHeader: signature, body: body,
            now: Date(timeIntervalSince1970: 1_000))
    }
}
