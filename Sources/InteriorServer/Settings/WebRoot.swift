import Foundation
import InteriorCore

/// Where the try-it page's files are: `WEB_ROOT` when set, else the `Public/` directory that
/// ships with the executable, found from the executable's own location, never from the
/// working directory. A service manager or a container can start the server anywhere.
enum WebRoot {
    /// The page's entry point; a directory without it is not a web root.
    static let index = "index.html"

    static func resolve(_ configured: String?, workingDirectory: URL, executable: URL?) throws(ConfigError) -> URL? {
        guard let configured else { return executable.flatMap(locate(near:)) }
        let url = configured.hasPrefix("/") ? URL(fileURLWithPath: configured, isDirectory: true)
            : workingDirectory.appendingPathComponent(configured, isDirectory: true)
        guard hasIndex(url) else {
            throw ConfigError("WEB_ROOT", "\(url.path) has no \(index) (point it at the page's directory, Public/ in the checkout)")
        }
        return url.standardizedFileURL
    }

    /// The first `Public/` with an `index.html` in the executable's directory or up to three
    /// above it (`.build/<triple>/debug/interior` in a checkout, `/app/interior` beside
    /// `/app/Public` in an image), else `share/interior/Public` of the prefix it is installed in
    /// (`/usr/local/bin/interior`, `/usr/local/share/interior/Public`).
    static func locate(near executable: URL) -> URL? {
        let directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        let ancestors = sequence(first: directory) { $0.deletingLastPathComponent() }.prefix(4)
        let candidates = ancestors.map { $0.appendingPathComponent("Public", isDirectory: true) }
            + [directory.deletingLastPathComponent().appendingPathComponent("share/interior/Public", isDirectory: true)]
        return candidates.first(where: hasIndex)?.standardizedFileURL
    }

    static func hasIndex(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(index).path)
    }
}
