@testable import FrameMarkCore
import XCTest

/// A mark whose grid follows the picture (`GridTracker`, `embed --attached`).
final class AttachedGridTests: XCTestCase {
    let message = Message(0x00C0_FFEE_1234_5678)

    func grid(_ plane: TestPlane, _ geometry: GlobalMotion?, width: Int = 64, height: Int = 36) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        out.withUnsafeMutableBufferPointer { o in
            plane.withLuma { GridSampler.sample($0, grids: [(GridSampler(gridWidth: width, gridHeight: height, geometry: geometry), o)]) }
        }
        return out
    }

    func testShiftedGridReadsTheMovedPictureAsTheOriginalGrid() {
        let still = TestPlane.smooth(width: 640, height: 360, seed: 3)
        let shift = GlobalMotion(scale: 1, dx: 30, dy: -20)
        let moved = TestPlane.smooth(width: 640, height: 360, seed: 3, motion: shift)
        let reference = grid(still, nil), followed = grid(moved, shift)
        var inside = 0
        for c in reference.indices {
            let (x, y) = (c % 64, c / 64)
            // Cells of 10 × 10 pixels: the shift carries 3 columns out on the right, 2 rows at the top.
            if x >= 61 || y < 2 {
                XCTAssertEqual(followed[c], GridSampler.outside, "cell \(x),\(y)")
            } else {
                XCTAssertEqual(followed[c], reference[c], accuracy: 1e-3, "cell \(x),\(y)")
                inside += 1
            }
        }
        XCTAssertEqual(inside, 61 * 34)
        // The fixed grid of the moved picture is another grid altogether.
        let fixed = grid(moved, nil)
        XCTAssertGreaterThan(zip(fixed, reference).map { abs($0 - $1) }.max()!, 5)
    }

    func testZoomedGridMatchesTheZoomedPicture() {
        let still = TestPlane.smooth(width: 640, height: 360, seed: 5)
        let zoom = GlobalMotion(scale: 1.1, dx: 4.5, dy: 2.25)
        let moved = TestPlane.smooth(width: 640, height: 360, seed: 5, motion: zoom)
        let reference = grid(still, nil), followed = grid(moved, zoom)
        var worst: Float = 0, inside = 0
        for c in reference.indices where followed[c] != GridSampler.outside {
            worst = max(worst, abs(followed[c] - reference[c]))
            inside += 1
        }
        // A zoom re-renders the picture, so cells agree to resampling error, not exactly.
        XCTAssertLessThan(worst, 1.5)
        XCTAssertGreaterThan(inside, 64 * 36 * 70 / 100)
        XCTAssertLessThan(inside, 64 * 36)
    }

    func testCellsOutsideTheFrameAreErasedAndLeftUnmarked() throws {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "attached"))
        let geometry = GlobalMotion(scale: 1, dx: 40, dy: 0)
        let plane = TestPlane.smooth(width: 640, height: 360, seed: 9)
        let detector = FrameDetector(layout: layout)
        let observation = plane.withLuma { detector.observe($0, geometry: geometry) }
        let outside = detector.outside(upright: observation.upright, turned: observation.turned, orientation: 0)
        let erased = detector.erasures(upright: observation.upright, turned: observation.turned, orientation: 0)
        XCTAssertTrue(outside.contains(true))
        for i in outside.indices where outside[i] { XCTAssertTrue(erased[i]) }
        // Fixed grids never have any.
        let fixed = plane.withLuma { detector.observe($0) }
        XCTAssertEqual(detector.outside(upright: fixed.upright, turned: fixed.turned, orientation: 0), [])
        // The embedder paints nothing that the frame-fixed grid of the outside columns could carry:
        // the rightmost 40 pixels (past the shifted grid) change only through the blend of the edge cells.
        let embedder = Embedder(layout: layout, message: message)
        let copy = TestPlane(width: plane.width, height: plane.height, stride: plane.stride, pixels: plane.pixels)
        let analysis = try copy.withLuma { try embedder.analyze($0, geometry: geometry) }
        for c in analysis.grid.indices where analysis.grid[c] < 0 { XCTAssertEqual(analysis.mask[c], 0) }
        let field = embedder.decide(analysis, timeSeconds: 0)
        for c in analysis.grid.indices where analysis.grid[c] < 0 { XCTAssertEqual(field.values[c], 0) }
    }

    /// Frames of a picture that pans and zooms, marked with the grid following it, read back by a
    /// detector that tracks the motion itself; read frame-fixed, the later frames are lost.
    func testTrackedDetectorReadsAMarkThatMovesWithThePicture() throws {
        let key = try WatermarkKey(string: "attached")
        let layout = WatermarkLayout(key: key)
        let embedder = Embedder(layout: layout, message: message)
        let step = GlobalMotion(scale: 1.003, dx: 1.3, dy: -0.7)
        var embedTracker = GridTracker()
        var camera = GlobalMotion.identity
        var marked: [TestPlane] = []
        for i in 0..<20 {
            let plane = TestPlane.smooth(width: 640, height: 360, seed: 11, motion: camera)
            camera = camera.then(step)
            let place = plane.withLuma { embedTracker.advance(MotionPlane($0), timeSeconds: Double(i) / 25) }
            XCTAssertEqual(place.restarted, i == 0)
            try plane.withLuma { luma in
                let analysis = try embedder.analyze(luma, geometry: place.geometry)
                embedder.apply(embedder.decide(analysis, timeSeconds: Double(i) / 25, restart: place.afresh,
                                               arrangement: embedTracker.arrangement), to: luma, geometry: place.geometry)
            }
            marked.append(plane)
        }
        // The embedder's geometry followed the camera.
        XCTAssertEqual(embedTracker.geometry.scale, GridTracker.home.scale * camera.scale / step.scale, accuracy: 1e-3)
        XCTAssertEqual(embedTracker.geometry.dx, (camera.dx - step.dx) / step.scale, accuracy: 0.3)

        func read(tracked: Bool) -> ClipVerdict {
            let detector = FrameDetector(layout: layout)
            let analyzer = ClipAnalyzer(detector: detector)
            // The detector's own motion, from the marked frames, planned with no anchor: the clip
            // starts where the embedder started.
            let planes = marked.map { p in p.withLuma { MotionPlane($0) } }
            let steps = planes.indices.map { i in
                GridPlan.Step(timeSeconds: Double(i) / 25, fit: i == 0 ? nil : GlobalMotionEstimator.estimate(from: planes[i - 1], to: planes[i]))
            }
            let geometries = GridPlan.geometries(steps, width: 640, height: 360, anchors: [])
            for (i, plane) in marked.enumerated() {
                let observation = plane.withLuma { detector.observe($0, geometry: tracked ? geometries[i] : nil) }
                analyzer.add(observation, index: i, timeSeconds: Double(i) / 25)
            }
            return analyzer.finish()
        }
        let tracked = read(tracked: true)
        XCTAssertTrue(tracked.detected)
        XCTAssertEqual(tracked.message, message)
        XCTAssertEqual(tracked.frames.filter(\.detected).count, marked.count)
        let fixed = read(tracked: false)
        XCTAssertLessThan(fixed.frames.filter(\.detected).count, 3, "the grid is not the frame-fixed one: a fixed read loses it")
    }

    func testTrackerRestartsAtACutAndWhenTheGridLeavesTheFrame() {
        var tracker = GridTracker()
        let a = TestPlane.smooth(width: 320, height: 180, seed: 1), b = TestPlane.smooth(width: 320, height: 180, seed: 2)
        XCTAssertTrue(a.withLuma { tracker.advance(MotionPlane($0), timeSeconds: 0) }.restarted)
        XCTAssertFalse(a.withLuma { tracker.advance(MotionPlane($0), timeSeconds: 0.04) }.restarted)
        XCTAssertTrue(b.withLuma { tracker.advance(MotionPlane($0), timeSeconds: 0.08) }.restarted, "another picture: a cut")
        // A steady pan of 4 px per frame: the grid returns once it is 15% of the width out.
        var camera = GlobalMotion.identity
        var restarts: [Int] = []
        for i in 0..<20 {
            let plane = TestPlane.smooth(width: 320, height: 180, seed: 1, motion: camera)
            camera = camera.then(GlobalMotion(scale: 1, dx: 4, dy: 0))
            if plane.withLuma({ tracker.advance(MotionPlane($0), timeSeconds: 1 + Double(i) / 25) }).restarted { restarts.append(i) }
        }
        XCTAssertEqual(restarts, [0, 13], "a cut at the first frame, then 4 px × 13 > 48 px")
        // A still picture: back on the frame every `restartSeconds` all the same, but onto the
        // cells it already lay on, so the mark does not start afresh (only the first frame after
        // the pan does).
        let interval = Int((GridTracker.restartSeconds * 25).rounded())
        restarts = []
        var afresh: [Int] = []
        for i in 0..<(2 * interval + 10) {
            let place = a.withLuma { tracker.advance(MotionPlane($0), timeSeconds: 10 + Double(i) / 25) }
            if place.restarted { restarts.append(i) }
            if place.afresh { afresh.append(i) }
        }
        XCTAssertEqual(restarts, [0, interval, 2 * interval])
        XCTAssertEqual(afresh, [0])
        // The pan's restart carried a moved grid home: there the mark starts afresh.
        var panning = GridTracker()
        camera = .identity
        var panAfresh: [Int] = []
        for i in 0..<20 {
            let plane = TestPlane.smooth(width: 320, height: 180, seed: 1, motion: camera)
            camera = camera.then(GlobalMotion(scale: 1, dx: 4, dy: 0))
            let place = plane.withLuma { panning.advance(MotionPlane($0), timeSeconds: Double(i) / 25) }
            if place.afresh { panAfresh.append(i) }
        }
        XCTAssertEqual(panAfresh, [0, 13])
    }

    /// The detector's plan replays the embedder's restarts, and in a copy whose start was cut off
    /// picks the grid up again at the first anchor (a frame where the grid is on the frame again).
    func testPlanFollowsTheEmbeddersGridFromTheFirstAnchor() {
        let step = GlobalMotion(scale: 1.002, dx: 1.5, dy: -0.5)
        // The embedder's geometry over one shot of 25 fps: restarts every `restartSeconds`.
        let interval = Int((GridTracker.restartSeconds * 25).rounded()), count = 2 * interval + 30
        var truth: [GlobalMotion] = [], g = GlobalMotion.identity
        for i in 0..<count {
            g = (i % interval == 0) ? GridTracker.home : g.then(step)
            truth.append(g)
        }
        func assertSame(_ a: GlobalMotion, _ b: GlobalMotion, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(a.scale, b.scale, accuracy: 1e-9, what, file: file, line: line)
            XCTAssertEqual(a.dx, b.dx, accuracy: 1e-6, what, file: file, line: line)
            XCTAssertEqual(a.dy, b.dy, accuracy: 1e-6, what, file: file, line: line)
        }
        // The whole clip: no anchor needed, the interval's restarts are replayed.
        let whole = (0..<count).map { i in GridPlan.Step(timeSeconds: Double(i) / 25, fit: i == 0 ? nil : (step, 1.0)) }
        let planned = GridPlan.geometries(whole, width: 1280, height: 720, anchors: [])
        for i in 0..<count { assertSame(planned[i], truth[i], "frame \(i)") }
        XCTAssertEqual(GridPlan.unplaced(whole, anchors: [0, interval, 2 * interval], width: 1280, height: 720),
                       [Bool](repeating: false, count: count))
        // A copy that starts a third of an interval after a restart, with the anchor the
        // frame-fixed read finds at the next one.
        let offset = interval + interval / 3
        let copy = Array(whole[offset...]), anchor = 2 * interval - offset
        let trimmed = GridPlan.geometries(copy, width: 1280, height: 720, anchors: [anchor])
        for k in anchor..<copy.count { assertSame(trimmed[k], truth[k + offset], "frame \(k + offset)") }
        let beforeAnchor = (0..<copy.count).map { $0 < anchor }
        XCTAssertEqual(GridPlan.unplaced(copy, anchors: [anchor], width: 1280, height: 720), beforeAnchor)
        // The copy's first frame may read as an anchor too (the grid had drifted little): the
        // plan from it does not foresee the real one, so it is no proof of where the grid was.
        XCTAssertEqual(GridPlan.unplaced(copy, anchors: [0, anchor], width: 1280, height: 720), beforeAnchor)
        // Without the anchor, the copy's grid is wrongly taken to start at its first frame.
        let blind = GridPlan.geometries(copy, width: 1280, height: 720, anchors: [])
        XCTAssertGreaterThan(abs(blind[anchor + 15].dx - truth[anchor + 15 + offset].dx), 10)
        // A cut splits the plan: the shot after it starts on the frame.
        var cut = whole
        cut[70].fit = (step, 40)
        let split = GridPlan.geometries(cut, width: 1280, height: 720, anchors: [])
        XCTAssertEqual(split[70], GridTracker.home)
        assertSame(split[71], GridTracker.home.then(step), "after the cut")
        // A shot that begins at an anchor (the embedder restarted there) is placed; one that
        // begins without (a splice into the middle of an interval) is not, up to its first anchor.
        XCTAssertEqual(GridPlan.unplaced(cut, anchors: [0, 70], width: 1280, height: 720), [Bool](repeating: false, count: count))
        let spliced = GridPlan.unplaced(cut, anchors: [0, 75], width: 1280, height: 720)
        XCTAssertEqual(spliced, (0..<count).map { $0 >= 70 && $0 < 75 })
        XCTAssertEqual(GridPlan.unplaced(cut, anchors: [0], width: 1280, height: 720), (0..<count).map { $0 >= 70 })
        // A whole interval without an anchor is not marked footage (inserted footage): read as planned.
        var long = whole
        long[40].fit = (step, 40)
        XCTAssertEqual(GridPlan.unplaced(long, anchors: [0], width: 1280, height: 720), [Bool](repeating: false, count: count))
    }

    func testPlanStartsTheMarkAfreshWhereTheEmbedderDoesButNotAtAStillGridsRestarts() {
        let interval = Int((GridTracker.restartSeconds * 25).rounded()), count = 2 * interval + 10
        func fresh(_ motion: GlobalMotion, cutAt cut: Int? = nil) -> [Int] {
            var planner = GridPlan.Planner(width: 1280, height: 720)
            var out: [Int] = []
            for i in 0..<count {
                let step = GridPlan.Step(timeSeconds: Double(i) / 25, fit: i == 0 ? nil : (motion, i == cut ? 40 : 1.0))
                _ = planner.next(step, anchor: false)
                if planner.afresh { out.append(i) }
                XCTAssertTrue(!planner.afresh || planner.restarted, "frame \(i)")
            }
            return out
        }
        // A pan: every restart lays the mark anew (and takes the next arrangement).
        XCTAssertEqual(fresh(GlobalMotion(scale: 1, dx: 1.5, dy: 0)), [0, interval, 2 * interval])
        // A still shot restarts its grid onto the same cells: the mark, and its arrangement, hold.
        XCTAssertEqual(fresh(.identity), [0])
        // A cut starts it afresh whatever the motion.
        XCTAssertEqual(fresh(.identity, cutAt: 30), [0, 30])
    }
}
