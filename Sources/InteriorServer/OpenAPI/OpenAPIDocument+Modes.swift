import Foundation

extension OpenAPIDocument {
    /// The document as an instance serves it: operations marked `x-interior-dev-only` exist only
    /// in dev auth mode, so elsewhere they are left out (a client, or a fuzzer, that reads the
    /// document finds exactly the routes that answer).
    static func served(devAuth: Bool) -> Data {
        let full = Data(json.utf8)
        guard !devAuth else { return full }
        guard var root = try? JSONSerialization.jsonObject(with: full) as? [String: Any],
              var paths = root["paths"] as? [String: Any] else {
            preconditionFailure("the OpenAPI document is not a JSON object with paths (OpenAPITests would say so)")
        }
        for (path, value) in paths {
            guard var item = value as? [String: Any] else { continue }
            for (method, operation) in item where (operation as? [String: Any])?["x-interior-dev-only"] as? Bool == true {
                item[method] = nil
            }
            paths[path] = item.keys.contains(where: methods.contains) ? item : nil
        }
        root["paths"] = paths
        guard let data = try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            preconditionFailure("the OpenAPI document cannot be written back")
        }
        return data
    }

    static let methods: Set = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
}
