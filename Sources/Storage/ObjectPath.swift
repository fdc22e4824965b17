/// The rules every bucket name and object path must meet before any backend sees them.
///
/// A path is a relative, slash-separated name such as `renders/abc/0.webp`. The rules keep a
/// path from escaping its bucket on a filesystem (`..`, absolute paths, backslashes), from
/// meaning two things to two layers (empty or `.` segments, `%` escapes that some layer may
/// decode), and from smuggling control characters into logs or headers.
public enum ObjectPath {
    /// S3's key limit, in UTF-8 bytes.
    public static let maxPathBytes = 1024
    /// Leaves room under the common 255-byte file-name limit for the local backend's sidecar.
    public static let maxSegmentBytes = 250

    public static func validate(_ path: String) throws(StorageError) {
        if path.isEmpty { throw .invalidPath("must not be empty") }
        if path.utf8.count > maxPathBytes {
            throw .invalidPath("must be at most \(maxPathBytes) bytes")
        }
        for scalar in path.unicodeScalars {
            switch scalar {
            case "\\": throw .invalidPath("must not contain a backslash")
            // Percent-encoding belongs to URLs; a '%' in a path means something encoded it
            // twice, and a later decode could turn "%2e%2e" into "..". The local backend also
            // relies on '%' never appearing in a path to keep its sidecar files unaddressable.
            case "%": throw .invalidPath("must not contain '%' (pass the path decoded)")
            // ASCII's control characters without a Unicode property lookup (the common case;
            // it runs for every URL a status read builds).
            case _ where scalar.isASCII:
                if scalar.value < 0x20 || scalar.value == 0x7F { throw .invalidPath("must not contain control characters") }
            default:
                if scalar.properties.generalCategory == .control
                    || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    throw .invalidPath("must not contain control characters")
                }
            }
        }
        if path.hasPrefix("/") { throw .invalidPath("must be relative (no leading '/')") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch segment {
            case "": throw .invalidPath("must not contain empty segments ('//' or a trailing '/')")
            case ".", "..": throw .invalidPath("must not contain '.' or '..' segments")
            default:
                if segment.utf8.count > maxSegmentBytes {
                    throw .invalidPath("each segment must be at most \(maxSegmentBytes) bytes")
                }
            }
        }
    }

    /// A bucket name is 2–63 characters of `a-z`, `0-9`, `.` and `-`, starting with a letter or
    /// digit (`[a-z0-9][a-z0-9.-]{1,62}`): valid for S3 path-style addressing and safe as a
    /// single directory name.
    public static func validateBucket(_ bucket: String) throws(StorageError) {
        let bytes = Array(bucket.utf8)
        guard (2...63).contains(bytes.count) else {
            throw .invalidBucket("must be 2 to 63 characters")
        }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isLowerAlphanumeric(bytes[0]) else {
            throw .invalidBucket("must start with a lowercase letter or digit")
        }
        guard bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            throw .invalidBucket("may contain only a-z, 0-9, '.' and '-'")
        }
    }

    /// Validates both; what every store method does first.
    static func check(bucket: String, path: String) throws(StorageError) {
        try validateBucket(bucket)
        try validate(path)
    }
}

/// RFC 3986 percent-encoding as S3 and SigV4 expect it: every byte except the unreserved
/// characters `A-Z a-z 0-9 - . _ ~` becomes `%XX` (uppercase hex).
enum URIEncoding {
    static func encode(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%"
                out += hexDigits[Int(byte >> 4)]
                out += hexDigits[Int(byte & 0x0F)]
            }
        }
        return out
    }

    /// Encodes each segment and keeps the slashes between them.
    static func encodePath(_ path: some StringProtocol) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode($0) }.joined(separator: "/")
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
