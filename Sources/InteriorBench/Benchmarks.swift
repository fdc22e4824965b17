import CVipsShim
import Crypto
import Foundation
import Imaging
import InteriorCore
import Replicate
import Storage

/// One of our operations and a reference measured on the same input in the same run.
struct Benchmark: Sendable {
    let name: String
    /// One line: what the reference is, so the ratio can be read.
    let reference: String
    /// Builds the input, checks that our operation gives the right answer, and returns both
    /// sides ready to time.
    let prepare: @Sendable (Context) async throws -> Prepared
}

struct Prepared: Sendable {
    /// One line: the input both sides get.
    let input: String
    let ours: Operation
    let reference: Operation
}

/// What every benchmark may use: one image processor (as the server shares one), the
/// shared inputs, and a scratch directory removed at the end of the run.
struct Context: Sendable {
    let processor: ImageProcessor
    let fixtures: Fixtures
    let scratch: URL
}

enum Benchmarks {
    static let maxPixels = ImageProcessor.defaultMaxPixels
    static let tier = 1024

    static let all: [Benchmark] = [
        renderOutput("imaging.render.png-2048", input: { try await $0.modelOutputPNG() }),
        renderOutput("imaging.render.jpeg-2048", input: { try await $0.modelOutputJPEG() }),
        normaliseUpload,
        probe("imaging.probe.png-2048", input: { try await $0.modelOutputPNG() }, refusal: false),
        probe("imaging.probe.bomb-30000", input: { _ in Synthetic.pngBomb(width: 30_000, height: 30_000, bodyBytes: 2_600_000) },
              refusal: true),
        limiter,
        moderation,
        webhookVerification,
        sigV4,
        localBlobStore,
    ]

    // MARK: - Imaging

    static func renderOutput(_ name: String, input: @escaping @Sendable (Fixtures) async throws -> Data) -> Benchmark {
        Benchmark(
            name: name,
            reference: "libvips decode fitted to \(tier) px + one WebP q\(ImageProcessor.renderQuality) encode, on the calling thread"
        ) { context in
            let data = try await input(context.fixtures)
            let processor = context.processor
            let rendered = try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels)
            try expect(max(rendered.image.width, rendered.image.height) == tier, "\(name): the render is not \(tier) px")
            try expect(max(rendered.thumbnail.width, rendered.thumbnail.height) == ImageProcessor.thumbnailLongEdge,
                       "\(name): the thumbnail is not \(ImageProcessor.thumbnailLongEdge) px")
            return Prepared(
                input: describe(data) + "; out: \(tier) px WebP + \(ImageProcessor.thumbnailLongEdge) px thumbnail",
                ours: .async { blackHole(try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels)) },
                reference: .sync {
                    blackHole(try Bare.fitAndEncode(data, longEdge: tier, format: CVIPS_SAVE_WEBP, quality: ImageProcessor.renderQuality))
                }
            )
        }
    }

    static let normaliseUpload = Benchmark(
        name: "imaging.normalise.jpeg-4000x3000-exif",
        reference: "the same photo without its EXIF tag: libvips decode fitted to 2048 px + one JPEG q\(ImageProcessor.uploadQuality) encode"
    ) { context in
        let tagged = try await context.fixtures.photoJPEGRotated()
        let plain = try await context.fixtures.photoJPEG()
        let processor = context.processor
        let normalised = try await processor.normaliseUpload(tagged, maxPixels: maxPixels)
        // Orientation 6 turns the 4000×3000 landscape into a 1536×2048 portrait.
        try expect(normalised.width == 1536 && normalised.height == 2048,
                   "normalise: expected 1536×2048 upright, got \(normalised.width)×\(normalised.height)")
        return Prepared(
            input: describe(tagged) + ", EXIF Orientation 6; out: 1536×2048 JPEG",
            ours: .async { blackHole(try await processor.normaliseUpload(tagged, maxPixels: maxPixels)) },
            reference: .sync {
                blackHole(try Bare.fitAndEncode(plain, longEdge: 2048, format: CVIPS_SAVE_JPEG, quality: ImageProcessor.uploadQuality))
            }
        )
    }

    static func probe(_ name: String, input: @escaping @Sendable (Fixtures) async throws -> Data, refusal: Bool) -> Benchmark {
        Benchmark(name: name, reference: "memcpy of the file's bytes into a preallocated buffer (reading it once)") { context in
            let data = try await input(context.fixtures)
            let probe: @Sendable () throws -> Void = {
                do {
                    blackHole(try ImageProcessor.probe(data, maxPixels: maxPixels))
                    if refusal { throw BenchFailure("\(name): the header was not refused") }
                } catch ImagingError.tooManyPixels where refusal {
                    return
                }
            }
            try probe()
            // Allocated once so the reference times the copy, not the allocation; kept until exit.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 16)
            let destination = SendablePointer(copy)
            return Prepared(
                input: describe(data) + (refusal ? " (refused: over \(maxPixels / 1_000_000) MP)" : ""),
                ours: .sync(probe),
                reference: .sync {
                    data.withUnsafeBytes { source in destination.buffer.copyMemory(from: source) }
                    blackHole(destination.buffer.baseAddress)
                }
            )
        }
    }

    static let limiter = Benchmark(
        name: "imaging.limiter.concurrent-renders",
        reference: "the same renders (2048 JPEG to \(tier) px) one after another; below 1 is the speed-up from running them at once"
    ) { context in
        let data = try await context.fixtures.modelOutputJPEG()
        let processor = context.processor
        // Twice the permits, so some renders wait in the limiter's queue.
        let count = 2 * processor.maxConcurrentJobs
        return Prepared(
            input: "\(count) renders at once, \(processor.maxConcurrentJobs) permits; each of a " + describe(data),
            ours: .async {
                try await withThrowingTaskGroup(of: RenderedOutput.self) { group in
                    for _ in 0..<count {
                        group.addTask { try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels) }
                    }
                    for try await rendered in group { blackHole(rendered) }
                }
            },
            reference: .async {
                for _ in 0..<count { blackHole(try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels)) }
            }
        )
    }

    // MARK: - Moderation

    static let moderation = Benchmark(
        name: "core.moderation.prompt-1000",
        reference: "lowercased() + String.contains for each of the \(Moderation.listedTerms.count) listed terms (no folding or word boundaries)"
    ) { _ in
        let prompt = Prompts.livingRoom
        let terms = Moderation.listedTerms.map { $0.lowercased() }
        try expect(Moderation.check(prompt) == .allowed, "moderation: the benchmark prompt was refused")
        try expect(Moderation.check(prompt + " with a sex toy on the shelf") != .allowed,
                   "moderation: a listed phrase was allowed")
        return Prepared(
            input: "a \(prompt.count)-character living-room brief (allowed)",
            ours: .sync { blackHole(Moderation.check(prompt)) },
            reference: .sync {
                let lowered = prompt.lowercased()
                var hits = 0
                for term in terms where lowered.contains(term) { hits += 1 }
                blackHole(hits)
            }
        )
    }

    // MARK: - Webhooks

    static let webhookVerification = Benchmark(
        name: "replicate.webhook.verify-4k",
        reference: "one HMAC-SHA256 (swift-crypto) over the same 4 KB body"
    ) { _ in
        let keyBytes = Data((0..<24).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let secret = try WebhookSecret("whsec_" + keyBytes.base64EncodedString())
        let body = Prompts.webhookBody(bytes: 4096)
        let id = "msg_2mV7cXb1pQ9sLk3Rz8TyWn4Hd0J"
        let sentAt = 1_767_225_600
        let now = Date(timeIntervalSince1970: TimeInterval(sentAt + 2))
        let header = WebhookSigner(secret: secret).signature(id: id, timestamp: sentAt, body: body)
        let verifier = WebhookVerifier(secret: secret)
        try verifier.verify(id: id, timestamp: String(sentAt), signatureHeader: header, body: body, now: now)
        do {
            try verifier.verify(id: id, timestamp: String(sentAt), signatureHeader: header, body: body + Data(" ".utf8), now: now)
            throw BenchFailure("webhook: a changed body was accepted")
        } catch WebhookVerificationError.noMatchingSignature {}
        let key = SymmetricKey(data: keyBytes)
        return Prepared(
            input: "a \(body.count)-byte prediction JSON with its three Standard Webhooks headers",
            ours: .sync { try verifier.verify(id: id, timestamp: String(sentAt), signatureHeader: header, body: body, now: now) },
            reference: .sync { blackHole(HMAC<SHA256>.authenticationCode(for: body, using: key)) }
        )
    }

    // MARK: - Storage

    static let sigV4 = Benchmark(
        name: "storage.sigv4.sign-put",
        reference: "SHA-256 of a canonical request of the same length + the 5-HMAC key and signature chain, hex out"
    ) { _ in
        let secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let signer = SigV4Signer(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secretKey, region: "ap-southeast-2")
        let host = "interior-media.s3.ap-southeast-2.amazonaws.com"
        let path = "/renders/renders/5b0f3a52-8c1e-4d7e-9a61-2f4c8e0d7b13/0/1024.webp"
        let payloadHash = SigV4Signer.payloadHash(Data(count: 300_000))
        let date = Date(timeIntervalSince1970: 1_767_225_600)
        let headers: [SigV4Signer.Field] = [("content-type", "image/webp")]
        let signed = signer.sign(method: "PUT", host: host, path: path, headers: headers, payloadHash: payloadHash, date: date)
        try expect(signed.last?.name == "authorization" && signed.last?.value.hasPrefix("AWS4-HMAC-SHA256 Credential=") == true,
                   "sigv4: no authorization header")

        // The reference's input is built once: what SigV4 hashes and MACs, minus the work of
        // building it.
        let canonicalRequest = Data([
            "PUT", path, "", "content-type:image/webp\nhost:\(host)\nx-amz-content-sha256:\(payloadHash)\nx-amz-date:20260101T000000Z\n",
            "content-type;host;x-amz-content-sha256;x-amz-date", payloadHash,
        ].joined(separator: "\n").utf8)
        let scopeParts = ["20260101", "ap-southeast-2", "s3", "aws4_request"].map { Data($0.utf8) }
        let stringToSignPrefix = Data("AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/ap-southeast-2/s3/aws4_request\n".utf8)
        let rootKey = SymmetricKey(data: Data("AWS4\(secretKey)".utf8))
        return Prepared(
            input: "PUT of a 300 KB WebP (payload hash given), content-type + the 3 SigV4 headers signed",
            ours: .sync { blackHole(signer.sign(method: "PUT", host: host, path: path, headers: headers, payloadHash: payloadHash, date: date)) },
            reference: .sync {
                let requestHash = Data(SHA256.hash(data: canonicalRequest))
                var key = rootKey
                for part in scopeParts {
                    key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: part, using: key)))
                }
                let signature = HMAC<SHA256>.authenticationCode(for: stringToSignPrefix + Hex.encode(requestHash), using: key)
                blackHole(Hex.encode(Data(signature)))
            }
        )
    }

    static let localBlobStore = Benchmark(
        name: "storage.local.put-get-300k",
        reference: "Data.write(options: .atomic) (temporary file, one fsync, rename) + Data(contentsOf:), same bytes, same directory"
    ) { context in
        let root = context.scratch.appendingPathComponent("blobs", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let store = LocalBlobStore(root: root, urlSigner: .random(), publicBaseURL: URL(string: "http://127.0.0.1:8080")!)
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) })
        let bucket = "renders", path = "renders/5b0f3a52/0/1024.webp"
        try await store.put(bucket: bucket, path: path, data: bytes, contentType: "image/webp")
        try expect(try await store.get(bucket: bucket, path: path).data == bytes, "local store: read back different bytes")
        let plainFile = root.appendingPathComponent("plain-copy.webp")
        return Prepared(
            input: "a \(bytes.count / 1000) KB object, the same path each time (overwritten)",
            ours: .async {
                try await store.put(bucket: bucket, path: path, data: bytes, contentType: "image/webp")
                blackHole(try await store.get(bucket: bucket, path: path))
            },
            reference: .sync {
                try bytes.write(to: plainFile, options: .atomic)
                blackHole(try Data(contentsOf: plainFile))
            }
        )
    }

    // MARK: - Helpers

    /// "2048×2048 PNG, 5.91 MB"
    static func describe(_ image: Data) -> String {
        let megabytes = String(format: "%.2f MB", Double(image.count) / 1_000_000)
        guard let info = try? ImageProcessor.probe(image, maxPixels: .max) else { return megabytes }
        return "\(info.width)×\(info.height) \(info.format.rawValue.uppercased()), \(megabytes)"
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw BenchFailure(message()) }
    }
}

/// A scratch buffer written only by the one benchmark that owns it, one call at a time.
struct SendablePointer: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }
}

/// The lowest-level libvips path the imaging module itself uses: shrink-on-load decode
/// (orientation and ICC handled by libvips) and one encode, nothing else.
enum Bare {
    static func fitAndEncode(_ data: Data, longEdge: Int, format: cvips_save_format, quality: Int) throws -> Int {
        try data.withUnsafeBytes { raw in
            guard let image = cvips_thumbnail_buffer(raw.baseAddress, raw.count, Int32(longEdge), Int32(longEdge), 0, 0) else {
                cvips_error_clear()
                throw BenchFailure("libvips could not decode the reference input")
            }
            defer { cvips_unref(image) }
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            guard cvips_save(image, Int32(format.rawValue), Int32(quality), &buffer, &length) == 0 else {
                cvips_error_clear()
                throw BenchFailure("libvips could not encode the reference output")
            }
            cvips_free_buffer(buffer)
            return length
        }
    }
}

enum Hex {
    static func encode(_ bytes: Data) -> Data {
        let digits = Array("0123456789abcdef".utf8)
        var out = Data(capacity: bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
