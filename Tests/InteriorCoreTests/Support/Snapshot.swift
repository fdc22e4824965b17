import Foundation
import Testing

/// Compares text against a committed file under `__Snapshots__/<test file>/<name>.txt`,
/// next to the test file. A missing or different snapshot fails. With `SNAPSHOT_RECORD=1`
/// in the environment the file is (re)written and the test still fails once, so a run that
/// records can never pass by accident; run again without it to verify.
enum Snapshot {
    static let recordVariable = "SNAPSHOT_RECORD"

    static func expectMatches(
        _ actual: String, named name: String,
        filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let testFile = URL(fileURLWithPath: filePath)
        let directory = testFile.deletingLastPathComponent()
            .appendingPathComponent("__Snapshots__")
            .appendingPathComponent(testFile.deletingPathExtension().lastPathComponent)
        let file = directory.appendingPathComponent("\(name).txt")

        if ProcessInfo.processInfo.environment[recordVariable] == "1" {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data((actual + "\n").utf8).write(to: file)
                Issue.record("Recorded snapshot \(file.path). Run again without \(recordVariable) to verify.", sourceLocation: sourceLocation)
            } catch {
                Issue.record("Could not record snapshot \(file.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }

        guard let data = FileManager.default.contents(atPath: file.path) else {
            Issue.record("No snapshot at \(file.path). Record it with \(recordVariable)=1.", sourceLocation: sourceLocation)
            return
        }
        var expected = String(decoding: data, as: UTF8.self)
        if expected.hasSuffix("\n") { expected.removeLast() }
        guard expected != actual else { return }
        Issue.record(
            """
            Snapshot \(name) differs from \(file.path)
            \(firstDifference(expected: expected, actual: actual))
            --- actual ---
            \(actual)
            """,
            sourceLocation: sourceLocation
        )
    }

    private static func firstDifference(expected: String, actual: String) -> String {
        let old = expected.components(separatedBy: "\n")
        let new = actual.components(separatedBy: "\n")
        for index in 0..<max(old.count, new.count) {
            let a = index < old.count ? old[index] : "(no line)"
            let b = index < new.count ? new[index] : "(no line)"
            if a != b { return "line \(index + 1):\n  expected: \(a)\n  actual:   \(b)" }
        }
        return "(no line differs)"
    }
}
