@testable import FrameMarkCore
import XCTest

/// The geometry layer end to end on synthetic planes: the tiles and template are laid
/// (`TileEmbedder`), the copy is cropped, scaled or turned, and `GeometrySearch` + `TileReader`
/// find the geometry and read the exact message from the copy alone.
final class TileLayerTests: XCTestCase {
    let message = Message(0x00C0_FFEE_1234_5678)

    func marked(width: Int = 1280, height: Int = 720, seed: UInt64 = 11) throws -> (TestPlane, TileLayout) {
        let key = try WatermarkKey(string: "tiles")
        let layout = TileLayout(key: key)
        let frameEmbedder = Embedder(layout: WatermarkLayout(key: key), message: message)
        let tiles = TileEmbedder(layout: layout, message: message)
        let plane = TestPlane.smooth(width: width, height: height, seed: seed)
        try plane.withLuma { luma in
            let frame = try frameEmbedder.analyze(luma)
            tiles.addTemplate(to: luma, maskedBy: frame)
            let analysis = tiles.analyze(luma)
            tiles.apply(tiles.decide(analysis, width: width, height: height), to: luma)
        }
        return (plane, layout)
    }

    func read(_ copy: TestPlane, _ layout: TileLayout) -> (found: GeometrySearch.Found?, message: Message?) {
        copy.withLuma { luma in
            guard let found = GeometrySearch(layout: layout).locate([luma]) else { return (nil, nil) }
            var reader = TileReader(layout: layout)
            reader.add(luma, geometry: found.geometry)
            return (found, reader.message(gain: reader.bestGain))
        }
    }

    func testTheMarkedFrameReadsAtIdentity() throws {
        let (plane, layout) = try marked()
        var reader = TileReader(layout: layout)
        plane.withLuma { reader.add($0, geometry: CopyGeometry(linear: .identity, offsetX: 0, offsetY: 0)) }
        XCTAssertEqual(reader.message(gain: reader.bestGain), message)
        XCTAssertLessThan(reader.pilotLog10P(gain: reader.bestGain), -20)
        let (found, read) = self.read(plane, layout)
        XCTAssertEqual(read, message)
        let g = try XCTUnwrap(found).geometry
        XCTAssertEqual(g.linear.scaleX, 1, accuracy: 0.003)
        XCTAssertEqual(g.linear.scaleY, 1, accuracy: 0.003)
        XCTAssertEqual(g.linear.degrees, 0, accuracy: 0.1)
    }

    func testCropsScalesAndTurnsReadTheExactMessage() throws {
        let (plane, layout) = try marked()
        let cases: [(String, CopyGeometry, Int, Int)] = [
            ("crop 50% from (25%, 25%)", CopyGeometry(linear: .identity, offsetX: -320, offsetY: -180), 640, 360),
            ("9:16 window enlarged to 720x1280", CopyGeometry(linear: LinearMap(scaleX: 1.7778, scaleY: 1.7778, radians: 0), offsetX: -438 * 1.7778, offsetY: 0), 720, 1280),
            ("letterbox 0.5625 in 720x1280", CopyGeometry(linear: LinearMap(scaleX: 0.5625, scaleY: 0.5625, radians: 0), offsetX: 0, offsetY: 437), 720, 1280),
            ("rotation 10°", rotated(10, width: 1280, height: 720), 1280, 720),
        ]
        for (name, truth, w, h) in cases {
            let copy = plane.resampled(by: truth, width: w, height: h)
            let (found, read) = self.read(copy, layout)
            XCTAssertEqual(read, message, "\(name): found \(String(describing: found?.geometry)), score \(found?.pilotScore ?? 0), template \(found?.templateScore ?? 0)")
            guard let g = found?.geometry.linear else { XCTFail("\(name): no geometry"); continue }
            XCTAssertEqual(g.scaleX, truth.linear.scaleX, accuracy: 0.004 * truth.linear.scaleX, name)
            XCTAssertEqual(g.degrees, truth.linear.degrees, accuracy: 0.15, name)
        }
    }

    func testAnUnmarkedPictureAndAWrongKeyReadNothing() throws {
        let (plane, _) = try marked()
        let wrong = TileLayout(key: try WatermarkKey(string: "not the key"))
        XCTAssertNil(read(plane, wrong).message)
        let plain = TestPlane.smooth(width: 1280, height: 720, seed: 11)
        let (_, layout) = try marked()
        XCTAssertNil(read(plain, layout).message)
    }

    private func rotated(_ degrees: Double, width: Int, height: Int) -> CopyGeometry {
        let linear = LinearMap(scaleX: 1, scaleY: 1, radians: degrees * .pi / 180)
        let c = (Double(width) / 2, Double(height) / 2)
        let moved = linear.apply(c.0, c.1)
        return CopyGeometry(linear: linear, offsetX: c.0 - moved.x, offsetY: c.1 - moved.y)
    }
}
