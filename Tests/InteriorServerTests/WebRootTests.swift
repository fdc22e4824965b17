import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

/// The page's files are found wherever the server is started: `WEB_ROOT`, else `Public/`
/// beside the executable. Health says whether the page is served.
@Suite("Web page: found wherever the server starts")
struct WebRootTests {
    static let publicDirectory = WebPageServingTests.packageRoot.appendingPathComponent("Public")

    @Test("interior serve started from / serves the page, its modules and styles, and health says so",
          .enabled(if: !TestDatabase.isPostgres))
    func servedWhenStartedFromRoot() async throws {
        try await withTemporaryDirectory { directory in
            let server = try ServeProcess(
                name: "interior-from-root",
                environment: ServeProcess.environment(databaseURL: "sqlite://\(directory.path)/interior.sqlite", directory: directory),
                directory: URL(fileURLWithPath: "/"))
            defer { server.stop() }
            let health = try await server.waitUntilHealthy()
            #expect(health.data["webPage"] as? String == "served")

            let page = try await server.client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers.first(name: .contentType)?.hasPrefix("text/html") == true)
            #expect(page.body == (try Data(contentsOf: Self.publicDirectory.appendingPathComponent("index.html"))))
            #expect(page.text.contains(#"<script type="module" src="/js/main.js"></script>"#))

            for (path, type) in [("/js/main.js", "javascript"), ("/js/api.js", "javascript"), ("/css/app.css", "text/css")] {
                let file = try await server.client.get(path)
                #expect(file.status == .ok, "\(path)")
                #expect(file.headers.first(name: .contentType)?.contains(type) == true, "\(path): \(file.headers)")
                #expect(file.body == (try Data(contentsOf: Self.publicDirectory.appendingPathComponent(String(path.dropFirst())))), "\(path)")
            }
        }
    }

    @Test("WEB_ROOT serves another copy of the page; health says missing once its index is gone")
    func explicitWebRoot() async throws {
        try await withTemporaryDirectory { elsewhere in
            let index = elsewhere.appendingPathComponent("index.html")
            try Data("<!doctype html><p>another copy</p>".utf8).write(to: index)
            try await withTestApp(environment: ["WEB_ROOT": elsewhere.path]) { t in
                let page = try await t.client.get("/")
                #expect(page.status == .ok)
                #expect(page.text.contains("another copy"))
                #expect(try await t.client.get("/api/v1/health").data["webPage"] as? String == "served")

                try FileManager.default.removeItem(at: index)
                #expect(try await t.client.get("/api/v1/health").data["webPage"] as? String == "missing")
                let gone = try await t.client.get("/")
                #expect(gone.status == .notFound)
                #expect(gone.errorCode == "NOT_FOUND")
            }
        }
    }

    @Test("a WEB_ROOT without an index.html stops start-up with one line naming the key")
    func webRootWithoutIndex() async throws {
        _ = try await withTemporaryDirectory { directory in
            #expect(throws: ConfigError("WEB_ROOT", "\(directory.path)/empty has no index.html (point it at the page's directory, Public/ in the checkout)")) {
                try Settings.load(environment: ["WEB_ROOT": "empty"], workingDirectory: directory)
            }
        }
    }

    @Test("the default is found from the executable in a checkout, an image and an installed prefix, and nowhere else",
          arguments: [
              ("checkout/.build/x86_64-unknown-linux-gnu/debug/interior", "checkout/Public"),
              ("app/interior", "app/Public"),
              ("usr/local/bin/interior", "usr/local/share/interior/Public"),
              ("lonely/bin/interior", nil),
          ] as [(String, String?)])
    func locatedFromTheExecutable(executable: String, expected: String?) async throws {
        try await withTemporaryDirectory { root in
            for page in ["checkout/Public", "app/Public", "usr/local/share/interior/Public"] {
                let directory = root.appendingPathComponent(page)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data("<!doctype html>".utf8).write(to: directory.appendingPathComponent("index.html"))
            }
            let binary = root.appendingPathComponent(executable)
            try FileManager.default.createDirectory(at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: binary)
            let found = WebRoot.locate(near: binary)
            #expect(found?.path == expected.map { root.appendingPathComponent($0).resolvingSymlinksInPath().standardizedFileURL.path })
        }
    }
}
