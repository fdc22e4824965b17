import Foundation

/// Where an S3-compatible store lives and how to sign for it. Its descriptions never show the
/// secret access key (nor the whole access key id).
public struct S3Configuration: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The service's base URL; objects are addressed path-style as `{endpoint}/{bucket}/{path}`.
    /// May carry a path (Supabase: `https://<project>.supabase.co/storage/v1/s3`).
    public var endpoint: URL
    public var region: String
    public var accessKeyId: String
    public var secretAccessKey: String
    /// `PUBLIC_ASSET_BASE_URL`: where public objects are served, as `{base}/{bucket}/{path}`.
    public var publicAssetBaseURL: URL?

    public init(endpoint: URL, region: String, accessKeyId: String, secretAccessKey: String, publicAssetBaseURL: URL? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.publicAssetBaseURL = publicAssetBaseURL
    }

    /// Reads `STORAGE_URL=s3://?endpoint=https://...&region=...` and, from `environment`,
    /// `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY` and the optional `PUBLIC_ASSET_BASE_URL`.
    /// Query values may be percent-encoded. Errors name the key at fault.
    public static func parse(storageURL: String, environment: [String: String]) throws(ConfigProblem) -> S3Configuration {
        let key = "STORAGE_URL"
        guard storageURL.hasPrefix("s3://") else {
            throw ConfigProblem(key, "an s3 storage URL starts with s3://")
        }
        let rest = storageURL.dropFirst("s3://".count)
        let authority = rest.prefix { $0 != "?" }
        guard authority.isEmpty || authority == "/" else {
            throw ConfigProblem(key, "s3 settings go in the query: s3://?endpoint=https://...&region=...")
        }
        var parameters: [String: String] = [:]
        if let questionMark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: questionMark)...].split(separator: "&") {
                let name = String(pair.prefix { $0 != "=" })
                let rawValue = pair.count > name.count ? String(pair.dropFirst(name.count + 1)) : ""
                guard ["endpoint", "region"].contains(name) else {
                    throw ConfigProblem(key, "unknown s3 parameter \"\(name)\" (expected endpoint and region)")
                }
                guard parameters[name] == nil else { throw ConfigProblem(key, "s3 \(name) given twice") }
                guard let value = rawValue.removingPercentEncoding else {
                    throw ConfigProblem(key, "s3 \(name) is not correctly percent-encoded")
                }
                parameters[name] = value
            }
        }

        guard let endpointText = parameters["endpoint"], !endpointText.isEmpty else {
            throw ConfigProblem(key, "s3 endpoint is required (s3://?endpoint=https://...&region=...)")
        }
        let endpoint = try httpURL(endpointText, key: key, what: "s3 endpoint")
        guard let region = parameters["region"], !region.isEmpty else {
            throw ConfigProblem(key, "s3 region is required (e.g. region=ap-southeast-2)")
        }
        guard region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ConfigProblem(key, "s3 region may contain only letters, digits, '-' and '_'")
        }

        guard let accessKeyId = environment["S3_ACCESS_KEY_ID"], !accessKeyId.isEmpty else {
            throw ConfigProblem("S3_ACCESS_KEY_ID", "required for s3 storage")
        }
        guard let secretAccessKey = environment["S3_SECRET_ACCESS_KEY"], !secretAccessKey.isEmpty else {
            throw ConfigProblem("S3_SECRET_ACCESS_KEY", "required for s3 storage")
        }
        var publicAssetBaseURL: URL?
        if let text = environment["PUBLIC_ASSET_BASE_URL"], !text.isEmpty {
            publicAssetBaseURL = try httpURL(text, key: "PUBLIC_ASSET_BASE_URL", what: "the public asset base URL")
        }
        return S3Configuration(endpoint: endpoint, region: region, accessKeyId: accessKeyId,
                               secretAccessKey: secretAccessKey, publicAssetBaseURL: publicAssetBaseURL)
    }

    private static func httpURL(_ text: String, key: String, what: String) throws(ConfigProblem) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw ConfigProblem(key, "\(what) must be http(s)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ConfigProblem(key, "\(what) must name a host")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil, components.password == nil else {
            throw ConfigProblem(key, "\(what) must not carry credentials, a query or a fragment")
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed) else { throw ConfigProblem(key, "\(what) is not a valid URL") }
        return url
    }

    // MARK: Description (never the secret)

    public var description: String {
        var text = "S3Configuration(endpoint: \(endpoint.absoluteString), region: \(region), "
            + "accessKeyId: \(Redaction.keyId(accessKeyId)), secretAccessKey: <redacted>"
        if let publicAssetBaseURL { text += ", publicAssetBaseURL: \(publicAssetBaseURL.absoluteString)" }
        return text + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "endpoint": endpoint.absoluteString, "region": region,
            "accessKeyId": Redaction.keyId(accessKeyId), "secretAccessKey": "<redacted>",
            "publicAssetBaseURL": publicAssetBaseURL?.absoluteString as Any,
        ])
    }
}
