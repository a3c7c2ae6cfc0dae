import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// Real encodes of small clips the tests make, checked against ffprobe/ffmpeg as oracles.
final class TranscodeFidelityTests: XCTestCase {
    var clips: ClipFactory!

    override func setUpWithError() throws { clips = try ClipFactory("media-tests") }
    override func tearDown() { clips.cleanUp() }

    private func transcode(_ input: String, _ name: String, crf: Int = 18) throws -> (String, TranscodeSummary) {
        let out = clips.path(name)
        let summary = try Transcoder(settings: EncoderSettings(crf: crf, preset: "veryfast"), jobs: 2, quiet: true)
            .run(input: input, output: out)
        return (out, summary)
    }

    func testAudioIsCopiedBitExactAndFramesAndTimesMatch() throws {
        let input = try clips.testClip("av.mp4", audio: true)
        let (out, summary) = try transcode(input, "av-out.mp4")
        let inTimes = try Oracle.videoFrameTimes(input)
        XCTAssertEqual(inTimes.count, 50)
        XCTAssertEqual(summary.frames, 50)
        XCTAssertEqual(try Oracle.videoFrameTimes(out), inTimes)
        XCTAssertEqual(try Oracle.audioMD5(out), try Oracle.audioMD5(input))
        XCTAssertEqual(try Oracle.videoStreamEntry(out, "codec_name"), "h264")
        XCTAssertEqual(try Oracle.videoStreamEntry(out, "width"), "320")
        XCTAssertEqual(try Oracle.videoStreamEntry(out, "height"), "180")
        XCTAssertGreaterThan(try Oracle.lumaPSNR(out, reference: input), 40)
    }

    func testTenBitSourceBecomesEightBit420() throws {
        let input = try clips.testClip("10bit.mkv", seconds: 1, codecArgs: ["-pix_fmt", "yuv422p10le", "-c:v", "libx264", "-crf", "16"])
        let (out, summary) = try transcode(input, "10bit-out.mp4")
        XCTAssertEqual(summary.frames, 25)
        XCTAssertEqual(try Oracle.videoStreamEntry(out, "pix_fmt"), "yuv420p")
        XCTAssertGreaterThan(try Oracle.lumaPSNR(out, reference: input), 40)
    }

    func testVariableFrameRateTimestampsAreKept() throws {
        // Frames 0–24 two ticks apart, the rest three ticks apart: not a constant rate.
        let input = try clips.testClip("vfr.mkv", seconds: 9, codecArgs: ["-frames:v", "50", "-fps_mode", "vfr", "-c:v", "libx264", "-crf", "16"],
                                       filter: "setpts='if(lt(N,25),N*2,N*3-25)'")
        let inTimes = try Oracle.videoFrameTimes(input)
        let (out, _) = try transcode(input, "vfr-out.mkv")
        let outTimes = try Oracle.videoFrameTimes(out)
        XCTAssertEqual(outTimes.count, inTimes.count)
        for (a, b) in zip(outTimes, inTimes) { XCTAssertEqual(a, b, accuracy: 0.0011) }
        let gaps = Set(zip(outTimes.dropFirst(), outTimes).map { (($0 - $1) * 1000).rounded() })
        XCTAssertGreaterThan(gaps.count, 1, "output should keep two different frame durations")
    }

    func testDisplayRotationIsKept() throws {
        let plain = try clips.testClip("plain.mp4", seconds: 1, audio: true)
        let rotated = try clips.ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90"], output: "rotated.mp4")
        XCTAssertEqual(try Oracle.rotation(rotated).map(abs), 90)
        let (out, _) = try transcode(rotated, "rotated-out.mp4")
        XCTAssertEqual(try Oracle.rotation(out), try Oracle.rotation(rotated))
        let reader = try MediaReader(path: out)
        XCTAssertEqual(reader.video.rotationDegrees.map(abs), 90)
    }

    func testMatroskaAndMovOutputs() throws {
        let input = try clips.testClip("src.mp4", seconds: 1, audio: true)
        for ext in ["mkv", "mov"] {
            let (out, summary) = try transcode(input, "out.\(ext)")
            XCTAssertEqual(summary.frames, 25)
            XCTAssertEqual(try Oracle.videoFrameTimes(out).count, 25)
            XCTAssertEqual(try Oracle.audioMD5(out), try Oracle.audioMD5(input), ext)
        }
    }
}
