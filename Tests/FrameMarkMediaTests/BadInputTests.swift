import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// Every bad input gives a one-line MediaError naming the file and the cause, and leaves no
/// output behind and the input untouched.
final class BadInputTests: XCTestCase {
    var clips: ClipFactory!

    override func setUpWithError() throws { clips = try ClipFactory("bad-input") }
    override func tearDown() { clips.cleanUp() }

    /// `mentions`: every one of them is in the error's text (the file it is about, and the cause).
    private func expectFailure(_ input: String, output: String? = nil, mentions: String...,
                               file: StaticString = #filePath, line: UInt = #line) {
        let out = output ?? clips.path("out.mp4")
        let before = (try? FileManager.default.contentsOfDirectory(atPath: clips.folder.path)) ?? []
        let inputData = FileManager.default.contents(atPath: input)
        XCTAssertThrowsError(try Transcoder(settings: EncoderSettings(preset: "ultrafast"), quiet: true).run(input: input, output: out),
                             file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(error is MediaError, "\(text)", file: file, line: line)
            for expected in mentions {
                XCTAssertTrue(text.contains(expected), "'\(text)' should mention '\(expected)'", file: file, line: line)
            }
            XCTAssertFalse(text.contains("\n"), "one line", file: file, line: line)
        }
        let after = (try? FileManager.default.contentsOfDirectory(atPath: clips.folder.path)) ?? []
        XCTAssertEqual(Set(after), Set(before), "no file left behind", file: file, line: line)
        XCTAssertEqual(FileManager.default.contents(atPath: input), inputData, "input untouched", file: file, line: line)
    }

    func testMissingFile() {
        expectFailure(clips.path("nope.mp4"), mentions: "nope.mp4", "no such file")
    }

    func testNotAVideo() throws {
        let text = clips.path("notes.mp4")
        try "just some text\n".write(toFile: text, atomically: true, encoding: .utf8)
        expectFailure(text, mentions: "notes.mp4", "not a readable media file")
        let audio = try clips.ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "1"], output: "audio.m4a")
        expectFailure(audio, mentions: "audio.m4a", "no video stream")
    }

    func testTruncatedFile() throws {
        let input = try clips.testClip("whole.mp4", seconds: 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: input))
        let cut = clips.path("cut.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        try FileManager.default.removeItem(atPath: input)
        expectFailure(cut, mentions: "cut.mp4", "truncated")
    }

    func testZeroFrames() throws {
        let input = try clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "0", "-c:v", "libx264"], output: "empty.mkv")
        expectFailure(input, mentions: "empty.mkv", "not a readable media file")
    }

    func testOddSize() throws {
        let input = try clips.testClip("odd.mkv", seconds: 0.2, codecArgs: ["-c:v", "ffv1"], filter: "scale=321:181")
        expectFailure(input, mentions: "odd.mkv", "odd frame size 321x181")
    }

    func testHugeDimensions() throws {
        let input = try clips.ffmpeg(["-f", "lavfi", "-i", "color=size=9000x16:rate=1", "-frames:v", "1", "-c:v", "ffv1"], output: "wide.mkv")
        expectFailure(input, mentions: "too large")
    }

    func testOutputEqualToInput() throws {
        let input = try clips.testClip("same.mp4", seconds: 0.2)
        expectFailure(input, output: input, mentions: "refusing to overwrite")
        expectFailure(input, output: clips.folder.path + "/./same.mp4", mentions: "refusing to overwrite")
    }

    func testUnwritableOutputFolder() throws {
        let input = try clips.testClip("in.mp4", seconds: 0.2)
        expectFailure(input, output: clips.path("no-such-folder/out.mp4"), mentions: "does not exist")
        expectFailure(input, output: clips.path("in.mp4/out.mp4"), mentions: "does not exist")
    }

    func testUnknownOutputExtension() throws {
        let input = try clips.testClip("in2.mp4", seconds: 0.2)
        expectFailure(input, output: clips.path("out.avi"), mentions: "unsupported output extension")
    }

    func testSuccessfulRunReplacesAnExistingOutput() throws {
        let input = try clips.testClip("src.mp4", seconds: 0.2)
        let existing = clips.path("replace.mp4")
        try "previous".write(toFile: existing, atomically: true, encoding: .utf8)
        let summary = try Transcoder(settings: EncoderSettings(preset: "ultrafast"), quiet: true).run(input: input, output: existing)
        XCTAssertEqual(summary.frames, 5)
        XCTAssertEqual(try Oracle.videoFrameTimes(existing).count, 5)
    }

    func testFailedRunKeepsAnExistingOutput() throws {
        let existing = clips.path("keep.mp4")
        try "previous".write(toFile: existing, atomically: true, encoding: .utf8)
        expectFailure(clips.path("missing.mp4"), output: existing, mentions: "no such file")
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "previous")
    }
}
