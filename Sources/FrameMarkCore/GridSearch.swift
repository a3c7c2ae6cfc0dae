/// Finds where a frame's grid lies near the geometry it was expected at, by the frame's pilots.
///
/// A grid that follows the picture is placed by the chain of motions since its last restart. The
/// detector's chain can miss the embedder's: after a splice the frames belong to a grid that
/// moved for a part of the original the copy no longer has, and a picture pasted over part of a
/// pan pulls the detector's motion fit (not the embedder's, which saw the source). The mark itself
/// says where its grid is: the frame is sampled once on cells a quarter of the grid's (one pass
/// over the pixels), every shift of the grid by whole eighths of a cell up to a cell either way
/// is read from those sums, under a few zooms, and the best by the pilots' score is refined on the
/// parabola through its neighbours, then (`refine`) on the frame itself. The lattice is sharp: a
/// grid read 5 pixels off on a 720p copy scored z 2.6 where it scored 13 in place, since the
/// host's own projections, which the embedder cancelled, come back.
///
/// The pilots choose the shift, so a frame read this way says nothing more through its pilots;
/// its test is on the message's bits, which took no part in the choice (see
/// `WatermarkDetection`'s placing pass).
public struct GridSearch: Sendable {
    /// Eighths of a cell along each axis.
    public static let subdivision = 8
    /// Shifts tried: up to this many eighths of a cell either way, along each axis.
    public static let reach = 8

    let detector: FrameDetector

    public init(detector: FrameDetector) {
        self.detector = detector
    }

    /// Zooms tried about the geometry's: a fit pulled by a pasted picture, or a stretch placed a
    /// few frames of a zoom off, is off in zoom as well as shift (0.3% moves the edge of a 720p
    /// grid by 2 pixels).
    public static let zooms: [Double] = [0.994, 0.997, 1, 1.003, 1.006]

    /// The geometry near `geometry` (its zoom × one of `zooms`, shifted by up to a cell along each
    /// axis) at which the frame's pilots score best under `hypothesis`, and that score (from the
    /// eighth-cell sums, not yet the frame read there).
    public func search(_ plane: LumaPlane, around geometry: GlobalMotion, under hypothesis: Hypothesis) -> (geometry: GlobalMotion, score: Double) {
        Self.zooms.map { z in
            shifted(plane, around: GlobalMotion(scale: geometry.scale * z, dx: geometry.dx, dy: geometry.dy), under: hypothesis)
        }.max { $0.score < $1.score }!
    }

    /// Climbs from `start` on the frame read exactly (not from eighth-cell sums): steps of the
    /// zoom and of each shift, kept while the pilots score better, halved `rounds` times. The
    /// sums place a grid to a fraction of an eighth of a cell; the lattice wants it within a
    /// pixel (on a 720p test copy a 0.27% zoom error, 1.7 pixels at the edges, cost 40% of the score).
    public func refine(_ plane: LumaPlane, from start: Placed, under hypothesis: Hypothesis, rounds: Int = 3) -> Placed {
        var best = start
        var zoom = 0.001, shift = 0.6
        for _ in 0..<rounds {
            var improved = true
            while improved {
                improved = false
                let g = best.geometry
                for candidate in [GlobalMotion(scale: g.scale * (1 + zoom), dx: g.dx, dy: g.dy), GlobalMotion(scale: g.scale * (1 - zoom), dx: g.dx, dy: g.dy),
                                  GlobalMotion(scale: g.scale, dx: g.dx + shift, dy: g.dy), GlobalMotion(scale: g.scale, dx: g.dx - shift, dy: g.dy),
                                  GlobalMotion(scale: g.scale, dx: g.dx, dy: g.dy + shift), GlobalMotion(scale: g.scale, dx: g.dx, dy: g.dy - shift)] {
                    let read = self.read(plane, at: candidate, under: hypothesis)
                    if read.score > best.score { best = read; improved = true }
                }
            }
            zoom /= 2
            shift /= 2
        }
        return best
    }

    /// A frame read at one geometry: the observation and its pilots' score under a hypothesis.
    public struct Placed: Sendable {
        public let geometry: GlobalMotion
        public let score: Double
        public let observation: FrameObservation
    }

    /// The frame observed at `geometry` (the quarter-turned grid only if `hypothesis` needs it)
    /// and scored under `hypothesis`.
    public func read(_ plane: LumaPlane, at geometry: GlobalMotion, under hypothesis: Hypothesis) -> Placed {
        let observation = detector.observe(plane, geometry: geometry, quarterTurns: hypothesis.orientation.swapsAxes)
        return Placed(geometry: geometry, score: detector.pilotScores(observation, under: [hypothesis])[0], observation: observation)
    }

    /// The best shift of `geometry` by up to a cell along each axis.
    private func shifted(_ plane: LumaPlane, around geometry: GlobalMotion, under hypothesis: Hypothesis) -> (geometry: GlobalMotion, score: Double) {
        let layout = detector.layout
        let swaps = hypothesis.orientation.swapsAxes
        // The grid this hypothesis reads: upright (64 × 36) or quarter-turned (36 × 64).
        let cw = swaps ? layout.gridHeight : layout.gridWidth, ch = swaps ? layout.gridWidth : layout.gridHeight
        let n = Self.subdivision, fw = cw * n, fh = ch * n, r = Self.reach
        var fine = [Float](repeating: 0, count: fw * fh)
        fine.withUnsafeMutableBufferPointer { GridSampler(gridWidth: fw, gridHeight: fh, geometry: geometry).sample(plane, into: $0) }
        let sums = FractionSums(fine, width: fw, height: fh)
        let unused = [Float](repeating: 0, count: cw * ch)
        var scores = [Double](repeating: -.infinity, count: (2 * r + 1) * (2 * r + 1))
        var grid = [Float](repeating: 0, count: cw * ch)
        for b in -r...r {
            for a in -r...r {
                for y in 0..<ch {
                    for x in 0..<cw { grid[y * cw + x] = sums.cell(x0: n * x + a, y0: n * y + b, size: n) }
                }
                let observation = FrameObservation(upright: swaps ? unused : grid, turned: swaps ? grid : unused, detail: 0)
                scores[(b + r) * (2 * r + 1) + (a + r)] = detector.pilotScores(observation, under: [hypothesis])[0]
            }
        }
        let best = scores.indices.max { scores[$0] < scores[$1] }!
        let (row, column) = best.quotientAndRemainder(dividingBy: 2 * r + 1)
        func at(_ a: Int, _ b: Int) -> Double? {
            guard abs(a) <= r, abs(b) <= r else { return nil }
            return scores[(b + r) * (2 * r + 1) + (a + r)]
        }
        let a = column - r, b = row - r
        // The peak of the parabola through the best shift and its two neighbours, along each axis.
        func vertex(_ minus: Double?, _ centre: Double, _ plus: Double?) -> Double {
            guard let minus, let plus, minus.isFinite, plus.isFinite else { return 0 }
            let curvature = minus - 2 * centre + plus
            guard curvature < 0 else { return 0 }
            return max(-0.5, min(0.5, (minus - plus) / (2 * curvature)))
        }
        let fa = Double(a) + vertex(at(a - 1, b), scores[best], at(a + 1, b))
        let fb = Double(b) + vertex(at(a, b - 1), scores[best], at(a, b + 1))
        let moved = GlobalMotion(scale: geometry.scale,
                                 dx: geometry.dx + fa * geometry.scale * Double(plane.width) / Double(fw),
                                 dy: geometry.dy + fb * geometry.scale * Double(plane.height) / Double(fh))
        return (moved, scores[best])
    }
}

/// Box sums of a grid of cell fractions, with the count of cells outside the frame in each box.
private struct FractionSums {
    let width: Int, height: Int
    private var sum: [Double], outside: [Int32]

    init(_ fine: [Float], width: Int, height: Int) {
        self.width = width
        self.height = height
        // Integral images, one row and column of zeros in front.
        let w1 = width + 1
        sum = [Double](repeating: 0, count: w1 * (height + 1))
        outside = [Int32](repeating: 0, count: w1 * (height + 1))
        for y in 0..<height {
            var rowSum = 0.0, rowOutside: Int32 = 0
            for x in 0..<width {
                let v = fine[y * width + x]
                if v < 0 { rowOutside += 1 } else { rowSum += Double(v) }
                sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1] + rowSum
                outside[(y + 1) * w1 + x + 1] = outside[y * w1 + x + 1] + rowOutside
            }
        }
    }

    /// The mean of the size × size cell fractions from (x0, y0), or `GridSampler.outside` when any
    /// of them lies outside the frame or beyond the grid.
    func cell(x0: Int, y0: Int, size: Int) -> Float {
        guard x0 >= 0, y0 >= 0, x0 + size <= width, y0 + size <= height else { return GridSampler.outside }
        let w1 = width + 1, x1 = x0 + size, y1 = y0 + size
        let gone = outside[y1 * w1 + x1] - outside[y0 * w1 + x1] - outside[y1 * w1 + x0] + outside[y0 * w1 + x0]
        guard gone == 0 else { return GridSampler.outside }
        let s = sum[y1 * w1 + x1] - sum[y0 * w1 + x1] - sum[y1 * w1 + x0] + sum[y0 * w1 + x0]
        return Float(s / Double(size * size))
    }
}
