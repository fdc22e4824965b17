import Testing
@testable import InteriorCore

@Suite("Failure message")
struct FailureMessageTests {
    @Test("a missing, empty or contentless error becomes the generic message")
    func neverEmpty() {
        for raw in [nil, "", "   ", "\n\n", "...", "https://example.com/x", "r8_abcdefghijklmnopqrstuvwxyz0123456789", "--- 500 ---"] as [String?] {
            #expect(FailureMessage.normalise(raw) == FailureMessage.fallback, "\(String(describing: raw))")
        }
    }

    @Test("an ordinary message passes through unchanged")
    func ordinaryMessageUnchanged() {
        let message = "E005: The input or output was flagged as sensitive. Please try again with different inputs."
        #expect(FailureMessage.normalise(message) == message)
        #expect(FailureMessage.normalise("Invalid token.") == "Invalid token.")
        #expect(FailureMessage.normalise("Token limit exceeded for this request") == "Token limit exceeded for this request")
    }

    @Test("URLs are removed")
    func urlsRemoved() {
        let raw = "Failed to download https://replicate.delivery/pbxt/abc/input.png?X-Amz-Signature=deadbeef and www.example.com/file (see http://docs.example.com)"
        let message = FailureMessage.normalise(raw)
        #expect(!message.contains("http"))
        #expect(!message.contains("replicate.delivery"))
        #expect(!message.contains("www."))
        #expect(!message.contains("deadbeef"))
        #expect(message.hasPrefix("Failed to download [link] and [link]"))
    }

    @Test("secrets and tokens are removed", arguments: [
        ("Unauthenticated: r8_Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv was rejected", "r8_Ab12"),
        ("Incorrect API key provided: sk-proj-abcDEF123456ghiJKL789. You can find your key", "sk-proj"),
        ("Incorrect API key provided: sk-abc123def456. Check it", "sk-abc"),
        ("webhook secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw is invalid", "whsec_"),
        ("header Authorization: Bearer abc.def-123_ghi was refused", "abc.def"),
        ("sent bearer r8_secretvalue1234 upstream", "secretvalue"),
        ("token=0123abcd4567 expired", "0123abcd"),
        ("api_key: 'AIzaSyA-1234567890abcdef'", "AIzaSy"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U rejected", "eyJ"),
        ("checksum 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 mismatch", "9f86d0"),
        ("credential QUtJQUlPU0ZPRE5ON0VYQU1QTEUvd0phbHJYVXRuRkVNSQ== refused", "QUtJQU"),
        ("aws AKIAIOSFODNN7EXAMPLE denied", "AKIAIOSF"),
    ])
    func secretsRemoved(raw: String, secretFragment: String) {
        let message = FailureMessage.normalise(raw)
        #expect(!message.contains(secretFragment), "\(message)")
        #expect(message.contains("[redacted]"), "\(message)")
    }

    @Test("a Python traceback becomes its exception line")
    func pythonTraceback() {
        let raw = """
            Traceback (most recent call last):
              File "/src/predict.py", line 42, in predict
                output = model(input)
              File "/src/model.py", line 7, in __call__
                raise ValueError("Image too small: 64x64")
            ValueError: Image too small: 64x64
            """
        #expect(FailureMessage.normalise(raw) == "ValueError: Image too small: 64x64")
    }

    @Test("a message before a traceback wins over the traceback")
    func messageBeforeTraceback() {
        let raw = "Prediction failed: out of memory\nTraceback (most recent call last):\n  File \"x.py\", line 1\nRuntimeError: CUDA out of memory"
        #expect(FailureMessage.normalise(raw) == "Prediction failed: out of memory")
    }

    @Test("stack frames are skipped for the first meaningful line")
    func stackFramesSkipped() {
        let node = "\n   at Object.<anonymous> (/app/index.js:10:5)\n   at Module._compile (node:internal)\nTypeError: x is undefined"
        #expect(FailureMessage.normalise(node) == "TypeError: x is undefined")
        let gdb = "#0 0x00007f3a in main ()\n#1 0x00007f3b in start ()\nSegmentation fault in worker"
        #expect(FailureMessage.normalise(gdb) == "Segmentation fault in worker")
        let multi = "Model timed out\nat step 3\ndetails: more"
        #expect(FailureMessage.normalise(multi) == "Model timed out")
    }

    @Test("control characters are removed and whitespace collapsed")
    func controlCharacters() {
        #expect(FailureMessage.normalise("  Bad\u{0007}   input\t\timage \u{001B}[31m ") == "Bad input image [31m")
    }

    @Test("a long message is cut to at most 500 characters on a word boundary")
    func lengthCapped() {
        let raw = String(repeating: "The upstream service reported a problem. ", count: 40)
        let message = FailureMessage.normalise(raw)
        #expect(message.count <= FailureMessage.maxLength)
        #expect(message.count > 400)
        #expect(message.hasSuffix("…"))
        #expect(!message.dropLast().hasSuffix(" "))
        let unbroken = String(repeating: "x", count: 2000)
        #expect(FailureMessage.normalise(unbroken).count == FailureMessage.maxLength)
    }

    @Test("an enormous error body is handled without reading all of it")
    func hugeBody() {
        let raw = "Out of memory while decoding\n" + String(repeating: "log line\n", count: 200_000)
        #expect(FailureMessage.normalise(raw) == "Out of memory while decoding")
    }
}
