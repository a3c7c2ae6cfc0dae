@testable import FrameMarkCore
@testable import FrameMarkForensics
import XCTest

final class TamperLocatorTests: XCTestCase {
    /// The known-bit projections of a real layout, laid over the frame in orientation `o`.
    private func map(orientation o: Int) throws -> ProjectionMap {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "locator-test-key"))
        let n = layout.cellsPerProjection, oriented = layout.orientedCells[o]
        let swapped = Orientation.allCases[o].swapsAxes
        var cells: [Int32] = []
        for i in Array(layout.messageRange) + Array(layout.pilotRange) { cells.append(contentsOf: oriented[(i * n)..<((i + 1) * n)]) }
        return ProjectionMap(gridWidth: swapped ? layout.gridHeight : layout.gridWidth, gridHeight: swapped ? layout.gridWidth : layout.gridHeight,
                             cellsPerProjection: n, cells: cells, latticeOffsets: [[]], timeCells: [], timeDithers: [])
    }

    /// Box scores from prefix sums over the projections' block rectangles are the sums over the
    /// projections each box touches, for every box, upright and turned.
    func testPrefixSumBoxScoresMatchTheTouchTable() throws {
        var noise = TimelineTests.Noise(state: 42)
        for o in [0, 5] {
            let locator = TamperLocator(map: try map(orientation: o))
            XCTAssertTrue(locator.scoresByPrefixSums, "local blocks touch a rectangle of blocks each")
            let evidence = (0..<locator.projectionCount).map { _ in Float(-2 + 5 * noise.unit()) }
            var fast = [Float](repeating: 0, count: locator.boxes.count), direct = fast
            locator.addBoxScores(evidence, into: &fast)
            locator.addBoxScoresByTouch(evidence, into: &direct)
            var brute = [Float](repeating: 0, count: locator.boxes.count)
            for k in locator.boxes.indices { for p in 0..<locator.projectionCount where locator.touches(p, box: k) { brute[k] += evidence[p] } }
            for k in locator.boxes.indices {
                XCTAssertEqual(fast[k], brute[k], accuracy: 1e-3, "orientation \(o), box \(locator.boxes[k])")
                XCTAssertEqual(direct[k], brute[k], accuracy: 1e-3)
            }
        }
    }
}
