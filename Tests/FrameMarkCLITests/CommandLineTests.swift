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

        let grids = try runCommand(Self.executable, ["embed", "x.mp4", "-o", "y.mp4", "--key", "k", "--attached", "--grid", "fixed"])
        XCTAssertNotEqual(grids.status, 0)
        XCTAssertTrue(grids.stderr.contains("contradict"), grids.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "y.mp4"))
    }
}

extension CommandLineTests {
    func testSurviveListsAttacksAndRejectsUnknownOnes() throws {
        let list = try runCommand(Self.executable, ["survive", "x.mp4", "--attacks", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        for name in ["crf23", "h265_crf28", "vp9_crf40", "quarter", "rot270", "gamma1.4", "concat", "crop80_half_crf28"] {
            XCTAssertTrue(list.stdout.contains(name), name)
        }
        let bad = try runCommand(Self.executable, ["survive", "x.mp4", "--key", "k", "--attacks", "crf23,warp9"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown attack 'warp9'"), bad.stderr)
    }

    func testEmbedAndDetectJSON() throws {
        let clips = try ClipFactory("cli-mark")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "1", "-c", "copy"], output: "in.mp4")
        let out = clips.path("marked.mp4")
        var env = ProcessInfo.processInfo.environment
        env["FRAMEMARK_KEY"] = "cli-key"
        let e = try runCommand(Self.executable, ["embed", input, "-o", out, "--message", "00c0ffee12345678", "--preset", "veryfast", "--json"], environment: env)
        XCTAssertEqual(e.status, 0, e.stderr)
        let embedded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(embedded["grid"] as? String, "attached", "the grid follows the picture by default")
        XCTAssertEqual(embedded["attached"] as? Bool, true)
        XCTAssertFalse(e.stdout.contains("cli-key") || e.stderr.contains("cli-key"), "the key is never printed")
        let d = try runCommand(Self.executable, ["detect", out, "--json"], environment: env)
        XCTAssertEqual(d.status, 0, d.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["detected"] as? Bool, true)
        XCTAssertEqual(json["message"] as? String, "00c0ffee12345678")
        XCTAssertGreaterThan(json["confidence"] as? Double ?? 0, 0.999999999)
        let transform = try XCTUnwrap(json["transform"] as? [String: Any])
        XCTAssertEqual(transform["flip"] as? String, "none")
        XCTAssertEqual(transform["rotation_degrees"] as? Int, 0)
        XCTAssertEqual(transform["inverted"] as? Bool, false)
        let frames = try XCTUnwrap(json["frames"] as? [[String: Any]])
        let count = try Oracle.videoFrameTimes(input).count
        XCTAssertEqual(frames.count, count)
        XCTAssertTrue(frames.allSatisfy { ($0["arrangement"] as? Int).map((0..<4).contains) ?? false })
        let segments = try XCTUnwrap(json["segments"] as? [[String: Any]])
        XCTAssertEqual(segments.first?["start_frame"] as? Int, 0)
        XCTAssertEqual(segments.last?["end_frame"] as? Int, count)
        env["FRAMEMARK_KEY"] = "other-key"
        let w = try runCommand(Self.executable, ["detect", out, "--json"], environment: env)
        let wrong = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(w.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(wrong["detected"] as? Bool, false)
        XCTAssertTrue(wrong["message"] is NSNull)
        // In words: nothing found, and no transform (the best of the hypotheses tried on a clip
        // without this key's mark means nothing).
        let text = try runCommand(Self.executable, ["detect", out], environment: env)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("not detected"), text.stdout)
        XCTAssertFalse(text.stdout.contains("transform"), text.stdout)
    }
}

extension CommandLineTests {
    /// `survive --json` on a small clip: one row per attack of the matrix, with every field.
    func testSurviveJSONHasEveryRow() throws {
        let clips = try ClipFactory("cli-survive")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "1.2", "-vf", "scale=640:360",
                                      "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-c:a", "copy"], output: "in.mp4")
        let r = try runCommand(Self.executable, ["survive", input, "--key", "k", "--message", "00c0ffee12345678",
                                                 "--preset", "veryfast", "--json", "--report", clips.path("r.html")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        // JSONSerialization gives NSNull for a JSON null: a required field must be neither.
        func present(_ value: Any?) -> Bool { value != nil && !(value is NSNull) }
        for key in ["input", "strength", "psnr_db", "ssim", "bitrate_increase", "flicker", "control_flicker"] { XCTAssertTrue(present(json[key]), key) }
        for key in ["flicker", "control_flicker"] {
            let figures = try XCTUnwrap(json[key] as? [String: Any], key)
            XCTAssertNotNil(figures["rms_levels"] as? Double, key)
            XCTAssertNotNil(figures["p999_levels"] as? Double, key)
        }
        let rows = try XCTUnwrap(json["attacks"] as? [[String: Any]])
        let list = try runCommand(Self.executable, ["survive", "x", "--attacks", "list"])
        // The video rows come first, then a blank line and the still-image rows.
        let videoRows = list.stdout.components(separatedBy: "\n\n")[0].split(separator: "\n")
        XCTAssertEqual(rows.count, videoRows.count)
        for row in rows {
            for key in ["name", "detected", "message_ok", "frame_detection_rate", "log10_p_value", "seconds"] {
                XCTAssertTrue(present(row[key]), "\(row["name"] ?? "?"): \(key)")
            }
        }
        let page = try String(contentsOfFile: clips.path("r.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("<svg"))
    }
}

extension CommandLineTests {
    /// `embed --tiles`, a letterboxed copy, `detect --json --report`: the geometry layer's verdict
    /// with what was found of the copy's frame (scale, crop, padding) in the JSON and on the page.
    func testGeometryLayerJSONSaysWhereThePictureIs() throws {
        let clips = try ClipFactory("cli-geometry")
        defer { clips.cleanUp() }
        // A still shot: the sample's first frame held for 1 s, with a little sensor noise.
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-vf", "trim=end_frame=1,loop=loop=24:size=1:start=0,noise=alls=2:allf=t",
                                      "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-an"], output: "in.mp4")
        var env = ProcessInfo.processInfo.environment
        env["FRAMEMARK_KEY"] = "cli-geometry-key"
        let marked = clips.path("marked.mp4")
        let e = try runCommand(Self.executable, ["embed", input, "-o", marked, "--tiles", "--message", "00c0ffee12345678", "--preset", "veryfast"], environment: env)
        XCTAssertEqual(e.status, 0, e.stderr)
        let boxed = try clips.ffmpeg(["-i", marked, "-vf", "scale=720:-2,pad=720:1280:0:(oh-ih)/2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
                                     output: "letterbox.mp4")
        let page = clips.path("report.html")
        let d = try runCommand(Self.executable, ["detect", boxed, "--json", "--report", page], environment: env)
        XCTAssertEqual(d.status, 0, d.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["detected"] as? Bool, true)
        XCTAssertEqual(json["message"] as? String, "00c0ffee12345678")
        let transform = try XCTUnwrap(json["transform"] as? [String: Any])
        XCTAssertEqual(transform["grid"] as? String, "tiles")
        XCTAssertEqual(try XCTUnwrap(transform["rotation_degrees"] as? Double), 0, accuracy: 0.2)
        let scale = try XCTUnwrap(transform["scale"] as? [String: Double])
        // 720 × 405 of picture in a 1280-line copy.
        XCTAssertEqual(try XCTUnwrap(scale["x"]), 405.0 / 1280, accuracy: 0.005)
        XCTAssertEqual(try XCTUnwrap(scale["y"]), 405.0 / 1280, accuracy: 0.005)
        let crop = try XCTUnwrap(transform["crop"] as? [String: Double])
        let padding = try XCTUnwrap(transform["padding"] as? [String: Double])
        let expectations: [(String, [String: Double], [Double])] = [("crop", crop, [0, 0, 1, 1]), ("padding", padding, [0, 437.5 / 1280, 1, 405.0 / 1280])]
        for (name, region, expected) in expectations {
            for (field, value) in zip(["x", "y", "w", "h"], expected) {
                XCTAssertEqual(try XCTUnwrap(region[field], "\(name).\(field)"), value, accuracy: 0.01, "\(name).\(field)")
            }
        }
        let segments = try XCTUnwrap(json["segments"] as? [[String: Any]])
        XCTAssertEqual(segments.first?["start_frame"] as? Int, 0)
        XCTAssertEqual(segments.last?["end_frame"] as? Int, (json["frames"] as? [Any])?.count)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains("geometry layer") && html.contains("padding"), "the page says what was found")
    }
}

extension CommandLineTests {
    /// `survive IMAGE`: the still-image rows run in-process, each read with the exact message.
    func testSurviveOnAnImage() throws {
        let clips = try ClipFactory("cli-survive-image")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-frames:v", "1", "-pix_fmt", "rgb24"], output: "in.png")
        let list = try runCommand(Self.executable, ["survive", "x", "--attacks", "list"])
        for name in ["jpeg50", "webp75", "crop50corner", "rotate10crop", "screenshot", "crop80_half_jpeg75"] {
            XCTAssertTrue(list.stdout.contains(name), name)
        }
        let r = try runCommand(Self.executable, ["survive", input, "--key", "k", "--message", "00c0ffee12345678",
                                                 "--attacks", "jpeg75,webp75,half,rot90,invert,rotate5", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(json["psnr_db"] as? Double), 42)
        // 0.9894 on this smooth, upscaled frame (flat areas weigh heavily in SSIM); the
        // photographs of docs/images.md reach 0.992–0.994.
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(json["ssim"] as? Double), 0.985)
        let rows = try XCTUnwrap(json["attacks"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["jpeg75", "webp75", "half", "rot90", "invert", "rotate5"])
        for row in rows {
            XCTAssertEqual(row["detected"] as? Bool, true, "\(row)")
            XCTAssertEqual(row["message"] as? String, "00c0ffee12345678", "\(row)")
        }
        let bad = try runCommand(Self.executable, ["survive", input, "--key", "k", "--attacks", "crf23"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown image attack 'crf23'"), bad.stderr)
    }
}
