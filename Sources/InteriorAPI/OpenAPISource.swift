/// The text of `openapi.yaml`, the document the types and the server protocol of this module are
/// generated from, embedded at build time so every way of running the server (`swift run`,
/// `swift test`, a release binary copied elsewhere) serves it without a bundle to find.
public enum OpenAPISource {
    public static var yaml: String { String(decoding: PackageResources.openapi_yaml, as: UTF8.self) }
}
