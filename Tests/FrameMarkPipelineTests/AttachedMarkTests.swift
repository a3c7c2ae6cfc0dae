import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// `embed --attached` through real encoders: four seconds of the pan/zoom sample marked with the
/// grid following the picture, re-encoded, and read back by `detect`'s tracked read.
final class AttachedMarkTests: XCTestCase {
    static let message = Message(0x00C0_FFEE_1234_5678)
    nonisolated(unsafe) static var clips: ClipFactory!
    nonisolated(unsafe) static var source: String!

    /// Why the source clip could not be made: reported by every test (an XCTFail in a class
    /// setUp is dropped on Linux).
    nonisolated(unsafe) static var setUpError: Error?

    override class func setUp() {
        super.setUp()
        do {
            clips = try ClipFactory("attached")
            source = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "4", "-vf", "scale=640:360", "-c:v", "libx264",
                                       "-preset", "veryfast", "-crf", "16", "-an"], output: "source.mp4")
        } catch {
            setUpError = error
        }
    }

    override func setUpWithError() throws {
        if let error = Self.setUpError { throw error }
    }

    override class func tearDown() {
        clips?.cleanUp()
        super.tearDown()
    }

    private func embed(attached: Bool, crf: Int, strength: Float = 1, output name: String) throws -> String {
        let output = Self.clips.path(name)
        let transcoder = Transcoder(settings: EncoderSettings(crf: crf, preset: "medium"), jobs: 2, quiet: true)
        _ = try WatermarkEmbedding(transcoder: transcoder, strength: strength, attached: attached)
            .run(input: Self.source, output: output, key: try WatermarkKey(string: "attached-key"), message: Self.message)
        return output
    }

    private func detect(_ path: String, key: String = "attached-key") throws -> DetectionReport {
        try WatermarkDetection(jobs: 2, quiet: true).run(input: path, key: try WatermarkKey(string: key))
    }

    /// Marks the source attached at `strength`, cuts off its first `cut` seconds with a fast
    /// re-encode (x264 veryfast CRF 23), and reads it: tracked, detected, the exact message.
    private func readTrimmedCopy(strength: Float, cut: Double, name: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> DetectionReport {
        let marked = try embed(attached: true, crf: 18, strength: strength, output: "\(name)-source.mp4")
        let trimmed = try Self.clips.ffmpeg(["-ss", "\(cut)", "-i", marked, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
                                            output: "\(name).mp4")
        let report = try detect(trimmed)
        XCTAssertTrue(report.tracked, file: file, line: line)
        XCTAssertTrue(report.verdict.detected, "log10 p \(report.verdict.log10PValue)", file: file, line: line)
        XCTAssertEqual(report.verdict.message, Self.message, file: file, line: line)
        return report
    }

    func testAttachedMarkSurvivesHeavyCompressionAndReadsTracked() throws {
        let marked = try embed(attached: true, crf: 18, output: "attached.mp4")
        let plain = try detect(marked)
        XCTAssertTrue(plain.tracked, "a moving grid is read by tracking it")
        XCTAssertTrue(plain.verdict.detected)
        XCTAssertEqual(plain.verdict.message, Self.message)
        XCTAssertEqual(plain.verdict.frames.filter(\.detected).count, plain.verdict.frames.count)
        XCTAssertEqual(plain.forensics.segments.map(\.kind), [.intact], "an untouched attached clip is one intact segment")

        let attacked = try Self.clips.ffmpeg(["-i", marked, "-c:v", "libx264", "-preset", "medium", "-crf", "33"], output: "attached-crf33.mp4")
        let report = try detect(attacked)
        XCTAssertTrue(report.tracked)
        XCTAssertTrue(report.verdict.detected, "log10 p \(report.verdict.log10PValue)")
        XCTAssertEqual(report.verdict.message, Self.message)
        let rate = Double(report.verdict.frames.filter(\.detected).count) / Double(report.verdict.frames.count)
        XCTAssertGreaterThanOrEqual(rate, 0.9)

        // Nothing with another key, through both reads.
        let other = try detect(marked, key: "another-key")
        XCTAssertFalse(other.verdict.detected)
        XCTAssertNil(other.verdict.message)
        XCTAssertLessThanOrEqual(other.verdict.frames.filter(\.detected).count, 1)
    }

    /// A copy whose first 1.4 s were cut off (not a whole number of restart intervals): the grid
    /// there started before the copy, so the plan picks it up at the first frame where it is
    /// back on the frame (the original's next restart, `GridTracker.restartSeconds`) and reads
    /// everything from there; the frames before are found by their pilots (`GridSearch`) and
    /// read intact, never foreign.
    func testAttachedMarkIsReadFromTheFirstAnchorOfATrimmedCopy() throws {
        let cut = 1.4
        let report = try readTrimmedCopy(strength: 1, cut: cut, name: "attached-trimmed")
        let frames = report.verdict.frames
        XCTAssertEqual(frames.count, 100 - Int(cut * 25))
        // From the anchor on (the original's next restart), every frame.
        let restart = (cut / GridTracker.restartSeconds).rounded(.up) * GridTracker.restartSeconds
        let anchor = restart - cut
        let fromAnchor = frames.filter { $0.timeSeconds >= anchor - 1e-3 }
        XCTAssertEqual(fromAnchor.count, frames.count - Int((anchor * 25).rounded()))
        XCTAssertGreaterThanOrEqual(fromAnchor.filter(\.detected).count, fromAnchor.count - 1)
        // Before the anchor: placed by the search, most frames read (13 of 15 on a 640 × 360
        // copy, 2026-12-02), and the beginning of the intact part, so the trim is a cut before
        // it, of exactly what was cut off. After it, nothing: the quarter at 3.25 s, whose
        // time-code change this fast re-encode drops, is not taken for the one before
        // (`Forensics.timeCodeRefreshSeconds`).
        let beforeAnchor = frames.count - fromAnchor.count
        XCTAssertGreaterThanOrEqual(2 * frames.prefix(beforeAnchor).filter(\.detected).count, beforeAnchor)
        let segments = report.forensics.segments
        XCTAssertEqual(segments.map(\.kind), [.cut, .intact])
        XCTAssertEqual(segments.count > 1 ? segments[1].originalStartSeconds ?? -1 : -1, cut, accuracy: 0.1)
        XCTAssertEqual(segments[0].originalStartSeconds ?? -1, 0, accuracy: 0.05)
        XCTAssertEqual(segments[0].originalEndSeconds ?? -1, cut, accuracy: 0.1)
        XCTAssertFalse(segments.contains { $0.kind == .tampered || $0.kind == .foreign }, "\(segments.map(\.kind))")
    }

    /// A stronger mark reads at gain 1/strength: a trimmed copy's anchors are found under that
    /// gain too (before, only at gain 1, and such a copy read as foreign).
    func testStrongerAttachedMarkIsReadFromTheAnchorsOfATrimmedCopy() throws {
        let report = try readTrimmedCopy(strength: 1.4, cut: 1.4, name: "attached-strong-trimmed")
        XCTAssertEqual(Double(report.verdict.hypothesis.gain), 1 / 1.4, accuracy: 0.05)
        XCTAssertGreaterThanOrEqual(report.verdict.frames.filter(\.detected).count, report.verdict.frames.count / 2)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .foreign }, "\(report.forensics.segments.map(\.kind))")
    }

    /// What the attached grid is for: with camera motion it costs the encoder far less than a
    /// grid fixed to the frame (on the full 720p sample: +12% against +50% at CRF 23).
    func testAttachedMarkCostsFewerBitsWithCameraMotion() throws {
        let fixed = try MediaProbe.videoBytes(try embed(attached: false, crf: 23, output: "fixed-23.mp4"))
        let attached = try MediaProbe.videoBytes(try embed(attached: true, crf: 23, output: "attached-23.mp4"))
        let control = Self.clips.path("control-23.mp4")
        _ = try Transcoder(settings: EncoderSettings(crf: 23, preset: "medium"), jobs: 2, quiet: true).run(input: Self.source, output: control)
        let unmarked = try MediaProbe.videoBytes(control)
        let fixedCost = Double(fixed) / Double(unmarked) - 1, attachedCost = Double(attached) / Double(unmarked) - 1
        XCTAssertLessThan(attachedCost, fixedCost * 0.6, "attached +\(attachedCost * 100)%, fixed +\(fixedCost * 100)%")
    }
}
