import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// Still images through FFmpeg's own image codecs: a 1280 × 720 picture made from the bundled
/// sample's first frame (and an RGBA one with a drawn alpha channel) is marked into PNG, JPEG and
/// WebP, checked with ffprobe and ffmpeg as oracles, and read back; copies recompressed, turned
/// and inverted with the ffmpeg command line read the exact message; 16-bit PNGs stay 16-bit,
/// EXIF-turned and CMYK JPEGs are marked as viewed; unmarked pictures and a wrong key read
/// nothing; bad input is refused with one clear error and no output.
final class ImageWatermarkingTests: XCTestCase {
    static let message = Message(0x00C0_FFEE_1234_5678)
    static let key = try! WatermarkKey(string: "image-key")
    nonisolated(unsafe) static var images: ClipFactory!
    nonisolated(unsafe) static var source: String!

    override class func setUp() {
        super.setUp()
        images = try? ClipFactory("images")
        source = try? images?.ffmpeg(["-i", RepositorySamples.astronautPan, "-frames:v", "1", "-pix_fmt", "rgb24"], output: "source.png")
    }

    override class func tearDown() {
        images?.cleanUp()
        super.tearDown()
    }

    private func mark(_ input: String, _ name: String, quality: Int = 92) throws -> String {
        let output = Self.images.path(name)
        _ = try ImageWatermarking(quality: quality).run(input: input, output: output, key: Self.key, message: Self.message)
        return output
    }

    /// The message `detect` reads: the frame layer, else the geometry layer.
    private func read(_ path: String, key: WatermarkKey = ImageWatermarkingTests.key) throws -> (detected: Bool, message: Message?) {
        let report = try WatermarkDetection(jobs: 2, quiet: true).run(input: path, key: key)
        if report.verdict.detected, let message = report.verdict.message { return (true, message) }
        let geometry = try GeometryDetection().run(input: path, key: key)
        return (geometry?.detected ?? false, geometry?.message)
    }

    private func lumaPSNR(_ a: String, _ b: String) throws -> Double {
        let r = try runCommand("ffmpeg", ["-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v]format=yuv444p[a];[1:v]format=yuv444p[b];[a][b]psnr", "-f", "null", "-"])
        let line = try XCTUnwrap(r.stderr.split(separator: "\n").last { $0.contains("PSNR y:") }, r.stderr)
        let value = line[line.range(of: "y:")!.upperBound...].prefix { !$0.isWhitespace }
        return try XCTUnwrap(Double(value))
    }

    func testEachFormatIsWrittenByItsCodecAndReads() throws {
        let source = try XCTUnwrap(Self.source, "the source picture could not be made")
        for (name, codec) in [("marked.png", "png"), ("marked.jpg", "mjpeg"), ("marked.webp", "webp")] {
            let marked = try mark(source, name)
            XCTAssertEqual(try Oracle.videoStreamEntry(marked, "codec_name"), codec, name)
            XCTAssertEqual(try Oracle.videoStreamEntry(marked, "width"), "1280", name)
            XCTAssertEqual(try Oracle.videoStreamEntry(marked, "height"), "720", name)
            let verdict = try read(marked)
            XCTAssertTrue(verdict.detected, name)
            XCTAssertEqual(verdict.message, Self.message, name)
        }
        // The mark alone (the lossless PNG against the source).
        XCTAssertGreaterThanOrEqual(try lumaPSNR(Self.images.path("marked.png"), source), 42)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: Self.images.folder.path).filter { $0.contains(".framemark-") }
        XCTAssertEqual(leftovers, [], "temporary files left beside the outputs")
    }

    func testRecompressedTurnedAndInvertedCopiesRead() throws {
        let marked = try mark(try XCTUnwrap(Self.source), "for-copies.png")
        for (name, arguments) in [("jpeg75.jpg", ["-q:v", "6"]), ("webp75.webp", ["-c:v", "libwebp", "-quality", "75"]),
                                  ("half.png", ["-vf", "scale=640:360"]), ("invert.png", ["-vf", "negate"]),
                                  ("rot90.png", ["-vf", "transpose=1"]), ("rotate5.png", ["-vf", "rotate=5*PI/180"])] {
            let copy = try Self.images.ffmpeg(["-i", marked] + arguments + ["-frames:v", "1"], output: name)
            let verdict = try read(copy)
            XCTAssertTrue(verdict.detected, name)
            XCTAssertEqual(verdict.message, Self.message, name)
        }
    }

    func testUnmarkedPicturesAndAWrongKeyReadNothing() throws {
        let source = try XCTUnwrap(Self.source)
        XCTAssertFalse(try read(source).detected)
        let marked = try mark(source, "wrong-key.png")
        let verdict = try read(marked, key: try WatermarkKey(string: "another key"))
        XCTAssertFalse(verdict.detected)
        XCTAssertNil(verdict.message)
    }

    func testAlphaIsKeptAndColourMoves() throws {
        // An RGBA picture whose alpha is a drawn gradient.
        let rgba = try Self.images.ffmpeg(["-i", try XCTUnwrap(Self.source), "-vf", "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='255*X/W'"],
                                          output: "rgba.png")
        let marked = try mark(rgba, "rgba-marked.png")
        XCTAssertEqual(try Oracle.videoStreamEntry(marked, "pix_fmt"), "rgba")
        let alpha = { (path: String) throws -> String in
            let r = try runCommand("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-vf", "alphaextract", "-f", "md5", "-"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout
        }
        XCTAssertEqual(try alpha(marked), try alpha(rgba), "the alpha channel is untouched")
        XCTAssertEqual(try read(marked).message, Self.message)
    }

    func testPicturesStoredTurnedOrMirroredAreMarkedAsViewed() throws {
        // JPEGs whose EXIF orientation says how to turn or mirror them to view, written by hand.
        let stored = try Self.images.ffmpeg(["-i", try XCTUnwrap(Self.source), "-vf", "scale=640:360", "-q:v", "3"], output: "stored.jpg")
        let plain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        for orientation: UInt8 in [2, 3, 5, 6, 8] {
            var bytes = plain
            let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]
            let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
            bytes.insert(contentsOf: [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload, at: 2)
            let turned = Self.images.path("orientation-\(orientation).jpg")
            try Data(bytes).write(to: URL(fileURLWithPath: turned))
            let upright = Self.images.path("upright-\(orientation).png")
            let summary = try ImageWatermarking().run(input: turned, output: upright, key: Self.key, message: Self.message)
            XCTAssertEqual(summary.appliedOrientation, Int(orientation))
            let sideways = orientation >= 5
            XCTAssertEqual(summary.width, sideways ? 360 : 640, "orientation \(orientation)")
            XCTAssertEqual(summary.height, sideways ? 640 : 360, "orientation \(orientation)")
            // As the ffmpeg command line shows it: it turns by the same tag (it does not mirror, so
            // the mirrored ones are checked against ffmpeg's own mirror of the stored picture).
            let view = orientation == 2 ? ["-vf", "hflip"] : orientation == 5 ? ["-vf", "transpose=cclock_flip"] : []
            let viewed = try Self.images.ffmpeg(["-i", orientation == 2 || orientation == 5 ? stored : turned] + view + ["-frames:v", "1"],
                                                output: "viewed-\(orientation).png")
            XCTAssertGreaterThan(try lumaPSNR(upright, viewed), 40, "orientation \(orientation)")
            XCTAssertEqual(try read(upright).message, Self.message, "orientation \(orientation)")
        }
    }

    func testSixteenBitPicturesStaySixteenBit() throws {
        let source = try XCTUnwrap(Self.source)
        for format in ["rgb48be", "rgba64be", "gray16be"] {
            let deep = try Self.images.ffmpeg(["-i", source, "-vf", "format=\(format)"], output: "\(format).png")
            let marked = try mark(deep, "\(format)-marked.png")
            XCTAssertEqual(try Oracle.videoStreamEntry(marked, "pix_fmt"), format)
            XCTAssertGreaterThanOrEqual(try lumaPSNR(marked, deep), 42, format)
            XCTAssertEqual(try read(marked).message, Self.message, format)
        }
        // Into an 8-bit format when the extension asks for one.
        let jpeg = try mark(Self.images.path("rgb48be.png"), "from-16-bit.jpg")
        XCTAssertEqual(try read(jpeg).message, Self.message)
    }

    func testACMYKJPEGIsMarkedAsTheRGBPictureFFmpegShows() throws {
        // Flat 8 × 8 blocks of seeded random ink: a picture with detail for the mark.
        let bytes = CMYKJPEG.bytes(width: 320, height: 192) { c, bx, by in
            var z = UInt64(c * 1_000_003 + bx * 1009 + by) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
            return UInt8(40 + (z >> 33) % 211)
        }
        let cmyk = Self.images.path("cmyk.jpg")
        try Data(bytes).write(to: URL(fileURLWithPath: cmyk))
        XCTAssertEqual(try Oracle.videoStreamEntry(cmyk, "pix_fmt"), "gbrap", "FFmpeg reads the handmade file as CMYK")
        let marked = try mark(cmyk, "cmyk-marked.png")
        XCTAssertEqual(try Oracle.videoStreamEntry(marked, "pix_fmt"), "rgb24", "a JPEG's fourth component is ink, not alpha")
        let shown = try Self.images.ffmpeg(["-i", cmyk, "-pix_fmt", "rgb24", "-frames:v", "1"], output: "cmyk-shown.png")
        XCTAssertGreaterThanOrEqual(try lumaPSNR(marked, shown), 40)
        XCTAssertEqual(try read(marked).message, Self.message)
    }

    func testBadInputIsRefusedWithoutOutput() throws {
        let source = try XCTUnwrap(Self.source)
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        let truncated = Self.images.path("truncated.png")
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: truncated))
        let out = Self.images.path("from-truncated.png")
        XCTAssertThrowsError(try ImageWatermarking().run(input: truncated, output: out, key: Self.key, message: Self.message)) { error in
            XCTAssertTrue("\(error)".contains("truncated.png"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertThrowsError(try WatermarkDetection(jobs: 2, quiet: true).run(input: truncated, key: Self.key)) { error in
            XCTAssertTrue("\(error)".contains("truncated.png: no picture could be decoded"), "\(error)")
        }
        XCTAssertThrowsError(try ImageWatermarking().run(input: source, output: source, key: Self.key, message: Self.message)) { error in
            XCTAssertTrue("\(error)".contains("overwrite the input"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: source)), data, "the input is untouched")
        let tiny = try Self.images.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=48x32", "-frames:v", "1"], output: "tiny.png")
        XCTAssertThrowsError(try ImageWatermarking().run(input: tiny, output: Self.images.path("tiny-marked.png"), key: Self.key, message: Self.message)) { error in
            XCTAssertTrue("\(error)".contains("too small"), "\(error)")
        }
    }
}
