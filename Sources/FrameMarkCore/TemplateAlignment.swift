import Foundation

/// The translation that completes a linear map found by `TemplateSearch`: the copy's whitened
/// picture is folded onto one tile under the map (every copy of the tile added up), and the phases
/// of the template's sinusoids in the fold say where the tile starts. The half turn the spectrum
/// cannot see is settled here too: the fold under the map and under its negative are both tried.
struct TemplateAlignment {
    struct Alignment {
        var geometry: CopyGeometry
        /// How far the template's correlation at the chosen shift stands above its other shifts.
        var score: Double
    }

    let template: SyncTemplate
    /// Bins of the fold per side of the tile (4 reference pixels each).
    static let bins = 90

    /// The geometry of frames (whitened as the search read them) under `linear` or its negative.
    func align(_ frames: [TemplateSpectrum.Whitened], linear: LinearMap) -> Alignment? {
        var best: Alignment?
        for sign in [1.0, -1.0] {
            let map = linear * sign
            if let a = align(frames, map), a.score > best?.score ?? -.infinity { best = a }
        }
        return best
    }

    private func align(_ frames: [TemplateSpectrum.Whitened], _ linear: LinearMap) -> Alignment? {
        guard let first = frames.first else { return nil }
        let n = Self.bins, period = SyncTemplate.tilePeriod
        let inverse = linear.inverse
        var fold = [Double](repeating: 0, count: n * n), counts = [Double](repeating: 0, count: n * n)
        let r = Double(first.reduction)
        for frame in frames {
            for y in 0..<frame.height {
                let cy = (Double(y) + 0.5) * r
                for x in 0..<frame.width {
                    let p = inverse.apply((Double(x) + 0.5) * r, cy)
                    var u = p.x.truncatingRemainder(dividingBy: period), v = p.y.truncatingRemainder(dividingBy: period)
                    if u < 0 { u += period }
                    if v < 0 { v += period }
                    let i = min(Int(v / period * Double(n)), n - 1) * n + min(Int(u / period * Double(n)), n - 1)
                    fold[i] += Double(frame.values[y * frame.width + x])
                    counts[i] += 1
                }
            }
        }
        for i in fold.indices { fold[i] = counts[i] > 0 ? fold[i] / counts[i] : 0 }
        // The fold's Fourier coefficient at each template frequency, with the template's phase taken out:
        // fold(u) ≈ T(u + s) makes each one ≈ e^{2πi f·s}.
        let cell = period / Double(n)
        let coefficients = template.frequencies.enumerated().map { (k, f) -> (re: Double, im: Double) in
            var re = 0.0, im = 0.0
            for v in 0..<n {
                for u in 0..<n {
                    let a = 2 * Double.pi * (f.x * (Double(u) + 0.5) + f.y * (Double(v) + 0.5)) * cell
                    let value = fold[v * n + u]
                    re += value * cos(a)
                    im -= value * sin(a)
                }
            }
            let c = cos(template.phases[k]), s = sin(template.phases[k])
            return (re * c + im * s, im * c - re * s)
        }
        // C(s) = Σ Re(coefficient · e^{-2πi f·s}) over shifts 2 reference pixels apart, then finer near the best.
        func correlation(_ sx: Double, _ sy: Double) -> Double {
            var sum = 0.0
            for (k, f) in template.frequencies.enumerated() {
                let a = 2 * Double.pi * (f.x * sx + f.y * sy)
                sum += coefficients[k].re * cos(a) + coefficients[k].im * sin(a)
            }
            return sum
        }
        var best = (c: -Double.infinity, x: 0.0, y: 0.0)
        var sum = 0.0, squares = 0.0, count = 0.0
        for sy in stride(from: 0.0, to: period, by: 2) {
            for sx in stride(from: 0.0, to: period, by: 2) {
                let c = correlation(sx, sy)
                sum += c; squares += c * c; count += 1
                if c > best.c { best = (c, sx, sy) }
            }
        }
        let mean = sum / count, deviation = max(squares / count - mean * mean, 1e-18).squareRoot()
        for sy in stride(from: best.y - 2, through: best.y + 2, by: 0.25) {
            for sx in stride(from: best.x - 2, through: best.x + 2, by: 0.25) {
                let c = correlation(sx, sy)
                if c > best.c { best = (c, sx, sy) }
            }
        }
        // x' = linear (r − s): the offset is −linear · s.
        let offset = linear.apply(-best.x, -best.y)
        return Alignment(geometry: CopyGeometry(linear: linear, offsetX: offset.x, offsetY: offset.y),
                         score: (best.c - mean) / deviation)
    }
}
