import Foundation
import TestSupport
import XCTest

/// `framemark batch` and `framemark registry` run as a user runs them: a tree of clips made
/// here, a list with metadata, a broken file, the registry looked up, exported and used by
/// `detect`; and a batch killed with SIGKILL again and again that still ends with every file
/// marked once.
final class BatchCommandTests: XCTestCase {
    private var framemark: String { CommandLineTests.executable }
    private let environment = ProcessInfo.processInfo.environment.merging(["FRAMEMARK_KEY": "batch-cli-key"]) { $1 }

    private func run(_ arguments: [String]) throws -> CommandResult {
        try runCommand(framemark, arguments, environment: environment)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testBatchWithAListThenTheRegistryAndDetect() throws {
        let clips = try ClipFactory("batch-cli")
        defer { clips.cleanUp() }
        try FileManager.default.createDirectory(atPath: clips.path("in/b"), withIntermediateDirectories: true)
        try clips.testClip("in/a.mp4", seconds: 1)
        try clips.testClip("in/b/c.mov", seconds: 1, filter: "hflip")
        try Data("broken".utf8).write(to: URL(fileURLWithPath: clips.path("in/b/broken.mp4")))
        try """
            path,message,asset_id,prompt
            a.mp4,00c0ffee00000001,A-1,"a dog, running"
            b/c.mov,,A-2,
            b/broken.mp4,,A-3,
            """.write(toFile: clips.path("in/assets.csv"), atomically: false, encoding: .utf8)
        let out = clips.path("out")
        let first = try run(["batch", "--list", clips.path("in/assets.csv"), "-o", out, "--preset", "veryfast", "--json"])
        XCTAssertEqual(first.status, 1, "a failed file makes the exit status 1: \(first.stderr)")
        let summary = try json(first.stdout)
        XCTAssertEqual(summary["files"] as? Int, 3)
        XCTAssertEqual(summary["marked"] as? Int, 2)
        XCTAssertEqual(summary["failed"] as? Int, 1)
        let results = try XCTUnwrap(summary["results"] as? [[String: Any]])
        let failed = try XCTUnwrap(results.first { $0["status"] as? String == "failed" })
        XCTAssertTrue((failed["error"] as? String ?? "").contains("broken.mp4: not a readable media file"), "\(failed)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: clips.path("out/b/broken.mp4")))
        XCTAssertEqual(first.stderr.split(separator: "\n").count, 3, "one line per file when stderr is not a terminal: \(first.stderr)")

        // The registry: the chosen message kept, the rest drawn, the list's columns as metadata.
        let registry = clips.path("out/framemark-registry.sqlite")
        let show = try run(["registry", "show", "00c0ffee00000001", "--registry", registry, "--json"])
        XCTAssertEqual(show.status, 0, show.stderr)
        let asset = try json(show.stdout)
        XCTAssertEqual(asset["output_path"] as? String, clips.path("out/a.mp4"))
        XCTAssertEqual(asset["status"] as? String, "done")
        XCTAssertEqual((asset["metadata"] as? [String: Any])?["prompt"] as? String, "a dog, running")
        XCTAssertEqual(asset["tool_version"] as? String, try XCTUnwrap(try run(["--version"]).stdout.split(separator: " ").first.map(String.init)))

        let export = try run(["registry", "export", "--registry", registry, "--format", "csv"])
        XCTAssertEqual(export.status, 0, export.stderr)
        let lines = export.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, export.stdout)
        XCTAssertTrue(lines[0].hasPrefix("id,message,status,input_path"), String(lines[0]))
        XCTAssertTrue(export.stdout.contains(#""{""asset_id"":""A-1"",""prompt"":""a dog, running""}""#), export.stdout)
        let jsonl = try run(["registry", "export", "--registry", registry, "--format", "jsonl", "--status", "done", "-o", clips.path("done.jsonl")])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        XCTAssertEqual(try String(contentsOfFile: clips.path("done.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)

        // detect names the asset.
        let detect = try run(["detect", clips.path("out/a.mp4"), "--registry", registry, "--json", "--quiet"])
        XCTAssertEqual(detect.status, 0, detect.stderr)
        let found = try json(detect.stdout)
        XCTAssertEqual(found["message"] as? String, "00c0ffee00000001")
        XCTAssertEqual((found["asset"] as? [String: Any])?["input_path"] as? String, clips.path("in/a.mp4"))
        let other = try run(["detect", clips.path("in/a.mp4"), "--registry", registry, "--json", "--quiet"])
        XCTAssertTrue(try json(other.stdout)["asset"] is NSNull, "an unmarked file has no asset")

        // Run again: the done files are skipped, the broken one fails again under its own message.
        let again = try run(["batch", "--list", clips.path("in/assets.csv"), "-o", out, "--preset", "veryfast", "--json"])
        XCTAssertEqual(again.status, 1)
        let second = try json(again.stdout)
        XCTAssertEqual(second["skipped"] as? Int, 2)
        XCTAssertEqual(second["marked"] as? Int, 0)
        let list = try run(["registry", "list", "--registry", registry])
        XCTAssertEqual(list.stdout.split(separator: "\n").count, 3, "no message issued twice: \(list.stdout)")

        // Bad uses: one line each, non-zero.
        for (arguments, expected) in [
            (["registry", "show", "00c0ffee00000009", "--registry", registry], "00c0ffee00000009 is not in the registry"),
            (["registry", "list", "--registry", clips.path("none.sqlite")], "none.sqlite: no such registry"),
            (["batch", clips.path("in"), "-o", out, "--shard", "4/4"], "--shard must be I/N"),
            (["batch", clips.path("missing"), "-o", out], "missing: no such file or directory"),
        ] {
            let r = try run(arguments)
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.stderr.contains(expected), "\(arguments): \(r.stderr)")
        }
    }

    /// A batch killed with SIGKILL at seeded random moments, at least 20 times, then run to the
    /// end: every file marked once (its output reads the message the registry holds for it),
    /// every output's hash recorded, no temporary file left, no message issued twice.
    func testABatchKilledAgainAndAgainEndsWithEveryFileMarkedOnce() throws {
        let clips = try ClipFactory("batch-kill")
        defer { clips.cleanUp() }
        try FileManager.default.createDirectory(atPath: clips.path("in"), withIntermediateDirectories: true)
        let count = 12
        for i in 0..<count { try clips.testClip("in/clip\(i).mp4", seconds: 1, filter: "hue=h=\(i * 30)") }
        let arguments = ["batch", clips.path("in"), "-o", clips.path("out"), "--preset", "veryfast", "--quiet"]
        var random = SeededRandom(20261208)
        var kills = 0, attempts = 0, midWrite = 0
        while kills < 20 && attempts < 80 {
            attempts += 1
            let process = try startCommand(framemark, arguments, environment: environment)
            usleep(useconds_t(50_000 + Int(random.unit() * 450_000)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let temporary = (try? FileManager.default.subpathsOfDirectory(atPath: clips.path("out")))?.contains { $0.contains(".framemark-") } ?? false
            if temporary { midWrite += 1 }
        }
        XCTAssertGreaterThanOrEqual(kills, 20, "the batch finished too soon to be killed 20 times")
        // The kills must land in the window that matters: a file half written.
        XCTAssertGreaterThan(midWrite, 0, "no kill of \(kills) caught a file being written")

        let last = try run(arguments + ["--json"])
        XCTAssertEqual(last.status, 0, last.stderr)
        let registry = clips.path("out/framemark-registry.sqlite")
        let export = try run(["registry", "export", "--registry", registry, "--format", "jsonl"])
        let assets = try export.stdout.split(separator: "\n").map { try json(String($0)) }
        XCTAssertEqual(assets.count, count, "one row per file")
        XCTAssertEqual(Set(assets.compactMap { $0["message"] as? String }).count, count, "no message issued twice")
        for asset in assets {
            let output = try XCTUnwrap(asset["output_path"] as? String)
            XCTAssertEqual(asset["status"] as? String, "done", output)
            let sha = try runCommand("sha256sum", [output]).stdout.split(separator: " ").first.map(String.init)
            XCTAssertEqual(asset["output_sha256"] as? String, sha, output)
            let detect = try run(["detect", output, "--json", "--quiet"])
            XCTAssertEqual(try json(detect.stdout)["message"] as? String, asset["message"] as? String, "\(output) carries its registered message")
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: clips.path("out")).filter { $0.contains(".framemark-") }
        XCTAssertEqual(leftovers, [], "temporary files left after \(kills) kills")
    }
}
