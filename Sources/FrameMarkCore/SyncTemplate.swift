import Foundation

/// The synchronisation template: a key-derived constellation of sinusoids whose sum repeats with
/// the mark's tile, added faintly to every frame so that a copy's power spectrum shows peaks
/// where the constellation lies, whatever part of the frame was kept. The peaks' positions give
/// the copy's linear geometry (scale along each axis, rotation, mirroring); their phases the
/// position of the tile. See docs/algorithm.md, "Geometry".
public struct SyncTemplate: Sendable {
    /// Side of the tile, in reference pixels (1/720 of the marked frame's height): small enough
    /// that a 50% × 50% crop or a full-height 9:16 window of a 16:9 frame holds a whole tile.
    public static let tilePeriod: Double = 360
    /// Number of sinusoids. Fewer and stronger peaks would stand out more each, but a keyed
    /// constellation of many is what tells the template from a picture's own periodic textures.
    public static let count = 32
    /// Radii of the constellation on the tile's reciprocal lattice, in cycles per tile: periods
    /// of 9–22.5 reference pixels, fine enough that the picture's own spectrum is weak there and
    /// coarse enough to outlive H.264 and a halving of the picture.
    public static let radii: ClosedRange<Double> = 16...40

    /// Frequencies in cycles per reference pixel (x, y), one half plane (a real sinusoid's
    /// spectrum is symmetric).
    public let frequencies: [(x: Double, y: Double)]
    /// Phases in radians.
    public let phases: [Double]

    public init(key: WatermarkKey) {
        var candidates: [(Int, Int)] = []
        let r = Int(Self.radii.upperBound)
        for n in 0...r {
            for m in -r...r where n > 0 || m > 0 {
                let radius = (Double(m * m + n * n)).squareRoot()
                if Self.radii.contains(radius) { candidates.append((m, n)) }
            }
        }
        var rng = key.stream("framemark/v5/template")
        for i in 0..<Self.count {
            candidates.swapAt(i, i + rng.next(below: candidates.count - i))
        }
        frequencies = candidates.prefix(Self.count).map { (Double($0.0) / Self.tilePeriod, Double($0.1) / Self.tilePeriod) }
        phases = (0..<Self.count).map { _ in 2 * Double.pi * rng.nextUnit() }
    }

    /// The template's value at a reference point, of unit RMS.
    public func value(_ x: Double, _ y: Double) -> Double {
        var sum = 0.0
        for (k, f) in frequencies.enumerated() { sum += cos(2 * .pi * (f.x * x + f.y * y) + phases[k]) }
        return sum / (Double(frequencies.count) / 2).squareRoot()
    }

    /// The template over one whole tile, `samples` values per reference pixel along each axis
    /// (`(360 · samples)²` values, row-major), equal to `value` at each point. Each sinusoid is
    /// split as cos(a + b) = cos a cos b − sin a sin b, its terms tabulated once per column and
    /// per row: two multiply-adds a point instead of a cosine.
    public func table(samples: Int) -> [Float] {
        let n = Int(Self.tilePeriod) * samples
        let norm = 1 / (Double(frequencies.count) / 2).squareRoot()
        var out = [Double](repeating: 0, count: n * n)
        for (k, f) in frequencies.enumerated() {
            let cx = (0..<n).map { cos(2 * .pi * f.x * Double($0) / Double(samples) + phases[k]) }
            let sx = (0..<n).map { sin(2 * .pi * f.x * Double($0) / Double(samples) + phases[k]) }
            out.withUnsafeMutableBufferPointer { o in
                for v in 0..<n {
                    let b = 2 * .pi * f.y * Double(v) / Double(samples), cb = cos(b), sb = sin(b)
                    let row = o.baseAddress! + v * n
                    for u in 0..<n { row[u] += cx[u] * cb - sx[u] * sb }
                }
            }
        }
        return out.map { Float($0 * norm) }
    }

    /// Adds `level` luma levels RMS of the template to the plane, laid on the frame with the
    /// reference pixel `plane.height / 720` (rounded and clamped). Each pixel costs two
    /// multiply-adds per sinusoid: cos(a + b) = cos a cos b − sin a sin b, with the terms of the
    /// columns tabulated once and those of a row computed once per row.
    public func add(to plane: LumaPlane, level: Float) {
        let w = plane.width, h = plane.height, k = frequencies.count
        let unit = Double(h) / 720
        let norm = Double(level) / (Double(k) / 2).squareRoot()
        var columnCos = [Float](repeating: 0, count: k * w), columnSin = [Float](repeating: 0, count: k * w)
        for (i, f) in frequencies.enumerated() {
            for x in 0..<w {
                let a = 2 * Double.pi * f.x * (Double(x) + 0.5) / unit + phases[i]
                columnCos[i * w + x] = Float(cos(a) * norm)
                columnSin[i * w + x] = Float(sin(a) * norm)
            }
        }
        var row = [Float](repeating: 0, count: w)
        let magic: Float = 12_582_912, magicBits = magic.bitPattern
        for y in 0..<h {
            for x in 0..<w { row[x] = 0 }
            for (i, f) in frequencies.enumerated() {
                let b = 2 * Double.pi * f.y * (Double(y) + 0.5) / unit
                let cb = Float(cos(b)), sb = Float(sin(b))
                columnCos.withUnsafeBufferPointer { cc in
                    columnSin.withUnsafeBufferPointer { ss in
                        let base = i * w
                        for x in 0..<w { row[x] += cc[base + x] * cb - ss[base + x] * sb }
                    }
                }
            }
            let pixels = plane.pixels.baseAddress! + y * plane.stride
            for x in 0..<w {
                let v = min(max(Float(pixels[x]) + row[x], 0), 255)
                pixels[x] = UInt8(truncatingIfNeeded: (v + magic).bitPattern &- magicBits)
            }
        }
    }
}
