import XCTest
@testable import FrameMarkForensics

final class RegionTests: XCTestCase {
    func testIntersectionOverUnion() {
        let a = Region(x: 0, y: 0, w: 0.5, h: 0.5)
        XCTAssertEqual(a.iou(a), 1, accuracy: 1e-12)
        XCTAssertEqual(a.iou(Region(x: 0.25, y: 0, w: 0.5, h: 0.5)), 0.125 / 0.375, accuracy: 1e-12)
        XCTAssertEqual(a.iou(Region(x: 0.6, y: 0.6, w: 0.2, h: 0.2)), 0)
    }
}
