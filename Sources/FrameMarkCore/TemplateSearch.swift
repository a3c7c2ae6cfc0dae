import Foundation

/// Finds the synchronisation template's constellation in a copy's spectrum: the linear part of
/// the copy's geometry (scale along each axis, rotation within ±16°, the flips and quarter turns),
/// whatever was cropped, padded or shifted. Candidates come out best first; the tile's pilots
/// judge between them (the spectrum alone can mistake a picture's own texture for a peak).
struct TemplateSearch {
    struct Candidate {
        /// How far the constellation stands above the spectrum's background (a z-score).
        var score: Double
        /// Reference pixels → copy pixels, up to a half turn (the spectrum cannot tell ±).
        var linear: LinearMap
    }

    let template: SyncTemplate
    private let transform = FourierTransform2D(size: TemplateSpectrum.size)

    /// The four orientations the magnitude spectrum can tell apart (a half turn looks the same):
    /// upright, mirrored left-right, transposed, and a quarter turn.
    static let orientations: [LinearMap] = [
        .identity, LinearMap(a: -1, b: 0, c: 0, d: 1), LinearMap(a: 0, b: 1, c: 1, d: 0), LinearMap(a: 0, b: -1, c: 1, d: 0),
    ]
    static let maxDegrees = 16.0
    /// Scales searched, copy pixels per reference pixel: a quarter of a 720p original up to twice a
    /// 4K one; each band is read on a spectrum reduced so that the peaks sit well inside it.
    static let scales: ClosedRange<Double> = 0.2...6.4
    /// Peaks closer than this to DC (in bins) are not counted: the whitened spectrum is not flat there.
    static let innerBins = 16.0

    init(template: SyncTemplate) { self.template = template }

    /// Candidate linear maps for the frames of one shot of the copy, best first.
    func candidates(_ planes: [LumaPlane], keep: Int = 8) -> [Candidate] {
        guard let first = planes.first else { return [] }
        // The top band is read at full resolution for copies up to 1400 pixels, at half above.
        let top = max(first.width, first.height) <= 1400 ? 1 : 2
        var bands: [(spectrum: TemplateSpectrum, scales: ClosedRange<Double>)] = []
        var low = Self.scales.lowerBound
        var reduction = top
        while low < Self.scales.upperBound {
            let high = min(1.4 * Double(reduction), Self.scales.upperBound)
            let frames = planes.map { TemplateSpectrum.Whitened($0, reduction: reduction) }
            guard frames[0].width >= 64, frames[0].height >= 64 else { break }
            bands.append((TemplateSpectrum(frames, transform: transform), low...high))
            low = high * 0.85
            reduction *= 2
        }
        let peaks = bands.map { Self.maximum5x5($0.spectrum) }
        let stats = peaks.map { Self.statistics($0) }
        let scales = bands.map { Self.logSteps($0.scales, step: 0.02) }
        let turns = stride(from: -Self.maxDegrees, through: Self.maxDegrees, by: 1.4).map { $0 * .pi / 180 }
        let jobs = bands.indices.flatMap { b in Self.orientations.indices.flatMap { o in turns.map { (b, o, $0) } } }
        let scanned = parallelMap(jobs.count) { i -> (score: Double, sx: Double, sy: Double, radians: Double, orientation: Int, band: Int)? in
            let (b, o, r) = jobs[i]
            return scan(peaks[b], reduction: bands[b].spectrum.reduction, scalesX: scales[b], scalesY: scales[b], radians: r,
                        orientation: o, statistics: stats[b]).map { ($0.score, $0.sx, $0.sy, r, o, b) }
        }
        // Sorted by score, ties in the order scanned, so the candidates are the same on any machine.
        let coarse = scanned.enumerated().compactMap { i, c in c.map { (i, $0) } }
            .sorted { $0.1.score != $1.1.score ? $0.1.score > $1.1.score : $0.0 < $1.0 }.map(\.1)
        var distinct: [(score: Double, sx: Double, sy: Double, radians: Double, orientation: Int, band: Int)] = []
        for c in coarse where distinct.count < keep {
            let near = distinct.contains { d in
                d.orientation == c.orientation && abs(log(c.sx / d.sx)) <= 0.05 && abs(log(c.sy / d.sy)) <= 0.05
                    && abs(c.radians - d.radians) <= 3 * .pi / 180
            }
            if !near { distinct.append(c) }
        }
        let found = parallelMap(distinct.count) { i -> Candidate? in
            let c = distinct[i]
            let spectrum = bands[c.band].spectrum
            let stats = Self.statistics(spectrum.values)
            let lo = log(min(c.sx, c.sy)) - 0.03, hi = log(max(c.sx, c.sy)) + 0.03
            let scales = stride(from: lo, through: hi, by: 0.004).map { exp($0) }
            var best: (score: Double, sx: Double, sy: Double, radians: Double)?
            for step in -7...7 {
                let r = c.radians + Double(step) * 0.2 * .pi / 180
                if let s = scan(spectrum.values, reduction: spectrum.reduction, scalesX: scales, scalesY: scales, radians: r,
                                orientation: c.orientation, statistics: stats),
                   s.score > best?.score ?? -.infinity {
                    best = (s.score, s.sx, s.sy, r)
                }
            }
            guard let best else { return nil }
            let linear = LinearMap(scaleX: best.sx, scaleY: best.sy, radians: best.radians) * Self.orientations[c.orientation]
            return Candidate(score: best.score, linear: fitPeaks(spectrum, around: linear))
        }
        return found.compactMap { $0 }.sorted { $0.score > $1.score }
    }

    /// The best stretch (x, y) for one turn and orientation: the mean z-score of the constellation's
    /// bins, as a z-score of its own (n bins of a spectrum of mean μ and deviation σ).
    private func scan(_ spectrum: [Float], reduction: Int, scalesX: [Double], scalesY: [Double], radians: Double,
                      orientation: Int, statistics: (mean: Double, deviation: Double)) -> (score: Double, sx: Double, sy: Double)? {
        let n = TemplateSpectrum.size, k = template.frequencies.count
        let turn = LinearMap(scaleX: 1, scaleY: 1, radians: radians) * Self.orientations[orientation]
        let g = template.frequencies.map { turn.apply($0.x, $0.y) }
        // Bins along each axis for each scale; Int.min where a peak falls outside the band.
        let binsPerCycle = Double(n * reduction)
        func bins(_ scales: [Double], _ component: (Int) -> Double) -> [Double] {
            var out = [Double](repeating: 0, count: scales.count * k)
            for (i, s) in scales.enumerated() { for j in 0..<k { out[i * k + j] = component(j) / s * binsPerCycle } }
            return out
        }
        let bx = bins(scalesX) { g[$0].x }, by = bins(scalesY) { g[$0].y }
        let (mu, sigma) = statistics
        let limit = Double(n / 2 - 1), inner = Self.innerBins * Self.innerBins
        // Each peak's column (and row offset) per scale, -1 outside the band, and its squared
        // distance along the axis, worked out once rather than for every pair of scales.
        func placed(_ b: [Double], stride: Int) -> (index: [Int], square: [Double]) {
            (b.map { abs($0) < limit ? ((Int($0.rounded()) + n) % n) * stride : -1 }, b.map { $0 * $0 })
        }
        let (columns, xx) = placed(bx, stride: 1), (rows, yy) = placed(by, stride: n)
        var best: (score: Double, sx: Double, sy: Double)?
        spectrum.withUnsafeBufferPointer { s in
            for (iy, sy) in scalesY.enumerated() {
                for (ix, sx) in scalesX.enumerated() {
                    var sum: Float = 0, count = 0
                    for j in 0..<k {
                        let column = columns[ix * k + j], row = rows[iy * k + j]
                        guard column >= 0, row >= 0, xx[ix * k + j] + yy[iy * k + j] >= inner else { continue }
                        sum += s[row + column]
                        count += 1
                    }
                    guard count * 4 >= k * 3 else { continue }
                    let z = (Double(sum) - Double(count) * mu) / (Double(count).squareRoot() * sigma)
                    if z > best?.score ?? -.infinity { best = (z, sx, sy) }
                }
            }
        }
        return best
    }

    /// The linear map refined on the peaks themselves: each peak is looked for within 2 bins of
    /// where `linear` puts it and placed to a fraction of a bin by a parabola through its
    /// neighbours; the map is the weighted least-squares fit of the peaks that stand out (z > 2).
    func fitPeaks(_ spectrum: TemplateSpectrum, around linear: LinearMap) -> LinearMap {
        let n = Double(TemplateSpectrum.size), perCycle = n * Double(spectrum.reduction)
        // A copy frequency is linear⁻ᵀ applied to a reference frequency.
        let toBins = linear.inverse.transposed * perCycle
        var peaks: [(from: (x: Double, y: Double), to: (x: Double, y: Double), weight: Double)] = []
        for f in template.frequencies {
            let b = toBins.apply(f.x, f.y)
            let radius = (b.x * b.x + b.y * b.y).squareRoot()
            guard radius >= Self.innerBins, radius < n / 2 - 3 else { continue }
            let x0 = Int(b.x.rounded()), y0 = Int(b.y.rounded())
            var best = (z: -Float.infinity, dx: 0, dy: 0)
            for dy in -2...2 { for dx in -2...2 where spectrum.at(x0 + dx, y0 + dy) > best.z { best = (spectrum.at(x0 + dx, y0 + dy), dx, dy) } }
            guard best.z > 2, abs(best.dx) < 2, abs(best.dy) < 2 else { continue }
            func vertex(_ m: Float, _ c: Float, _ p: Float) -> Double {
                let d = m - 2 * c + p
                return d >= 0 ? 0 : Double(0.5 * (m - p) / d)
            }
            let px = Double(x0 + best.dx) + vertex(spectrum.at(x0 + best.dx - 1, y0 + best.dy), best.z, spectrum.at(x0 + best.dx + 1, y0 + best.dy))
            let py = Double(y0 + best.dy) + vertex(spectrum.at(x0 + best.dx, y0 + best.dy - 1), best.z, spectrum.at(x0 + best.dx, y0 + best.dy + 1))
            peaks.append(((f.x, f.y), (px, py), Double(best.z)))
        }
        // A fit on few peaks is noisier than the scan that found them (it can shear the map).
        guard peaks.count >= 12, let m = LinearMap.fitted(peaks, degenerate: 1e-18) else { return linear }
        // bins = perCycle · linear⁻ᵀ f  ⇒  linear = (M / perCycle)⁻ᵀ.
        return (m * (1 / perCycle)).transposed.inverse
    }

    /// Each bin replaced by the largest of its 5 × 5 neighbourhood (wrapping): the coarse search
    /// steps far enough that a peak may fall up to two bins from where a step puts it.
    static func maximum5x5(_ spectrum: TemplateSpectrum) -> [Float] {
        let n = TemplateSpectrum.size
        var rows = [Float](repeating: 0, count: n * n), out = [Float](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                var m = -Float.infinity
                for d in -2...2 { m = max(m, spectrum.values[y * n + (x + d + n) % n]) }
                rows[y * n + x] = m
            }
        }
        for y in 0..<n {
            for x in 0..<n {
                var m = -Float.infinity
                for d in -2...2 { m = max(m, rows[((y + d + n) % n) * n + x]) }
                out[y * n + x] = m
            }
        }
        return out
    }

    static func statistics(_ values: [Float]) -> (mean: Double, deviation: Double) {
        var sum = 0.0, squares = 0.0
        for v in values { sum += Double(v); squares += Double(v) * Double(v) }
        let mean = sum / Double(values.count)
        return (mean, max(squares / Double(values.count) - mean * mean, 1e-12).squareRoot())
    }

    static func logSteps(_ range: ClosedRange<Double>, step: Double) -> [Double] {
        stride(from: log(range.lowerBound), through: log(range.upperBound), by: step).map { exp($0) }
    }
}
