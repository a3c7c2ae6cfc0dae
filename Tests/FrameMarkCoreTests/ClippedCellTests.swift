@testable import FrameMarkCore
import XCTest

/// Cells partly clipped to black are erased whatever their mean (`FrameDetector.clippedShares`).
final class ClippedCellTests: XCTestCase {
    func testAPartlyBlackCellErasesItsProjectionsButAFewBlackPixelsDoNot() throws {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "clipped"))
        let detector = FrameDetector(layout: layout)
        // 640 × 360: cells of 10 × 10 pixels. A black region as a tone change leaves it: whole
        // cells (columns 14–19 from cell row 10 down) and the left 4 pixel columns of the cells
        // in columns 10–13 (a ragged edge), a few percent of the frame.
        var plane = TestPlane(width: 640, height: 360, pixels: [UInt8](repeating: 140, count: 640 * 360))
        for y in 100..<360 {
            for cx in 10...13 { for x in (cx * 10)..<(cx * 10 + 4) { plane.pixels[y * 640 + x] = 0 } }
            for x in 140..<200 { plane.pixels[y * 640 + x] = 0 }
        }
        let observation = plane.withLuma { detector.observe($0) }
        let cell = 10 * 64 + 11
        XCTAssertEqual(observation.upright[cell], 140 * 0.6, accuracy: 0.01, "the mean is far from black")
        XCTAssertEqual(Float(observation.clipped[cell]) / 255, 0.4, accuracy: 0.01)
        let erased = detector.erasures(upright: observation.upright, turned: observation.turned, orientation: 0, clipped: observation.clipped)
        let byMean = detector.erasures(upright: observation.upright, turned: observation.turned, orientation: 0)
        let holding = (0..<layout.projectionCount).filter { i in
            (0..<layout.cellsPerProjection).contains { Int(layout.orientedCells[0][i * layout.cellsPerProjection + $0]) == cell }
        }
        XCTAssertFalse(holding.isEmpty)
        for i in holding { XCTAssertTrue(erased[i]); XCTAssertFalse(byMean[i]) }
        // With the mean alone deciding (`share: nil`), the same as without shares.
        XCTAssertEqual(detector.erasures(upright: observation.upright, turned: observation.turned, orientation: 0,
                                         clipped: observation.clipped, share: nil), byMean)

        // A sprinkling of black pixels (an upscaled picture's overshoots) is not measured at all.
        var sprinkled = TestPlane(width: 640, height: 360, pixels: [UInt8](repeating: 140, count: 640 * 360))
        for i in Swift.stride(from: 0, to: 640 * 360, by: 997) { sprinkled.pixels[i] = 0 }
        XCTAssertEqual(sprinkled.withLuma { detector.observe($0) }.clipped, [])
    }
}
