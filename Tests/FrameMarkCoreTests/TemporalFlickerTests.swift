@testable import FrameMarkCore
import XCTest

final class TemporalFlickerTests: XCTestCase {
    func testSteadyDifferenceIsNotFlicker() {
        var flicker = TemporalFlicker()
        let source = TestPlane.textured(width: 64, height: 48, seed: 3)
        let brighter = TestPlane(width: 64, height: 48, pixels: source.pixels.map { $0 + 3 })
        for _ in 0..<4 { brighter.withLuma { a in source.withLuma { b in flicker.add(a, b) } } }
        XCTAssertEqual(flicker.rms, 0)
        XCTAssertEqual(flicker.tail, 0)
        XCTAssertEqual(flicker.peak, 0)
    }

    func testBlinkingPatchIsMeasuredInLevels() {
        // A 16 × 16 patch (4 of 64 blocks) 4 levels brighter in every other frame:
        // each frame-to-frame step changes those 4 blocks by 4 levels: RMS √(4 · 4² / 64) = 1.
        var flicker = TemporalFlicker()
        let source = TestPlane.textured(width: 64, height: 64, seed: 5)
        for frame in 0..<6 {
            let shown = TestPlane(width: 64, height: 64, pixels: source.pixels)
            if frame % 2 == 1 {
                for y in 16..<32 { for x in 24..<40 { shown.pixels[y * 64 + x] += 4 } }
            }
            shown.withLuma { a in source.withLuma { b in flicker.add(a, b) } }
        }
        XCTAssertEqual(flicker.rms, 1, accuracy: 1e-9)
        XCTAssertEqual(flicker.tail, 4, accuracy: 1e-9)
        XCTAssertEqual(flicker.peak, 4, accuracy: 1e-9)
    }

    func testStillPictureMarkDoesNotFlicker() throws {
        let embedder = Embedder(layout: WatermarkLayout(key: try WatermarkKey(string: "k")), message: Message(0x1234))
        var flicker = TemporalFlicker()
        var quality = PictureQuality()
        let source = TestPlane.textured(width: 320, height: 180, seed: 11)
        for i in 0..<5 {
            let marked = TestPlane(width: 320, height: 180, pixels: source.pixels)
            try marked.withLuma { try embedder.embed(into: $0, timeSeconds: Double(i) / 25) }
            marked.withLuma { a in source.withLuma { b in flicker.add(a, b); quality.add(a, b) } }
        }
        XCTAssertLessThan(quality.psnr, 60, "the frames carry a mark")
        XCTAssertEqual(flicker.rms, 0)
    }
}
