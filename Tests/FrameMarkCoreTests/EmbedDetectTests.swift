@testable import FrameMarkCore
import XCTest

final class EmbedDetectTests: XCTestCase {
    let message = Message(0x00C0_FFEE_1234_5678)

    /// `count` frames of a slowly panning texture, marked in order.
    func markedClip(key: String = "test-key", count: Int = 12, width: Int = 320, height: Int = 180,
                    strength: Float = 1, stride: Int? = nil) throws -> (marked: [TestPlane], originals: [TestPlane]) {
        let embedder = Embedder(layout: WatermarkLayout(key: try WatermarkKey(string: key)), message: message, strength: strength)
        var marked: [TestPlane] = [], originals: [TestPlane] = []
        for i in 0..<count {
            let original = TestPlane.textured(width: width, height: height, seed: 42, shift: i, stride: stride)
            let copy = TestPlane(width: width, height: height, stride: original.stride, pixels: original.pixels)
            try copy.withLuma { try embedder.embed(into: $0, timeSeconds: Double(i) / 25) }
            marked.append(copy)
            originals.append(original)
        }
        return (marked, originals)
    }

    func detect(_ planes: [TestPlane], key: String = "test-key") throws -> ClipVerdict {
        let analyzer = ClipAnalyzer(detector: FrameDetector(layout: WatermarkLayout(key: try WatermarkKey(string: key))))
        for (i, plane) in planes.enumerated() {
            analyzer.add(plane.withLuma { analyzer.detector.observe($0) }, index: i, timeSeconds: Double(i) / 25)
        }
        return analyzer.finish()
    }

    func testRoundTripReadsMessageAndEveryFrame() throws {
        let (marked, originals) = try markedClip()
        let verdict = try detect(marked)
        XCTAssertTrue(verdict.detected)
        XCTAssertEqual(verdict.message, message)
        XCTAssertLessThan(verdict.log10PValue, -20)
        XCTAssertEqual(verdict.hypothesis.orientation, Orientation.allCases[0])
        XCTAssertFalse(verdict.hypothesis.inverted)
        XCTAssertEqual(verdict.frames.filter(\.detected).count, marked.count)
        // Each frame reads its own quarter second.
        XCTAssertEqual(verdict.frames.map(\.timeCode), marked.indices.map { Int(Double($0) / 25 / WatermarkDesign.timeCodeSeconds) })
        // Invisible enough on a synthetic texture, and nothing is written outside the picture.
        for (m, o) in zip(marked, originals) { XCTAssertGreaterThan(m.psnr(against: o), 38) }
    }

    func testClippedRegionIsLeftOutAndTheRestCarriesTheMessage() throws {
        // The left third of every frame crushed to black, as a brightness cut clips shadows: the
        // projections there are erased, the others read the message and every frame.
        let (marked, _) = try markedClip(count: 16)
        for plane in marked {
            for y in 0..<plane.height { for x in 0..<(plane.width / 3) { plane.pixels[y * plane.stride + x] = 0 } }
        }
        let layout = WatermarkLayout(key: try WatermarkKey(string: "test-key"))
        let detector = FrameDetector(layout: layout)
        let observation = marked[0].withLuma { detector.observe($0) }
        let erased = detector.erasures(upright: observation.upright, turned: observation.turned, orientation: 0)
        let share = Double(erased.filter { $0 }.count) / Double(erased.count)
        XCTAssertEqual(share, 1.0 / 3, accuracy: 0.05)
        let verdict = try detect(marked)
        XCTAssertTrue(verdict.detected)
        XCTAssertEqual(verdict.message, message)
        XCTAssertEqual(verdict.frames.filter(\.detected).count, marked.count)
    }

    func testOddSizesAndPaddedStrides() throws {
        for (w, h, stride) in [(331, 187, 352), (97, 55, 97), (640, 361, 704)] {
            let (marked, originals) = try markedClip(count: 6, width: w, height: h, stride: stride)
            // Padding bytes beyond each row's width stay untouched.
            for (m, o) in zip(marked, originals) {
                for y in 0..<h { XCTAssertEqual(m.pixels[(y * stride + w)..<((y + 1) * stride)], o.pixels[(y * stride + w)..<((y + 1) * stride)]) }
            }
            let verdict = try detect(marked)
            XCTAssertTrue(verdict.detected, "\(w)x\(h)")
            XCTAssertEqual(verdict.message, message, "\(w)x\(h)")
        }
    }

    func testTooSmallPlaneThrows() throws {
        let embedder = Embedder(layout: WatermarkLayout(key: try WatermarkKey(string: "k")), message: message)
        let plane = TestPlane.textured(width: 40, height: 30, seed: 1)
        XCTAssertThrowsError(try plane.withLuma { try embedder.embed(into: $0, timeSeconds: 0) })
    }

    func testEveryOrientationAndInversionIsUndone() throws {
        let (marked, _) = try markedClip(count: 8)
        for orientation in Orientation.allCases {
            for invert in [false, true] {
                let attacked = marked.map { invert ? $0.oriented(orientation).inverted() : $0.oriented(orientation) }
                let verdict = try detect(attacked)
                XCTAssertTrue(verdict.detected, "\(orientation) inverted \(invert)")
                XCTAssertEqual(verdict.message, message, "\(orientation) inverted \(invert)")
                XCTAssertEqual(verdict.hypothesis.orientation, orientation)
                XCTAssertEqual(verdict.hypothesis.inverted, invert)
            }
        }
    }

    func testContrastChangeAndStrengthNeedNoSettings() throws {
        for strength: Float in [0.7, 2] {
            let (marked, _) = try markedClip(count: 8, strength: strength)
            let lowContrast = marked.map { p in
                TestPlane(width: p.width, height: p.height, stride: p.stride,
                          pixels: p.pixels.map { UInt8((Float($0) - 128) * 0.7 + 128) })
            }
            let verdict = try detect(lowContrast)
            XCTAssertTrue(verdict.detected, "strength \(strength)")
            XCTAssertEqual(verdict.message, message, "strength \(strength)")
        }
    }

    func testWrongKeyAndUnmarkedAreSilent() throws {
        let (marked, originals) = try markedClip(count: 12)
        let wrong = try detect(marked, key: "another-key")
        XCTAssertFalse(wrong.detected)
        XCTAssertNil(wrong.message)
        XCTAssertGreaterThan(wrong.log10PValue, -3)
        let unmarked = try detect(originals)
        XCTAssertFalse(unmarked.detected)
        XCTAssertNil(unmarked.message)
        XCTAssertEqual(unmarked.frames.filter(\.detected).count, 0)
    }

    func testStillPictureGetsTheSameMarkEveryFrame() throws {
        // The sticky mark: an unchanging picture is marked identically in every frame.
        let embedder = Embedder(layout: WatermarkLayout(key: try WatermarkKey(string: "k")), message: message)
        var frames: [[UInt8]] = []
        for i in 0..<5 {
            let plane = TestPlane.textured(width: 320, height: 180, seed: 9)
            try plane.withLuma { try embedder.embed(into: $0, timeSeconds: Double(i) / 25) }
            frames.append(plane.pixels)
        }
        for f in frames.dropFirst() {
            XCTAssertEqual(zip(f, frames[0]).filter { $0 != $1 }.count, 0, "pixels that differ from the first frame's")
        }
    }
}
