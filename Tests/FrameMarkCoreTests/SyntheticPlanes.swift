import TestSupport
import Foundation
@testable import FrameMarkCore


/// An owned 8-bit plane with a natural-looking texture: smooth blobs at two scales plus grain.
final class TestPlane {
    let width: Int, height: Int, stride: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, stride: Int? = nil, pixels: [UInt8]? = nil) {
        self.width = width
        self.height = height
        self.stride = stride ?? width
        self.pixels = pixels ?? [UInt8](repeating: 0, count: (stride ?? width) * height)
    }

    /// A textured picture; `shift` slides it horizontally (a slow pan across frames).
    static func textured(width: Int, height: Int, seed: UInt64, shift: Int = 0, stride: Int? = nil) -> TestPlane {
        let plane = TestPlane(width: width, height: height, stride: stride)
        var rng = SeededRandom(seed)
        let coarse = 24, fine = 6
        let cw = (width + shift) / coarse + 3, ch = height / coarse + 3
        let fw = (width + shift) / fine + 3, fh = height / fine + 3
        let a = (0..<(cw * ch)).map { _ in rng.unit() }
        let b = (0..<(fw * fh)).map { _ in rng.unit() }
        func lerp(_ g: [Float], _ gw: Int, _ x: Float, _ y: Float) -> Float {
            let x0 = Int(x), y0 = Int(y), tx = x - Float(x0), ty = y - Float(y0)
            let top = g[y0 * gw + x0] * (1 - tx) + g[y0 * gw + x0 + 1] * tx
            let bottom = g[(y0 + 1) * gw + x0] * (1 - tx) + g[(y0 + 1) * gw + x0 + 1] * tx
            return top * (1 - ty) + bottom * ty
        }
        var grain = SeededRandom(seed ^ 0xABCDEF)
        for y in 0..<height {
            for x in 0..<width {
                let sx = Float(x + shift)
                let v = 40 + 120 * lerp(a, cw, sx / Float(coarse), Float(y) / Float(coarse))
                    + 50 * lerp(b, fw, sx / Float(fine), Float(y) / Float(fine)) + 8 * (grain.unit() - 0.5)
                plane.pixels[y * plane.stride + x] = UInt8(max(16, min(235, v)))
            }
        }
        return plane
    }

    func withLuma<R>(_ body: (LumaPlane) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer { buffer in
            try body(LumaPlane(pixels: buffer, width: width, height: height, stride: stride))
        }
    }

    /// The picture as `orientation` would show it (rotation clockwise, then flip).
    func oriented(_ orientation: Orientation) -> TestPlane {
        let (ow, oh) = orientation.swapsAxes ? (height, width) : (width, height)
        let out = TestPlane(width: ow, height: oh)
        for y in 0..<height {
            for x in 0..<width {
                let (tx, ty) = orientation.map(u: x, v: y, w: width, h: height)
                out.pixels[ty * ow + tx] = pixels[y * stride + x]
            }
        }
        return out
    }

    func inverted() -> TestPlane {
        TestPlane(width: width, height: height, stride: stride, pixels: pixels.map { 255 - $0 })
    }

    func psnr(against other: TestPlane) -> Double {
        var se = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let d = Double(pixels[y * stride + x]) - Double(other.pixels[y * other.stride + x])
                se += d * d
            }
        }
        let mse = se / Double(width * height)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}

extension TestPlane {
    /// A smooth but textured picture given by a formula: a few seeded sinusoids (wavelengths 24 to
    /// 80 px) over value noise at two scales with smoothstep interpolation. Pixel q shows the formula
    /// at the content point that `motion` takes to q, so a moved copy is an exact resampling, not
    /// an interpolation of pixels. No grain: grain would not move with the picture.
    static func smooth(width: Int, height: Int, seed: UInt64, motion: GlobalMotion = .identity) -> TestPlane {
        let plane = TestPlane(width: width, height: height)
        var rng = SeededRandom(seed)
        let waves = (0..<5).map { _ in
            let angle = 2 * Double.pi * Double(rng.unit()), length = 24 + 56 * Double(rng.unit())
            return (kx: cos(angle) * 2 * .pi / length, ky: sin(angle) * 2 * .pi / length, phase: 2 * .pi * Double(rng.unit()))
        }
        // Lattices reach 64 px past every edge, for content points a motion brings in.
        let margin = 64.0
        func lattice(_ cell: Double) -> (cell: Double, columns: Int, values: [Double]) {
            let columns = Int((Double(width) + 2 * margin) / cell) + 3, rows = Int((Double(height) + 2 * margin) / cell) + 3
            return (cell, columns, (0..<(columns * rows)).map { _ in Double(rng.unit()) })
        }
        let noises = [(lattice(16), 60.0), (lattice(40), 40.0)]
        func noise(_ g: (cell: Double, columns: Int, values: [Double]), _ x: Double, _ y: Double) -> Double {
            let u = (x + margin) / g.cell, v = (y + margin) / g.cell
            let i = Int(u), j = Int(v)
            func fade(_ t: Double) -> Double { t * t * (3 - 2 * t) }
            let tx = fade(u - Double(i)), ty = fade(v - Double(j))
            let at = { (di: Int, dj: Int) in g.values[(j + dj) * g.columns + i + di] }
            let top = at(0, 0) + tx * (at(1, 0) - at(0, 0)), bottom = at(0, 1) + tx * (at(1, 1) - at(0, 1))
            return top + ty * (bottom - top) - 0.5
        }
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        for y in 0..<height {
            for x in 0..<width {
                let px = cx + (Double(x) - cx - motion.dx) / motion.scale
                let py = cy + (Double(y) - cy - motion.dy) / motion.scale
                var v = 128.0
                for w in waves { v += 10 * sin(w.kx * px + w.ky * py + w.phase) }
                for (g, amplitude) in noises { v += amplitude * noise(g, px, py) }
                plane.pixels[y * width + x] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        return plane
    }
}
