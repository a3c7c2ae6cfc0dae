@testable import FrameMarkCore
import XCTest

/// Placing a frame's grid by its pilots (`GridSearch`).
final class GridSearchTests: XCTestCase {
    func testFindsAGridMarkedOffThePlannedShiftAndZoom() throws {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "grid-search"))
        let embedder = Embedder(layout: layout, message: Message(0x00C0_FFEE_1234_5678))
        let truth = GlobalMotion(scale: 0.953, dx: 7.3, dy: -4.6)
        let plane = TestPlane.smooth(width: 640, height: 360, seed: 21)
        try plane.withLuma { luma in
            let analysis = try embedder.analyze(luma, geometry: truth)
            embedder.apply(embedder.decide(analysis, timeSeconds: 0, restart: true), to: luma, geometry: truth)
        }
        let detector = FrameDetector(layout: layout)
        let planned = GlobalMotion(scale: 0.95, dx: 0, dy: 0)
        let score = { (g: GlobalMotion) in plane.withLuma { detector.pilotScores(detector.observe($0, geometry: g), under: [.identity])[0] } }
        XCTAssertLessThan(score(planned), 4, "half a cell off, the pilots read nothing")
        let found = plane.withLuma { GridSearch(detector: detector).search($0, around: planned, under: .identity) }
        // Cells are 10 pixels: a quarter cell is 2.5, and the parabola takes the shift within a pixel.
        XCTAssertEqual(found.geometry.dx, truth.dx, accuracy: 1)
        XCTAssertEqual(found.geometry.dy, truth.dy, accuracy: 1)
        XCTAssertEqual(found.geometry.scale, truth.scale, accuracy: 0.002)
        XCTAssertGreaterThan(score(found.geometry), 8)
    }
}
