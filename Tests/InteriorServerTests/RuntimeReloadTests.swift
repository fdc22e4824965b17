import Foundation
import InteriorCore
@testable import InteriorServer
import Testing

/// The runtime config file is re-read while the server runs (issue 14): an edit shows in
/// `GET /config` within moments, an edit that does not validate is refused with a log line
/// and the old config stays in force. A real file, edited on disk under a running server.
@Suite("Runtime config: reloaded while the server runs")
struct RuntimeReloadTests {
    /// How long an edit may take to show (the tests poll the file every 50 ms).
    private static let deadline: Duration = .seconds(5)

    private static func styles(_ extra: String = "") -> String {
        let builtIn = RuntimeConfig.builtInStyles.map { #"{"id": "\#($0.id)", "label": "\#($0.label)", "seed": "\#($0.seed)"}"# }
        return "[" + (builtIn + (extra.isEmpty ? [] : [extra])).joined(separator: ", ") + "]"
    }

    private static let artDeco = #"{"id": "art_deco", "label": "Art Deco", "seed": "geometric brass, lacquer, velvet, bold symmetry"}"#

    /// Runs a server on the runtime config file `initial` (written before it starts). Edits
    /// are written whole (a new file renamed over the old), as an operator's tools do: a poll
    /// that caught a half-written file would refuse it, and take the whole file a poll later.
    private func withServer(_ initial: String, name: String = "runtime.json",
                            _ body: (TestContext, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent(name)
            try Data(initial.utf8).write(to: file, options: .atomic)
            try await withTestApp(environment: ["INTERIOR_CONFIG": file.path]) { t in try await body(t, file) }
        }
    }

    private func styleIDs(_ t: TestContext) async throws -> [String] {
        let styles = try #require(try await t.client.get("/api/v1/config").data["styles"] as? [[String: Any]])
        return styles.compactMap { $0["id"] as? String }
    }

    /// Polls `condition` until it holds or the deadline passes; how long it took.
    private func eventually(_ what: String, _ condition: () async throws -> Bool) async throws -> Duration {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < Self.deadline {
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(what): not within \(Self.deadline)")
        return ContinuousClock.now - start
    }

    @Test("a new style preset shows in GET /config with no restart; an invalid edit is refused and logged, the old presets stay")
    func newPresetThenInvalidEdit() async throws {
        try await withServer(#"{"styles": \#(Self.styles())}"#) { t, file in
            #expect(try await styleIDs(t) == RuntimeConfig.builtInStyles.map(\.id))

            try Data(#"{"styles": \#(Self.styles(Self.artDeco))}"#.utf8).write(to: file, options: .atomic)
            let shown = try await eventually("the new style") { try await styleIDs(t).contains("art_deco") }
            #expect(t.logs.all.contains { $0.contains("runtime config reloaded") })
            // The submit rules and the served document follow the same version.
            #expect(t.app.interior.runtime.current.validator.config.style(matching: "Art Deco")?.id == "art_deco")
            #expect(String(decoding: try await t.client.get("/openapi.json").body, as: UTF8.self).contains("art_deco"))

            // An edit that does not validate: an empty label.
            try Data(#"{"styles": [{"id": "bare", "label": " ", "seed": "nothing"}]}"#.utf8).write(to: file, options: .atomic)
            let path = file.path
            _ = try await eventually("the refusal in the log") {
                t.logs.all.contains { $0.contains("runtime config refused") }
            }
            let refusals = t.logs.all.filter { $0.contains("runtime config refused") }
            #expect(refusals.count == 1, "one line per edit, not one per poll: \(refusals)")
            #expect(refusals.first?.contains("\(path): styles[0].label: must not be empty") == true, "\(refusals)")
            #expect(refusals.first?.hasPrefix("error ") == true)
            #expect(try await styleIDs(t).contains("art_deco"), "the old presets stay in force")
            #expect(!(try await styleIDs(t).contains("bare")))

            // Not JSON at all: refused the same way.
            try Data("{styles: nope".utf8).write(to: file, options: .atomic)
            _ = try await eventually("the second refusal") {
                t.logs.all.contains { $0.contains("runtime config refused") && $0.contains("\(path): not valid JSON") }
            }
            #expect(try await styleIDs(t).contains("art_deco"))

            // A good edit after the bad ones is taken again.
            try Data(#"{"styles": \#(Self.styles())}"#.utf8).write(to: file, options: .atomic)
            _ = try await eventually("the style removed") { try await !styleIDs(t).contains("art_deco") }
            print("runtime config reload: a new style showed in GET /config after \(shown)")
        }
    }

    @Test("a YAML runtime file reloads too, plans and limits with it")
    func yamlPlansAndLimits() async throws {
        try await withServer("limits:\n  maxPromptLength: 900\n", name: "knobs.yaml") { t, file in
            let limits = { try #require(try await t.client.get("/api/v1/config").data["limits"] as? [String: Any]) }
            #expect(try await limits()["maxPromptLength"] as? Int == 900)
            try Data("limits:\n  maxPromptLength: 400\nplans:\n  - {id: free, label: Free, monthlyGenerations: 2}\n".utf8).write(to: file, options: .atomic)
            _ = try await eventually("the new limit") { try await limits()["maxPromptLength"] as? Int == 400 }
            #expect(t.app.interior.runtime.current.config.plan(id: nil).monthlyGenerations == 2)
        }
    }

    @Test("values bound at start-up keep their running value and the log says they apply at the next start")
    func restartOnlyValues() async throws {
        try await withServer(#"{"timeouts": {"stuckCutoff": 300}}"#) { t, file in
            try Data(#"{"timeouts": {"stuckCutoff": 900}, "limits": {"requestsPerMinute": 5, "maxPromptLength": 800}}"#.utf8).write(to: file, options: .atomic)
            _ = try await eventually("the reload") { t.app.interior.runtime.current.config.limits.maxPromptLength == 800 }
            let config = t.app.interior.runtime.current.config
            #expect(config.timeouts.stuckCutoff == 300)
            #expect(config.limits.requestsPerMinute == RuntimeConfig().limits.requestsPerMinute)
            #expect(t.logs.all.contains { $0.contains("runtime config: timeouts, limits.requestsPerMinute changed; that applies at the next start") })
        }
    }

    @Test("a model profile override that the environment cannot serve is refused; the running profile stays")
    func profileNeedingAMissingSecret() async throws {
        let model = ProcessInfo.processInfo.environment["REPLICATE_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? ModelProfile.defaultModelID
        try await withServer("{}") { t, file in
            let running = t.app.interior.runtime.current.profile
            #expect(running.id == model)
            var override = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(running)) as? [String: Any])
            override["label"] = "Relabelled"
            override["secrets"] = [["field": "api_key", "from": "INTERIOR_TEST_UNSET_API_KEY", "required": true]]
            let text = String(decoding: try JSONSerialization.data(withJSONObject: ["models": [override]]), as: UTF8.self)
            try Data(text.utf8).write(to: file, options: .atomic)
            _ = try await eventually("the refusal") { t.logs.all.contains { $0.contains("runtime config refused") } }
            #expect(t.logs.all.contains { $0.contains("INTERIOR_TEST_UNSET_API_KEY: required by REPLICATE_MODEL \(model)") })
            #expect(t.app.interior.runtime.current.profile == running)

            // Without the secret the relabelled profile is taken, and GET /config names it.
            override["secrets"] = nil
            try Data(JSONSerialization.data(withJSONObject: ["models": [override]])).write(to: file, options: .atomic)
            _ = try await eventually("the relabelled model") {
                (try await t.client.get("/api/v1/config").data["model"] as? [String: Any])?["label"] as? String == "Relabelled"
            }
            #expect(running.label != "Relabelled", "a state read before the reload keeps its profile")
        }
    }

    @Test("readers never see half of a reload: presets and plans of one version")
    func noTornReads() async throws {
        let settings = try await withTemporaryDirectory { try Settings.load(environment: [:], workingDirectory: $0) }
        let runtime = try LiveRuntime(settings: settings, logger: LogCapture().logger())
        let versions = (1...2).map { n in
            let data = Data(#"{"styles": [{"id": "s\#(n)", "label": "S\#(n)", "seed": "v\#(n)"}], "plans": [{"id": "free", "label": "P\#(n)", "monthlyGenerations": \#(n)}]}"#.utf8)
            return RuntimeConfigFile(data: data.bytes, providerName: "test", parsingOptions: .default)
        }
        await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 0..<60 { runtime.apply(versions[i % 2]) }
                return 0
            }
            for _ in 0..<4 {
                group.addTask {
                    var torn = 0
                    for _ in 0..<20_000 {
                        let state = runtime.current
                        let n = state.config.plan(id: nil).monthlyGenerations
                        if n != 10, state.config.styles.first?.id != "s\(n)" || state.validator.config != state.config { torn += 1 }
                    }
                    return torn
                }
            }
            var torn = 0
            for await count in group { torn += count }
            #expect(torn == 0)
        }
    }
}
