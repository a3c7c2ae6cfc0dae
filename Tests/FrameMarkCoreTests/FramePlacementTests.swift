@testable import FrameMarkCore
import XCTest

/// `FramePlacement` on synthetic planes: a frame marked with both layers on the grid the embedder
/// uses (`GridTracker.home`) is cropped, letterboxed or turned; the tiles' geometry is taken from
/// the copy (`GeometrySearch`) and the frame layer must then say which part of the original the
/// copy shows and where the picture sits in it.
final class FramePlacementTests: XCTestCase {
    let message = Message(0x00C0_FFEE_1234_5678)

    func marked(width: Int, height: Int) throws -> (TestPlane, WatermarkKey) {
        let key = try WatermarkKey(string: "placement")
        let frameEmbedder = Embedder(layout: WatermarkLayout(key: key), message: message)
        let tiles = TileEmbedder(layout: TileLayout(key: key), message: message)
        let plane = TestPlane.smooth(width: width, height: height, seed: 5)
        let home = GridTracker.home
        try plane.withLuma { luma in
            let frame = try frameEmbedder.analyze(luma, geometry: home)
            tiles.addTemplate(to: luma, maskedBy: frame, geometry: home)
            frameEmbedder.apply(frameEmbedder.decide(frame, timeSeconds: 0), to: luma, geometry: home)
            let analysis = tiles.analyze(luma, geometry: home)
            tiles.apply(tiles.decide(analysis, width: width, height: height), to: luma, geometry: home)
        }
        return (plane, key)
    }

    func placed(_ copy: TestPlane, key: WatermarkKey) throws -> (crop: FramePlacement.Region, padding: FramePlacement.Region) {
        try copy.withLuma { luma in
            let found = try XCTUnwrap(GeometrySearch(layout: TileLayout(key: key)).locate([luma]), "no geometry")
            let placement = try XCTUnwrap(FramePlacement.locate([luma], geometry: found.geometry, layout: WatermarkLayout(key: key), message: message), "not placed")
            return (placement.crop(geometry: found.geometry, width: luma.width, height: luma.height),
                    placement.padding(geometry: found.geometry, width: luma.width, height: luma.height))
        }
    }

    func testCropsLetterboxesAndTurnsArePlaced() throws {
        let whole = FramePlacement.Region(x: 0, y: 0, w: 1, h: 1)
        let cases: [(name: String, width: Int, height: Int, geometry: CopyGeometry, copyWidth: Int, copyHeight: Int,
                     crop: FramePlacement.Region, padding: FramePlacement.Region)] = [
            ("16:9, crop 60% from (35%, 10%)", 1280, 720, CopyGeometry(linear: .identity, offsetX: -448, offsetY: -72), 768, 432,
             FramePlacement.Region(x: 0.35, y: 0.1, w: 0.6, h: 0.6), whole),
            ("4:3 whole", 960, 720, CopyGeometry(linear: .identity, offsetX: 0, offsetY: 0), 960, 720, whole, whole),
            ("4:3, crop 70% from (0, 30%)", 960, 720, CopyGeometry(linear: .identity, offsetX: 0, offsetY: -216), 672, 504,
             FramePlacement.Region(x: 0, y: 0.3, w: 0.7, h: 0.7), whole),
            ("16:9 letterboxed into 720 × 1280", 1280, 720, CopyGeometry(linear: LinearMap(scaleX: 0.5625, scaleY: 0.5625, radians: 0), offsetX: 0, offsetY: 437.5), 720, 1280,
             whole, FramePlacement.Region(x: 0, y: 437.5 / 1280, w: 1, h: 405.0 / 1280)),
            ("16:9 on a canvas twice its size at (10%, 30%)", 1280, 720, CopyGeometry(linear: .identity, offsetX: 256, offsetY: 432), 2560, 1440,
             whole, FramePlacement.Region(x: 0.1, y: 0.3, w: 0.5, h: 0.5)),
        ]
        for c in cases {
            let (plane, key) = try marked(width: c.width, height: c.height)
            guard let (crop, padding) = try? placed(plane.resampled(by: c.geometry, width: c.copyWidth, height: c.copyHeight), key: key) else { XCTFail(c.name); continue }
            assertRegion(crop, c.crop, "\(c.name): crop")
            assertRegion(padding, c.padding, "\(c.name): padding")
        }
    }

    func testAnotherKeyPlacesNothing() throws {
        let (plane, key) = try marked(width: 1280, height: 720)
        try plane.withLuma { luma in
            let found = try XCTUnwrap(GeometrySearch(layout: TileLayout(key: key)).locate([luma]))
            XCTAssertNil(FramePlacement.locate([luma], geometry: found.geometry, layout: WatermarkLayout(key: try WatermarkKey(string: "another key")), message: message))
        }
    }

    private func assertRegion(_ found: FramePlacement.Region, _ expected: FramePlacement.Region, _ name: String) {
        XCTAssertEqual(found.x, expected.x, accuracy: 0.01, name)
        XCTAssertEqual(found.y, expected.y, accuracy: 0.01, name)
        XCTAssertEqual(found.w, expected.w, accuracy: 0.01, name)
        XCTAssertEqual(found.h, expected.h, accuracy: 0.01, name)
    }
}
