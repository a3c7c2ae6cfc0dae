import Foundation
import TestSupport
import XCTest

/// Runs the built `framemark` executable as a user would.
final class CommandLineTests: XCTestCase {
    static var executable: String {
        // The test bundle sits beside the products of the same build.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("framemark").path
    }

    func testTranscodeAndProbe() throws {
        let clips = try ClipFactory("cli")
        defer { clips.cleanUp() }
        let input = try clips.testClip("in.mp4", seconds: 1, audio: true)
        let out = clips.path("out.mkv")
        let r = try runCommand(Self.executable, ["transcode", input, "-o", out, "--preset", "ultrafast", "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("25 frames"), r.stdout)
        XCTAssertEqual(r.stderr, "", "quiet when stderr is not a terminal")

        let p = try runCommand(Self.executable, ["probe", out, "--json"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["frameCount"] as? Int, 25)
        let streams = json?["streams"] as? [[String: Any]]
        XCTAssertEqual(streams?.count, 2)
        XCTAssertEqual(streams?.first?["codec"] as? String, "h264")
    }

    func testBadInputGivesOneLineAndNonZeroExit() throws {
        let clips = try ClipFactory("cli-bad")
        defer { clips.cleanUp() }
        let r = try runCommand(Self.executable, ["transcode", clips.path("missing.mp4"), "-o", clips.path("o.mp4")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("missing.mp4: no such file"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: clips.folder.path), [])

        let bad = try runCommand(Self.executable, ["transcode", "x.mp4", "-o", "y.mp4", "--crf", "99"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--crf"), bad.stderr)
    }
}
