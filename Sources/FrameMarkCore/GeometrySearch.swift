import Foundation

/// Finds where the marked picture lies in a copy from a few of its frames: the template's
/// constellation proposes linear maps (`TemplateSearch`), the fold gives each its translation
/// (`TemplateAlignment`), the tile's pilots judge between them and then climb to the geometry they
/// read best at (`TileReader`).
public struct GeometrySearch: Sendable {
    public let layout: TileLayout
    public let strength: Float

    public init(layout: TileLayout, strength: Float = 1) {
        self.layout = layout
        self.strength = strength
    }

    public struct Found: Sendable {
        public var geometry: CopyGeometry
        /// The pilots' z-score on the frames searched (`Σ Re / √(Σ R² / 2)`, at most √(2 · pilots)).
        public var pilotScore: Double
        /// The template's z-score in the spectrum.
        public var templateScore: Double
    }

    /// The geometry of the copy shown by `planes` (frames of one shot), or nil when no candidate's
    /// pilots read at all.
    public func locate(_ planes: [LumaPlane]) -> Found? {
        guard let first = planes.first else { return nil }
        let search = TemplateSearch(template: layout.template), alignment = TemplateAlignment(template: layout.template)
        let reduction = max(first.width, first.height) <= 1400 ? 1 : 2
        let whitened = planes.map { TemplateSpectrum.Whitened($0, reduction: reduction) }
        let judged = Array(planes.prefix(3))
        var best: (score: Double, template: Double, geometry: CopyGeometry)?
        for candidate in search.candidates(planes) {
            guard let aligned = alignment.align(whitened, linear: candidate.linear) else { continue }
            let score = pilotScore(judged, aligned.geometry)
            if score > best?.score ?? -.infinity { best = (score, candidate.score, aligned.geometry) }
        }
        guard let best, best.score > 3 else { return nil }
        let refined = refine(Array(planes.prefix(5)), from: best.geometry)
        return Found(geometry: refined.geometry, pilotScore: refined.score, templateScore: best.template)
    }

    /// The pilots' z-score at the best gain over `planes` under `geometry`.
    func pilotScore(_ planes: [LumaPlane], _ geometry: CopyGeometry) -> Double {
        var reader = TileReader(layout: layout, strength: strength)
        for plane in planes { reader.add(plane, geometry: geometry) }
        let sums = reader.pilotSums()
        guard let g = sums.indices.max(by: { sums[$0] < sums[$1] }) else { return 0 }
        let count = TileLayout.projectionCount
        var energy: Float = 0
        for j in layout.pilotProjections {
            energy += reader.real[g * count + j] * reader.real[g * count + j] + reader.imaginary[g * count + j] * reader.imaginary[g * count + j]
        }
        return Double(sums[g]) / max(Double(energy / 2).squareRoot(), 1e-9)
    }

    /// A coordinate climb on the pilots' score over the tile's position (reference pixels) and the
    /// four entries of the linear map (as a correction `I + E` applied in the copy, so that scale,
    /// turn and shear are all reachable), with steps halved four times.
    func refine(_ planes: [LumaPlane], from start: CopyGeometry) -> (geometry: CopyGeometry, score: Double) {
        // x' = L (r − s): the climb moves s, and L by `I + E`.
        let shift = start.linear.inverse.apply(-start.offsetX, -start.offsetY)
        func geometry(_ q: [Double]) -> CopyGeometry {
            let linear = LinearMap(a: 1 + q[2], b: q[3], c: q[4], d: 1 + q[5]) * start.linear
            let offset = linear.apply(-q[0], -q[1])
            return CopyGeometry(linear: linear, offsetX: offset.x, offsetY: offset.y)
        }
        var q = [shift.x, shift.y, 0, 0, 0, 0]
        var best = pilotScore(planes, geometry(q))
        var steps = [2.0, 2.0, 0.003, 0.003, 0.003, 0.003]
        for _ in 0..<5 {
            var improved = true
            var rounds = 0
            while improved && rounds < 8 {
                improved = false
                rounds += 1
                for d in q.indices {
                    for sign in [1.0, -1.0] {
                        var t = q
                        t[d] += sign * steps[d]
                        let s = pilotScore(planes, geometry(t))
                        if s > best { best = s; q = t; improved = true }
                    }
                }
            }
            steps = steps.map { $0 / 2 }
        }
        return (geometry(q), best)
    }
}
