import FrameMarkMedia
import TestSupport
import XCTest

/// Thumbnails for reports: several JPEGs from one encoder, the aspect kept, real JPEG files.
final class ThumbnailEncoderTests: XCTestCase {
    func testEveryFrameBecomesASmallJPEG() throws {
        let clips = try ClipFactory("thumbnails")
        defer { clips.cleanUp() }
        let clip = try clips.testClip("clip.mp4", width: 640, height: 360, seconds: 0.4)
        let reader = try MediaReader(path: clip)
        let encoder = ThumbnailEncoder(width: 160)
        var pictures: [[UInt8]] = []
        while let item = try reader.next() {
            if case .frame(let frame) = item { pictures.append(try encoder.jpeg(frame)) }
        }
        XCTAssertEqual(pictures.count, 10)
        let out = clips.path("thumb.jpg")
        for jpeg in pictures {
            XCTAssertEqual(Array(jpeg.prefix(3)), [0xFF, 0xD8, 0xFF])
            XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
            try Data(jpeg).write(to: URL(fileURLWithPath: out))
            // ffprobe, an independent reader, sees a 160×90 picture.
            let r = try runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", out])
            XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "160,90")
        }
    }
}
