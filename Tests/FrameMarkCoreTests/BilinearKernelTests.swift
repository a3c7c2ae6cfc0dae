@testable import FrameMarkCore
import TestSupport
import XCTest

/// The vectorised ramp kernel that paints the mark against a plain per-pixel bilinear reference.
final class BilinearKernelTests: XCTestCase {
    /// The straightforward kernel: per pixel, interpolate between the four nearest cell centres.
    static func reference(_ field: [Float], gw: Int, gh: Int, plane: TestPlane) {
        let w = plane.width, h = plane.height
        for y in 0..<h {
            let fy = min(max((Float(y) + 0.5) * Float(gh) / Float(h) - 0.5, 0), Float(gh - 1))
            let v0 = Int(fy), v1 = min(v0 + 1, gh - 1), ty = fy - Float(v0)
            for x in 0..<w {
                let fx = min(max((Float(x) + 0.5) * Float(gw) / Float(w) - 0.5, 0), Float(gw - 1))
                let u0 = Int(fx), u1 = min(u0 + 1, gw - 1), tx = fx - Float(u0)
                let top = field[v0 * gw + u0] * (1 - tx) + field[v0 * gw + u1] * tx
                let bottom = field[v1 * gw + u0] * (1 - tx) + field[v1 * gw + u1] * tx
                let v = Float(plane.pixels[y * plane.stride + x]) + top * (1 - ty) + bottom * ty
                plane.pixels[y * plane.stride + x] = UInt8(min(max(v.rounded(), 0), 255))
            }
        }
    }

    func testRampKernelMatchesReference() {
        var rng = SeededRandom(5)
        for (w, h, stride) in [(1280, 720, 1280), (333, 187, 352), (64, 36, 64), (100, 41, 128), (1921, 1081, 1984)] {
            let field = (0..<(64 * 36)).map { _ in (rng.unit() - 0.5) * 12 }
            let a = TestPlane.textured(width: w, height: h, seed: 3, stride: stride)
            let b = TestPlane(width: w, height: h, stride: stride, pixels: a.pixels)
            a.withLuma { Embedder.addBilinear(field, gridWidth: 64, gridHeight: 36, to: $0) }
            Self.reference(field, gw: 64, gh: 36, plane: b)
            var differing = 0, worst = 0
            for i in a.pixels.indices where a.pixels[i] != b.pixels[i] {
                differing += 1
                worst = max(worst, abs(Int(a.pixels[i]) - Int(b.pixels[i])))
            }
            // Float rounding may tip a value sitting on .5 the other way; nothing more.
            XCTAssertLessThanOrEqual(worst, 1, "\(w)x\(h)")
            XCTAssertLessThan(Double(differing) / Double(w * h), 0.002, "\(w)x\(h)")
        }
    }
}
