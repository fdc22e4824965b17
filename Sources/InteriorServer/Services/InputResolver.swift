import Crypto
import Foundation
import Imaging
import InteriorCore
import Storage

/// An input image of a submit, checked and ready: either a fresh upload (normalised, still to
/// be stored) or an image already in the owner's private uploads (JSON `input1Url`, retry).
struct InputImage: Sendable {
    enum Source: Sendable {
        case upload(EncodedImage)
        case stored(path: String)
    }

    let slot: String
    let source: Source
    /// What identifies the input in the request fingerprint.
    let digest: String
    /// Its size as Replicate sees it (after normalising), for `match` on models that need a ratio.
    let size: ImageSize
}

/// Turns the files or URLs of a submit into `InputImage`s, refusing anything that is not an
/// image of an accepted type (JPEG, PNG, WebP, HEIC/HEIF, AVIF by default) and sensible size,
/// checked from the bytes, never the client's word, and any URL that is not one of the
/// caller's own uploads in this service's storage. HEIF-family photos are stored as JPEG.
struct InputResolver: Sendable {
    let images: ImageProcessor
    let store: any BlobStore
    let settings: Settings
    /// Hosts whose URLs may name objects of our storage (the app itself, the S3 endpoint).
    let storageHosts: Set<String>

    func resolve(_ form: SubmitForm, owner: UUID, limits: Limits) async throws -> [InputImage] {
        var inputs: [InputImage] = []
        for image in SubmitForm.Image.allCases {
            if let data = form[file: image] {
                inputs.append(try await upload(data, slot: image.rawValue, limits: limits))
            } else if let reference = form[image.urlField] {
                inputs.append(try await stored(reference, slot: image.rawValue, owner: owner, limits: limits))
            }
        }
        return inputs
    }

    /// An input already stored under `path` (retrying a job); nil if it is gone.
    func stored(path: String, slot: String, limits: Limits) async throws -> InputImage? {
        do {
            let object = try await store.get(bucket: settings.privateBucket, path: path)
            let info = try images.probe(object.data, maxPixels: limits.maxPixels)
            return InputImage(slot: slot, source: .stored(path: path), digest: "stored:\(path)",
                              size: ImageSize(width: info.width, height: info.height))
        } catch StorageError.notFound {
            return nil
        } catch is ImagingError {
            return nil
        }
    }

    // MARK: Uploads

    private func upload(_ data: Data, slot: String, limits: Limits) async throws -> InputImage {
        // The type is the bytes' claim, checked before anything is decoded; a file of an
        // accepted type that cannot be read is damaged (400), anything else is 415.
        guard let claimed = ImageProcessor.sniff(data), acceptedFormats(limits).contains(claimed) else {
            throw unsupported(slot, limits)
        }
        let info: ImageInfo
        do {
            info = try images.probe(data, maxPixels: limits.maxPixels)
        } catch .tooManyPixels {
            throw APIError.validation(field: slot, "\(slot) is larger than \(limits.maxMegapixels) megapixels.")
        } catch .damagedImage {
            throw Self.damaged(slot)
        } catch {
            throw unsupported(slot, limits)
        }
        guard min(info.width, info.height) >= limits.minShortEdge else {
            throw APIError.validation(field: slot, "\(slot) is too small: the short edge must be at least \(limits.minShortEdge) px.")
        }
        let normalised: EncodedImage
        do {
            normalised = try await images.normaliseUpload(data, maxPixels: limits.maxPixels)
        } catch {
            throw Self.damaged(slot)
        }
        return InputImage(slot: slot, source: .upload(normalised), digest: "sha256:" + Self.sha256(data),
                          size: ImageSize(width: normalised.width, height: normalised.height))
    }

    /// The upload formats this instance takes: those configured that its libvips decodes
    /// (what `GET /config` offers and a 415 names).
    func acceptedFormats(_ limits: Limits) -> [ImageFormat] {
        limits.acceptedMimeTypes.compactMap(ImageFormat.init(mimeType:)).filter(images.capabilities.supports)
    }

    private func unsupported(_ slot: String, _ limits: Limits) -> APIError {
        APIError(.unsupportedMediaType, "\(slot) must be a \(ImageFormat.listed(acceptedFormats(limits))) image.", details: ["field": slot])
    }

    private static func damaged(_ slot: String) -> APIError {
        APIError.validation(field: slot, "\(slot) could not be read as an image; it may be damaged.")
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: References to stored uploads

    private func stored(_ reference: String, slot: String, owner: UUID, limits: Limits) async throws -> InputImage {
        let field = "\(slot)Url"
        let refused = APIError.validation(field: field, "\(field) must be one of your uploads in this service's storage.")
        guard reference.utf8.count <= 2048, let path = uploadPath(in: reference), StoragePaths.isUpload(path, of: owner) else {
            throw refused
        }
        guard let input = try await stored(path: path, slot: slot, limits: limits) else { throw refused }
        return input
    }

    /// The private-bucket path a reference names: a bare path (`{owner}/inputs/{file}`), or a
    /// URL on one of our storage hosts whose path ends in `/{privateBucket}/{owner}/inputs/{file}`
    /// (a signed URL this service issued; its query is not needed, we read with our own keys).
    private func uploadPath(in reference: String) -> String? {
        guard reference.contains("://") else { return reference }
        guard let components = URLComponents(string: reference), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host?.lowercased(),
              storageHosts.contains(host) else { return nil }
        let segments = components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count >= 4, segments[segments.count - 4] == settings.privateBucket else { return nil }
        let tail = segments.suffix(3)
        guard tail.allSatisfy({ $0.removingPercentEncoding == $0 }) else { return nil }
        return tail.joined(separator: "/")
    }
}
