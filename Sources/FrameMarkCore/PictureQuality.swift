/// Luma fidelity of one picture against another of the same size: squared error and SSIM.
public struct PictureQuality: Sendable {
    public var squaredError: Double
    public var pixels: Int
    public var ssimSum: Double
    public var ssimWindows: Int

    public init() { squaredError = 0; pixels = 0; ssimSum = 0; ssimWindows = 0 }

    /// Accumulates `a` against `b` (same size): squared error, and SSIM over 8×8 windows every
    /// 4 pixels (the windows of ffmpeg's ssim filter), C1 = (0.01·255)², C2 = (0.03·255)².
    public mutating func add(_ a: LumaPlane, _ b: LumaPlane) {
        precondition(a.width == b.width && a.height == b.height, "pictures differ in size")
        let w = a.width, h = a.height
        for y in 0..<h {
            for x in 0..<w {
                let d = Double(a.pixels[y * a.stride + x]) - Double(b.pixels[y * b.stride + x])
                squaredError += d * d
            }
        }
        pixels += w * h
        let c1 = 6.5025, c2 = 58.5225
        var y = 0
        while y + 8 <= h {
            var x = 0
            while x + 8 <= w {
                var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                for j in 0..<8 {
                    for i in 0..<8 {
                        let p = Double(a.pixels[(y + j) * a.stride + x + i]), q = Double(b.pixels[(y + j) * b.stride + x + i])
                        sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q
                    }
                }
                let n = 64.0
                let ma = sa / n, mb = sb / n
                let va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb
                ssimSum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                ssimWindows += 1
                x += 4
            }
            y += 4
        }
    }

    /// Luma PSNR in dB over everything added (infinite when identical).
    public var psnr: Double {
        guard pixels > 0, squaredError > 0 else { return .infinity }
        return 10 * log10(255 * 255 / (squaredError / Double(pixels)))
    }

    public var ssim: Double { ssimWindows > 0 ? ssimSum / Double(ssimWindows) : 1 }
}

import Foundation
