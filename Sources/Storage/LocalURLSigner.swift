import Crypto
import Foundation

/// Signs and verifies the tokens of the local backend's signed URLs
/// (`/storage/v1/object/sign/{bucket}/{path}?token=...`).
///
/// A token is `v1.{expiry}.{signature}`: the expiry in Unix seconds and an HMAC-SHA256, in
/// unpadded base64url, over the version, bucket, path and expiry. Bucket and path are not in
/// the token; the verifier takes them from the request, so a token moved to another object, or
/// given another expiry, no longer matches its signature.
public struct LocalURLSigner: Sendable {
    private let key: SymmetricKey

    /// - Parameter secret: `STORAGE_SIGNING_SECRET`; its UTF-8 bytes are the HMAC key.
    public init(secret: String) {
        self.key = SymmetricKey(data: Data(secret.utf8))
    }

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// A signer with a fresh 256-bit key: tokens it issues die with the process. For
    /// development when no `STORAGE_SIGNING_SECRET` is configured.
    public static func random() -> LocalURLSigner {
        LocalURLSigner(key: SymmetricKey(size: .bits256))
    }

    public func token(bucket: String, path: String, expiresAt: Date) -> String {
        let expiry = Self.unixSeconds(expiresAt)
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(bucket: bucket, path: path, expiry: expiry), using: key)
        return "\(Self.version).\(expiry).\(Base64URL.encode(Data(mac)))"
    }

    /// Succeeds when `token` was issued by this key for exactly this bucket and path and has
    /// not expired at `now`. The signature is checked first, so an altered expiry is reported
    /// as tampering, never as expiry.
    public func verify(token: String, bucket: String, path: String, now: Date) throws(StorageError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.version,
              parts[1].count <= 12, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let expiry = Int(parts[1]), String(expiry) == parts[1],
              let signature = Base64URL.decode(parts[2])
        else {
            throw .signedURL(.malformed)
        }
        let message = Self.message(bucket: bucket, path: path, expiry: expiry)
        // Constant-time comparison, so response timing says nothing about how close a guess was.
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: key) else {
            throw .signedURL(.tampered)
        }
        guard Double(expiry) > now.timeIntervalSince1970 else {
            throw .signedURL(.expired)
        }
    }

    private static let version = "v1"

    private static func unixSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// Length-prefixed fields, so no choice of bucket and path can produce another pair's
    /// message, whatever characters they contain.
    private static func message(bucket: String, path: String, expiry: Int) -> Data {
        Data("interior-storage-url/\(version)\n\(bucket.utf8.count):\(bucket)\n\(path.utf8.count):\(path)\n\(expiry)".utf8)
    }
}

enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> Data? {
        guard !text.isEmpty, text.utf8.allSatisfy({ byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
