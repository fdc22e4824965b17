import Foundation
import Testing
@testable import Storage

@Suite("Object paths and bucket names")
struct ObjectPathTests {
    static let acceptedPaths = [
        "a",
        "renders/3f2a/0.webp",
        "renders/3f2a/0_thumb.webp",
        "9b1c/inputs/5d0e.jpg",
        "with space/and+plus (1).png",
        "ünïcödé/文件/🙂.png",
        ".hidden/...three/a..b",
        String(repeating: "a", count: 250),
        Array(repeating: String(repeating: "b", count: 100), count: 10).joined(separator: "/"),
    ]

    /// Each hostile path and the rule that refuses it.
    static let hostilePaths: [(path: String, rule: String)] = [
        ("", "empty"),
        ("..", "'..'"),
        ("../x", "'..'"),
        ("a/../../b", "'..'"),
        ("a/..", "'..'"),
        ("./a", "'.'"),
        ("a/./b", "'.'"),
        ("/etc/passwd", "relative"),
        ("/", "relative"),
        ("a//b", "empty segments"),
        ("a/", "empty segments"),
        ("a\\b", "backslash"),
        ("..\\..\\windows", "backslash"),
        ("%2e%2e/x", "'%'"),
        ("a/%2F/b", "'%'"),
        ("a\u{0}b", "control"),
        ("a\nb", "control"),
        ("a\rb", "control"),
        ("a\tb", "control"),
        ("a\u{1B}[31mred", "control"),
        ("a\u{7F}", "control"),
        ("a\u{85}b", "control"),
        ("a\u{2028}b", "control"),
        (String(repeating: "a", count: 251), "segment"),
        (Array(repeating: String(repeating: "c", count: 200), count: 6).joined(separator: "/"), "1024 bytes"),
        (String(repeating: "é/", count: 400) + "x", "1024 bytes"),
    ]

    @Test("ordinary paths pass", arguments: acceptedPaths)
    func acceptsOrdinaryPaths(path: String) throws {
        try ObjectPath.validate(path)
    }

    @Test("hostile paths are refused, naming the rule", arguments: hostilePaths)
    func refusesHostilePaths(path: String, rule: String) {
        let reason = storageErrorSync { try ObjectPath.validate(path) }?.invalidPathReason
        #expect(reason?.contains(rule) == true, "\(String(describing: reason))")
    }

    @Test("bucket names follow [a-z0-9][a-z0-9.-]{1,62}",
          arguments: ["public", "private", "ab", "a1", "0-renders", "my.bucket-2", String(repeating: "b", count: 63)])
    func acceptsBucketNames(bucket: String) throws {
        try ObjectPath.validateBucket(bucket)
    }

    @Test("other bucket names are refused",
          arguments: ["", "a", "Public", ".meta", "-x", "a_b", "a/b", "..", "a b", "büket", "a\u{0}b",
                      String(repeating: "b", count: 64)])
    func refusesBucketNames(bucket: String) {
        #expect(storageErrorSync { try ObjectPath.validateBucket(bucket) }?.isInvalidBucket == true)
    }

    @Test("URI encoding keeps only unreserved characters and slashes")
    func encodesPaths() {
        #expect(URIEncoding.encodePath("a b/ü+&?#%/~x_-.") == "a%20b/%C3%BC%2B%26%3F%23%25/~x_-.")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
    }
}
