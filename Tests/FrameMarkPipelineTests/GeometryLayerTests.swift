import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// `embed --tiles` through real encoders: a still HD shot marked with the geometry layer, turned
/// and letterboxed with the ffmpeg command line, read back by `GeometryDetection`; copies of the
/// unmarked shot, and of the marked one with a wrong key, read nothing. (Crops of this smooth,
/// upscaled picture do not read yet: docs/geometry.md.)
final class GeometryLayerTests: XCTestCase {
    static let message = Message(0x00C0_FFEE_1234_5678)
    nonisolated(unsafe) static var clips: ClipFactory!
    nonisolated(unsafe) static var source: String!
    nonisolated(unsafe) static var marked: String!

    override class func setUp() {
        super.setUp()
        do {
            clips = try ClipFactory("geometry")
            // A still camera: the sample's first frame held for 1.2 s, with a little sensor noise.
            source = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-vf", "trim=end_frame=1,loop=loop=29:size=1:start=0,noise=alls=2:allf=t",
                                       "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-an"], output: "source.mp4")
            marked = clips.path("marked.mp4")
            let transcoder = Transcoder(settings: EncoderSettings(crf: 18, preset: "veryfast"), jobs: 2, quiet: true)
            _ = try WatermarkEmbedding(transcoder: transcoder, tiles: true)
                .run(input: source, output: marked, key: try WatermarkKey(string: "geometry-key"), message: message)
        } catch {
            source = nil
            marked = nil
        }
    }

    override class func tearDown() {
        clips?.cleanUp()
        super.tearDown()
    }

    private func copy(_ input: String, _ filter: String, crf: Int = 23, name: String) throws -> String {
        try Self.clips.ffmpeg(["-i", input, "-vf", filter, "-c:v", "libx264", "-preset", "veryfast", "-crf", "\(crf)", "-an"], output: name)
    }

    private func read(_ path: String, key: String = "geometry-key") throws -> GeometryDetection.Verdict? {
        try GeometryDetection().run(input: path, key: try WatermarkKey(string: key))
    }

    func testTurnAndLetterboxReadTheExactMessage() throws {
        let marked = try XCTUnwrap(Self.marked, "the marked clip could not be made")
        // The letterboxed picture: 720 × 405 in the middle of 720 × 1280.
        let boxed = FramePlacement.Region(x: 0, y: 437.5 / 1280, w: 1, h: 405.0 / 1280)
        let whole = FramePlacement.Region(x: 0, y: 0, w: 1, h: 1)
        for (name, filter, degrees, scale, padding) in [("rotate5", "rotate=5*PI/180", 5.0, 1.0, whole),
                                                         ("letterbox", "scale=720:-2,pad=720:1280:(ow-iw)/2:(oh-ih)/2", 0.0, 405.0 / 1280, boxed)] {
            let verdict = try read(try copy(marked, filter, name: "\(name).mp4"))
            XCTAssertEqual(verdict?.detected, true, name)
            XCTAssertEqual(verdict?.message, Self.message, name)
            XCTAssertEqual(verdict?.log10PValue ?? 0, -9.63, accuracy: 0.01, name)
            XCTAssertGreaterThan(Double(verdict?.frames.filter(\.detected).count ?? 0), 0.9 * Double(verdict?.frames.count ?? 1), name)
            XCTAssertEqual(verdict?.geometry.linear.degrees ?? 99, degrees, accuracy: 0.2, name)
            XCTAssertEqual(verdict?.scale.x ?? 0, scale, accuracy: 0.01 * scale, name)
            XCTAssertEqual(verdict?.scale.y ?? 0, scale, accuracy: 0.01 * scale, name)
            try assertRegion(XCTUnwrap(verdict?.crop, "\(name): not placed"), whole, name)
            try assertRegion(XCTUnwrap(verdict?.padding, "\(name): not placed"), padding, name)
        }
    }

    private func assertRegion(_ found: FramePlacement.Region, _ expected: FramePlacement.Region, _ name: String) {
        XCTAssertEqual(found.x, expected.x, accuracy: 0.01, name)
        XCTAssertEqual(found.y, expected.y, accuracy: 0.01, name)
        XCTAssertEqual(found.w, expected.w, accuracy: 0.01, name)
        XCTAssertEqual(found.h, expected.h, accuracy: 0.01, name)
    }

    func testUnmarkedCopiesAndAWrongKeyReadNothing() throws {
        let source = try XCTUnwrap(Self.source), marked = try XCTUnwrap(Self.marked)
        let plain = try read(try copy(source, "rotate=5*PI/180", name: "plain-rotate5.mp4"))
        XCTAssertNotEqual(plain?.detected, true)
        XCTAssertEqual(plain?.frames.filter(\.detected).count ?? 0, 0)
        let wrong = try read(try copy(marked, "rotate=5*PI/180", name: "wrong-key.mp4"), key: "some other key")
        XCTAssertNotEqual(wrong?.detected, true)
        XCTAssertNil(wrong?.message)
    }
}
