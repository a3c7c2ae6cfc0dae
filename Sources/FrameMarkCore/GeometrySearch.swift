import Foundation

/// Finds where the marked picture lies in a copy from a few of its frames: the template's
/// constellation proposes linear maps (`TemplateSearch`), the fold gives each its translation
/// (`TemplateAlignment`), the tile's pilots judge between them and then climb to the geometry they
/// read best at (`TileReader`).
public struct GeometrySearch: Sendable {
    public let layout: TileLayout
    public let strength: Float

    /// The template score below which a candidate is not judged by the pilots.
    public static let leastTemplateScore = 6.0

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
        var judgedCandidates: [(score: Double, template: Double, geometry: CopyGeometry)] = []
        // A constellation no stronger than a picture's own texture makes (unmarked frames score up
        // to about 5.8 in the copies measured) is not worth the pilots' time.
        let strong = search.candidates(planes).filter { $0.score >= Self.leastTemplateScore }
        let judgements = parallelMap(strong.count) { i -> (score: Double, template: Double, geometry: CopyGeometry)? in
            guard let aligned = alignment.align(whitened, linear: strong[i].linear) else { return nil }
            return (pilotScore(judged, aligned.geometry), strong[i].score, aligned.geometry)
        }
        judgedCandidates = judgements.compactMap { $0 }
        // The template's estimate is within a pixel or so; the pilots need a fraction of one, so
        // the two candidates they like best are refined before they are compared.
        var best: Found?
        var refined: [CopyGeometry] = []
        for c in judgedCandidates.sorted(by: { $0.score > $1.score }).prefix(2) where c.score > 1.5 {
            // The constellation of one geometry can be found twice (in two bands, or a half
            // turn apart in a flipped orientation): the tile lies the same, so once is enough.
            guard !refined.contains(where: { Self.sameTiling($0, c.geometry) }) else { continue }
            refined.append(c.geometry)
            let refined = refine(Array(planes.prefix(5)), from: c.geometry)
            if refined.score > best?.pilotScore ?? -.infinity {
                best = Found(geometry: refined.geometry, pilotScore: refined.score, templateScore: c.template)
            }
        }
        guard let best, best.pilotScore > 4 else { return nil }
        return best
    }

    /// Whether two geometries lay the tile alike: linear maps within half a percent, origins a
    /// whole number of tiles apart to within a reference pixel and a half.
    static func sameTiling(_ a: CopyGeometry, _ b: CopyGeometry) -> Bool {
        let l = a.linear, m = b.linear
        let size = abs(l.a) + abs(l.b) + abs(l.c) + abs(l.d)
        guard abs(l.a - m.a) + abs(l.b - m.b) + abs(l.c - m.c) + abs(l.d - m.d) <= 0.005 * size else { return false }
        let origin = a.referencePoint(b.offsetX, b.offsetY), period = SyncTemplate.tilePeriod
        let rx = origin.x - (origin.x / period).rounded() * period, ry = origin.y - (origin.y / period).rounded() * period
        return rx * rx + ry * ry <= 1.5 * 1.5
    }

    /// The pilots' z-score at the best gain over `planes` under `geometry` (of `gains` only, when given).
    func pilotScore(_ planes: [LumaPlane], _ geometry: CopyGeometry, region: (Double, Double, Double, Double)? = nil,
                    gains: Range<Int>? = nil) -> Double {
        pilotReading(planes, geometry, region: region, gains: gains).score
    }

    /// The pilots' z-score at the best gain, and that gain.
    func pilotReading(_ planes: [LumaPlane], _ geometry: CopyGeometry, region: (Double, Double, Double, Double)? = nil,
                      gains: Range<Int>? = nil) -> (score: Double, gain: Int) {
        var reader = TileReader(layout: layout, strength: strength, gains: gains)
        for plane in planes { reader.add(plane, geometry: geometry, region: region) }
        let sums = reader.pilotSums()
        guard let g = sums.indices.max(by: { sums[$0] < sums[$1] }) else { return (0, 0) }
        let count = TileLayout.projectionCount
        var energy: Float = 0
        for j in layout.pilotProjections {
            energy += reader.real[g * count + j] * reader.real[g * count + j] + reader.imaginary[g * count + j] * reader.imaginary[g * count + j]
        }
        return (Double(sums[g]) / max(Double(energy / 2).squareRoot(), 1e-9), g)
    }

    /// Gains either side of the one found that the climb reads: the copy's contrast does not
    /// change as the geometry moves by a fraction of a pixel, and the window (±12%) spares
    /// nine tenths of the phasors.
    static let climbGainWindow = 8

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
        let first = pilotReading(planes, geometry(q))
        var best = first.score
        let window = (first.gain - Self.climbGainWindow)..<(first.gain + Self.climbGainWindow + 1)
        func pilotScore(_ planes: [LumaPlane], _ geometry: CopyGeometry) -> Double {
            self.pilotScore(planes, geometry, gains: window)
        }
        // The pilots read only where the cells are a fraction of a pixel from where the embedder
        // had them (half a pixel off halves the score), so the climb alternates a grid over the
        // shift with a coordinate climb over everything, each finer than the last.
        func grid(radius: Double, step: Double) {
            let origin = q
            var points: [[Double]] = []
            for dy in stride(from: -radius, through: radius, by: step) {
                for dx in stride(from: -radius, through: radius, by: step) where dx != 0 || dy != 0 {
                    var t = origin
                    t[0] += dx
                    t[1] += dy
                    points.append(t)
                }
            }
            let scores = parallelMap(points.count) { pilotScore(planes, geometry(points[$0])) }
            for (t, s) in zip(points, scores) where s > best { best = s; q = t }
        }
        func climb(_ start: [Double], halvings: Int) {
            var steps = start
            for _ in 0..<halvings {
                var improved = true, rounds = 0
                while improved && rounds < 8 {
                    improved = false
                    rounds += 1
                    for d in q.indices {
                        // Both directions at once: when the first is taken, the second would be
                        // tried from there and land back where the climb was, which is no better.
                        let tries = [1.0, -1.0].map { sign in var t = q; t[d] += sign * steps[d]; return t }
                        let scores = parallelMap(2) { pilotScore(planes, geometry(tries[$0])) }
                        if let i = scores.indices.first(where: { scores[$0] > best }) { best = scores[i]; q = tries[i]; improved = true }
                    }
                }
                steps = steps.map { $0 / 2 }
            }
        }
        if let g = registered(planes, geometry(q), gains: window) {
            // Back into the climb's parameters: the correction is `g.linear · start.linear⁻¹`. Kept
            // only when the whole copy reads better there (a quadrant with too little picture can
            // report a wrong shift).
            let e = g.linear * start.linear.inverse
            let s = g.linear.inverse.apply(-g.offsetX, -g.offsetY)
            let t = [s.x, s.y, e.a - 1, e.b, e.c, e.d - 1]
            let score = pilotScore(planes, geometry(t))
            if score > best { best = score; q = t }
        }
        grid(radius: 1, step: 0.5)
        climb([0.5, 0.5, 0.001, 0.001, 0.001, 0.001], halvings: 3)
        grid(radius: 0.75, step: 0.25)
        climb([0.25, 0.25, 0.0006, 0.0006, 0.0006, 0.0006], halvings: 3)
        return (geometry(q), best)
    }

    /// The geometry corrected by local registration: each quadrant of the copy finds the shift
    /// (half a pixel apart, two pixels either way) at which its own pilots read best, and the
    /// affine correction that moves the quadrants' centres by their shifts is fitted. A linear map
    /// a fraction of a percent off leaves each part of the copy a pixel or two off in its own
    /// direction, beyond what a climb on the whole copy finds.
    func registered(_ planes: [LumaPlane], _ geometry: CopyGeometry, gains: Range<Int>? = nil) -> CopyGeometry? {
        guard let first = planes.first else { return nil }
        let w = Double(first.width), h = Double(first.height)
        var points: [(x: Double, y: Double, dx: Double, dy: Double, weight: Double)] = []
        let quadrants = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
        let shifts = stride(from: -2.0, through: 2.0, by: 0.5).flatMap { dy in stride(from: -2.0, through: 2.0, by: 0.5).map { dx in (dx, dy) } }
        let searched = Array(planes.prefix(3))
        let scores = parallelMap(quadrants.count * shifts.count) { i -> Double in
            let (qx, qy) = quadrants[i / shifts.count], (dx, dy) = shifts[i % shifts.count]
            var g = geometry
            g.offsetX += dx
            g.offsetY += dy
            return pilotScore(searched, g, region: (qx * w / 2, qy * h / 2, (qx + 1) * w / 2, (qy + 1) * h / 2), gains: gains)
        }
        for (n, (qx, qy)) in quadrants.enumerated() {
            var best = (score: -Double.infinity, dx: 0.0, dy: 0.0)
            for (i, (dx, dy)) in shifts.enumerated() where scores[n * shifts.count + i] > best.score {
                best = (scores[n * shifts.count + i], dx, dy)
            }
            if best.score > 3 { points.append(((qx + 0.5) * w / 2, (qy + 0.5) * h / 2, best.dx, best.dy, best.score)) }
        }
        guard points.count >= 3 else { return nil }
        // d(x') = J (x' − x̄) + d̄, weighted least squares for each component.
        let total = points.reduce(0) { $0 + $1.weight }
        let mx = points.reduce(0) { $0 + $1.weight * $1.x } / total, my = points.reduce(0) { $0 + $1.weight * $1.y } / total
        let mdx = points.reduce(0) { $0 + $1.weight * $1.dx } / total, mdy = points.reduce(0) { $0 + $1.weight * $1.dy } / total
        let centred = points.map { p in ((p.x - mx, p.y - my), (p.dx - mdx, p.dy - mdy), p.weight) }
        guard let j = LinearMap.fitted(centred, degenerate: 1e-9) else { return nil }
        // x' = L r + t + J (x' − x̄) + d̄  ⇒  x' = (I − J)⁻¹ (L r + t + d̄ − J x̄).
        let m = LinearMap(a: 1 - j.a, b: -j.b, c: -j.c, d: 1 - j.d).inverse
        let jx = j.apply(mx, my)
        let t = m.apply(geometry.offsetX + mdx - jx.x, geometry.offsetY + mdy - jx.y)
        return CopyGeometry(linear: m * geometry.linear, offsetX: t.x, offsetY: t.y)
    }
}
