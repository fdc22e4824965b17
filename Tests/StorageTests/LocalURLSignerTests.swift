import Foundation
import Testing
@testable import Storage

@Suite("Local signed-URL tokens")
struct LocalURLSignerTests {
    let signer = LocalURLSigner(secret: "test-signing-secret-0123456789")
    let issuedAt = Date(timeIntervalSince1970: 1_768_469_400)   // 2026-01-15T09:30:00Z
    var expiresAt: Date { issuedAt.addingTimeInterval(600) }

    func failure(_ token: String, bucket: String = "private", path: String = "u1/inputs/a.jpg",
                 now: Date? = nil) -> SignedURLFailure? {
        do {
            try signer.verify(token: token, bucket: bucket, path: path, now: now ?? issuedAt)
            return nil
        } catch {
            guard case let .signedURL(failure) = error else {
                Issue.record("unexpected error \(error)")
                return nil
            }
            return failure
        }
    }

    var token: String { signer.token(bucket: "private", path: "u1/inputs/a.jpg", expiresAt: expiresAt) }

    @Test("a fresh token verifies for its own bucket and path until just before expiry")
    func validTokenVerifies() {
        #expect(failure(token) == nil)
        #expect(failure(token, now: expiresAt.addingTimeInterval(-1)) == nil)
    }

    @Test("the token has the documented shape: v1, expiry in Unix seconds, base64url signature")
    func tokenShape() {
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts[0] == "v1")
        #expect(parts[1] == "1768470000")
        #expect(parts[2].count == 43)   // 32 bytes, unpadded base64url
        #expect(parts[2].allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test("at and after the expiry the token is expired, not tampered")
    func expiredWithInjectedClock() {
        #expect(failure(token, now: expiresAt) == .expired)
        #expect(failure(token, now: expiresAt.addingTimeInterval(86_400)) == .expired)
    }

    @Test("a token moved to another bucket or path is tampered")
    func splicedToOtherObject() {
        #expect(failure(token, bucket: "public") == .tampered)
        #expect(failure(token, path: "u1/inputs/b.jpg") == .tampered)
        #expect(failure(token, path: "u2/inputs/a.jpg") == .tampered)
        #expect(failure(token, path: "u1/inputs/a.jpg/x") == .tampered)
    }

    @Test("the boundary between bucket and path is part of what is signed")
    func bucketPathBoundary() {
        let token = signer.token(bucket: "pub", path: "lic/x.webp", expiresAt: expiresAt)
        #expect(failure(token, bucket: "pub", path: "lic/x.webp") == nil)
        #expect(failure(token, bucket: "public", path: "x.webp") == .tampered)
    }

    @Test("a changed expiry is tampering, later or earlier, even when the new expiry has passed")
    func changedExpiry() {
        let parts = token.split(separator: ".").map(String.init)
        for expiry in ["1768470001", "1768469999", "9999999999", "1"] {
            #expect(failure([parts[0], expiry, parts[2]].joined(separator: ".")) == .tampered)
        }
    }

    @Test("an altered signature is tampered")
    func alteredSignature() {
        var characters = Array(token)
        let last = characters.count - 2
        characters[last] = characters[last] == "A" ? "B" : "A"
        #expect(failure(String(characters)) == .tampered)
        let parts = token.split(separator: ".").map(String.init)
        #expect(failure("\(parts[0]).\(parts[1]).\(String(parts[2].prefix(20)))") == .tampered)
    }

    @Test("a token signed with another secret is tampered")
    func otherSecret() {
        let other = LocalURLSigner(secret: "another-secret")
        let forged = other.token(bucket: "private", path: "u1/inputs/a.jpg", expiresAt: expiresAt)
        #expect(failure(forged) == .tampered)
        #expect(failure(LocalURLSigner.random().token(bucket: "private", path: "u1/inputs/a.jpg", expiresAt: expiresAt)) == .tampered)
    }

    @Test("tokens that are not ours are malformed",
          arguments: ["", "v1", "v1.1768470000", "v2.1768470000.abc", "v1.abc.def", "v1.-5.def", "v1.+5.def",
                      "v1.01768470000.def", "v1.1768470000.", "v1.1768470000.a+b/c=", "v1.1768470000.abc.def",
                      "v1.99999999999999999999.abc"])
    func malformedTokens(token: String) {
        #expect(failure(token) == .malformed)
    }
}
