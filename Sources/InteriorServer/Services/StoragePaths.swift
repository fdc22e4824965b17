import Crypto
import Foundation
import Imaging

/// The object paths of SPEC §5, in one place.
enum StoragePaths {
    /// `{ownerId}/inputs/{uuid}.{jpg,png,webp}` in the private bucket.
    static func upload(owner: UUID, id: UUID, format: ImageFormat) -> String {
        "\(owner.apiString)/inputs/\(id.apiString).\(format.fileExtension)"
    }

    /// Whether `path` is an upload of `owner` (and nothing else: no other prefixes, no tricks).
    static func isUpload(_ path: String, of owner: UUID) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == owner.apiString, parts[1] == "inputs" else { return false }
        let file = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        return file.count == 2 && UUID(uuidString: String(file[0])) != nil && ["jpg", "png", "webp"].contains(file[1])
    }

    /// `renders/{renderId}/{idx}.webp` in the public bucket.
    static func output(render: UUID, index: Int) -> String {
        "renders/\(render.apiString)/\(index).webp"
    }

    /// `renders/{renderId}/{idx}_thumb.webp` in the public bucket.
    static func thumbnail(render: UUID, index: Int) -> String {
        "renders/\(render.apiString)/\(index)_thumb.webp"
    }

    /// The render id of a job: a name-based UUID (v5) of the job id, so processing the same
    /// success twice writes the same objects rather than leaving orphans.
    static func renderId(job: UUID) -> UUID {
        uuidV5(namespace: renderNamespace, name: job.apiString)
    }

    private static let renderNamespace = UUID(uuidString: "4f1c2b7e-93a5-5d0e-8c61-2a7d9e3b5f10")!

    /// RFC 9562 §5.5: SHA-1 of namespace bytes + name, version 5, variant 10.
    static func uuidV5(namespace: UUID, name: String) -> UUID {
        var data = withUnsafeBytes(of: namespace.uuid) { Data($0) }
        data.append(contentsOf: Array(name.utf8))
        var bytes = Array(Insecure.SHA1.hash(data: data).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
