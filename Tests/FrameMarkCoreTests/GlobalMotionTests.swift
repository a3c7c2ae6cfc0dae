@testable import FrameMarkCore
import XCTest

final class GlobalMotionTests: XCTestCase {
    private let width = 640, height = 360

    /// Estimates the motion between the formula picture and its exactly resampled copy under `truth`.
    private func assertRecovers(_ truth: GlobalMotion, _ name: String, width: Int = 640, height: Int = 360,
                                shiftTolerance: Double = 0.05, file: StaticString = #filePath, line: UInt = #line) {
        let previous = TestPlane.smooth(width: width, height: height, seed: 7)
        let current = TestPlane.smooth(width: width, height: height, seed: 7, motion: truth)
        let (a, b) = (previous.withLuma { MotionPlane($0) }, current.withLuma { MotionPlane($0) })
        let (m, residual) = GlobalMotionEstimator.estimate(from: a, to: b)
        print(String(format: "%@: true s %.5f dx %+.3f dy %+.3f, estimated s %.5f dx %+.4f dy %+.4f " +
                     "(errors %.1e, %+.4f, %+.4f px), residual %.3f levels",
                     name, truth.scale, truth.dx, truth.dy, m.scale, m.dx, m.dy,
                     m.scale / truth.scale - 1, m.dx - truth.dx, m.dy - truth.dy, residual))
        XCTAssertEqual(m.scale / truth.scale, 1, accuracy: 2e-4, "\(name): scale", file: file, line: line)
        XCTAssertEqual(m.dx, truth.dx, accuracy: shiftTolerance, "\(name): dx", file: file, line: line)
        XCTAssertEqual(m.dy, truth.dy, accuracy: shiftTolerance, "\(name): dy", file: file, line: line)
        XCTAssertLessThan(residual, 1, "\(name): a true match fits to rounding", file: file, line: line)
    }

    func testRecoversShift() { assertRecovers(GlobalMotion(scale: 1, dx: 2.3, dy: -1.7), "shift") }

    func testRecoversZoomAndShift() { assertRecovers(GlobalMotion(scale: 1.015, dx: -3.1, dy: 0.8), "zoom + shift") }

    func testRecoversZoomOnASizeTheBlocksDoNotDivide() {
        // 650 × 365: 3 × 3 blocks leave 2 columns and 2 rows out, the coarse level 2 columns and 5
        // rows; the levels' centres are off the frame's, which a zoom turns into a shift (0.015 px
        // on the fine level here, so the tolerance is tighter than the others').
        assertRecovers(GlobalMotion(scale: 0.985, dx: 1.2, dy: 2.6), "zoom, 650 × 365", width: 650, height: 365,
                       shiftTolerance: 0.006)
    }

    func testRecoversIdentity() { assertRecovers(.identity, "identity") }

    /// A flat box painted in over part of a panning picture is not another shot: the motion
    /// explains the rest, and the robust residual stays far under the cut threshold, where the
    /// plain one would not (measured here: plain RMS above 12 levels).
    func testAPaintedBoxIsNotACut() {
        let truth = GlobalMotion(scale: 1.004, dx: 3.2, dy: -1.1)
        let previous = TestPlane.smooth(width: width, height: height, seed: 11)
        let current = TestPlane.smooth(width: width, height: height, seed: 11, motion: truth)
        for y in 72..<216 { for x in 320..<544 { current.pixels[y * current.stride + x] = 235 } }
        let (m, residual) = GlobalMotionEstimator.estimate(from: previous.withLuma { MotionPlane($0) }, to: current.withLuma { MotionPlane($0) })
        print(String(format: "painted box: dx %+.3f dy %+.3f, robust residual %.2f", m.dx, m.dy, residual))
        XCTAssertLessThan(residual, GridTracker.cutResidual / 2)
        let other = TestPlane.smooth(width: width, height: height, seed: 12)
        XCTAssertGreaterThan(GlobalMotionEstimator.estimate(from: previous.withLuma { MotionPlane($0) }, to: other.withLuma { MotionPlane($0) }).residual,
                             GridTracker.cutResidual)
    }

    func testThenAppliesMotionsInTurn() {
        let first = GlobalMotion(scale: 1.02, dx: 3.5, dy: -2), second = GlobalMotion(scale: 0.97, dx: -1.25, dy: 4)
        let both = first.then(second)
        for (x, y) in [(0.0, 0.0), (1919.0, 1079.0), (700.5, 130.25)] {
            let once = first.map(x: x, y: y, width: 1920, height: 1080)
            let twice = second.map(x: once.x, y: once.y, width: 1920, height: 1080)
            let direct = both.map(x: x, y: y, width: 1920, height: 1080)
            XCTAssertEqual(direct.x, twice.x, accuracy: 1e-9)
            XCTAssertEqual(direct.y, twice.y, accuracy: 1e-9)
        }
        XCTAssertEqual(GlobalMotion.identity.then(first), first)
        XCTAssertEqual(first.then(.identity), first)
    }

    func testFlatPictureStaysAtIdentity() {
        let flat = TestPlane(width: width, height: height, pixels: [UInt8](repeating: 90, count: width * height))
        let plane = flat.withLuma { MotionPlane($0) }
        let (m, residual) = GlobalMotionEstimator.estimate(from: plane, to: plane)
        XCTAssertEqual(m, .identity)
        XCTAssertEqual(residual, 0)
    }

    func testResidualTellsAMatchFromAnUnrelatedPicture() {
        let a = TestPlane.smooth(width: width, height: height, seed: 7).withLuma { MotionPlane($0) }
        let moved = TestPlane.smooth(width: width, height: height, seed: 7, motion: GlobalMotion(scale: 1, dx: 1.4, dy: 0.6))
            .withLuma { MotionPlane($0) }
        let other = TestPlane.smooth(width: width, height: height, seed: 8).withLuma { MotionPlane($0) }
        let match = GlobalMotionEstimator.estimate(from: a, to: moved).residual
        let cut = GlobalMotionEstimator.estimate(from: a, to: other).residual
        print(String(format: "residual: match %.3f levels, unrelated %.3f levels", match, cut))
        XCTAssertLessThan(match, 1)
        XCTAssertGreaterThan(cut, 10)
    }

    func testLevelsAreBoxMeans() {
        // 1920 wide: 6 × 6 blocks (320 wide), then 12 × 12 (160 wide).
        let source = TestPlane.textured(width: 1920, height: 1080, seed: 2)
        let plane = source.withLuma { MotionPlane($0) }
        XCTAssertEqual(plane.factor, 6)
        XCTAssertEqual([plane.fine.width, plane.fine.height, plane.coarse.width, plane.coarse.height], [320, 180, 160, 90])
        func mean(_ x0: Int, _ y0: Int, _ n: Int) -> Float {
            var s = 0
            for y in y0..<(y0 + n) { for x in x0..<(x0 + n) { s += Int(source.pixels[y * 1920 + x]) } }
            return Float(s) / Float(n * n)
        }
        XCTAssertEqual(plane.fine.pixels[7 * 320 + 11], mean(66, 42, 6), accuracy: 1e-4)
        XCTAssertEqual(plane.coarse.pixels[89 * 160 + 159], mean(1908, 1068, 12), accuracy: 1e-4)
    }
}
