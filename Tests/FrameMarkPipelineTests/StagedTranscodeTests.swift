import FrameMarkMedia
import FrameMarkPipeline
import Foundation
import TestSupport
import XCTest

final class StagedTranscodeTests: XCTestCase {
    /// A deliberately slow and uneven stage stamps each frame's index into its pixels; the output
    /// must hold every frame once, in order, with the source's timestamps.
    func testSlowUnevenStageKeepsOrderCountAndTimestamps() throws {
        let clips = try ClipFactory("staged")
        defer { clips.cleanUp() }
        let input = try clips.testClip("in.mp4", seconds: 3, audio: true)
        let output = clips.path("out.mp4")
        let summary = try Transcoder(settings: EncoderSettings(crf: 12, preset: "ultrafast"), jobs: 3, quiet: true)
            .run(input: input, output: output) { frame, index in
                usleep(index % 7 == 0 ? 15_000 : UInt32(500 + (index * 7919) % 3000))
                let value = UInt8(20 + (index * 3) % 216)
                frame.withPlane(0) { rows, stride in
                    for y in 0..<32 { for x in 0..<64 { rows[y * stride + x] = value } }
                }
            }
        XCTAssertEqual(summary.frames, 75)
        XCTAssertEqual(try Oracle.videoFrameTimes(output), try Oracle.videoFrameTimes(input))
        XCTAssertEqual(try Oracle.audioMD5(output), try Oracle.audioMD5(input))

        let reader = try MediaReader(path: output)
        var index = 0
        while let item = try reader.next() {
            guard case .frame(let frame) = item else { continue }
            let expected = Int(20 + (index * 3) % 216)
            let seen = frame.withPlane(0) { rows, stride in Int(rows[8 * stride + 16]) }
            XCTAssertEqual(seen, expected, accuracy: 3, "frame \(index)")
            index += 1
        }
        XCTAssertEqual(index, 75)
    }
}
