import Foundation
import FrameMarkCore

/// Finds where in the picture the mark is gone.
///
/// Each known-bit projection sums a few cells spread over the whole frame. Where the picture is
/// intact its value sits near its lattice point (a small error, spread by compression); where any
/// of its cells was replaced it lands anywhere (a uniform error). The errors of a clip are fitted
/// as a mixture (1 − π)·N(0, σ) + π·U, which gives each projection a log-likelihood ratio ℓ of
/// "edited" against "as the clip usually is": ℓ = −log((1 − π)·φσ(e) + π), bounded by −log π so
/// that a projection the codec broke anyway weighs little.
///
/// A box B of the picture explains every projection with a cell in it; its score is Σ ℓ over
/// those projections. Boxes run over a grid of blocks (4 × 4 cells); the best box over a short
/// window of frames is the region. Unedited frames score below zero for every box (intact
/// projections have ℓ < 0); a replaced region scores high for the box that covers it.
struct TamperLocator {
    static let blockCells = 4

    let blockColumns: Int
    let blockRows: Int
    /// Boxes as block ranges, and which projections each touches: `touch[p * boxes.count + b]`.
    let boxes: [(x0: Int, y0: Int, x1: Int, y1: Int)]
    private let touch: [Float]
    /// Per block: the projections with a cell in it.
    let blockProjections: [[Int]]
    /// Per projection, the rectangle of blocks it has cells in (inclusive), when every
    /// projection's blocks make one (local blocks do): box scores then come from prefix sums.
    private let blockRects: [(x0: Int, y0: Int, x1: Int, y1: Int)]?
    var scoresByPrefixSums: Bool { blockRects != nil }
    let projectionCount: Int
    private let map: ProjectionMap
    /// Per grid cell, the known-bit projection it belongs to (-1: a time-code projection's).
    private let owner: [Int32]
    /// Per known-bit projection, its cells' mean centre in fractions of the grid.
    private let centres: [(x: Double, y: Double)]

    init(map: ProjectionMap) {
        self.map = map
        let b = Self.blockCells
        blockColumns = (map.gridWidth + b - 1) / b
        blockRows = (map.gridHeight + b - 1) / b
        projectionCount = map.cells.count / map.cellsPerProjection
        var blocksOf = [[Int]](repeating: [], count: projectionCount)
        var perBlock = [[Int]](repeating: [], count: blockColumns * blockRows)
        for p in 0..<projectionCount {
            var seen = Set<Int>()
            for j in 0..<map.cellsPerProjection {
                let c = Int(map.cells[p * map.cellsPerProjection + j])
                let block = (c / map.gridWidth) / b * blockColumns + (c % map.gridWidth) / b
                if seen.insert(block).inserted { blocksOf[p].append(block); perBlock[block].append(p) }
            }
        }
        blockProjections = perBlock
        var rects: [(x0: Int, y0: Int, x1: Int, y1: Int)] = []
        var rectangular = true
        let columns = blockColumns
        for blocks in blocksOf {
            let xs = blocks.map { $0 % columns }, ys = blocks.map { $0 / columns }
            let rect = (x0: xs.min() ?? 0, y0: ys.min() ?? 0, x1: xs.max() ?? 0, y1: ys.max() ?? 0)
            let area: Int = (rect.x1 - rect.x0 + 1) * (rect.y1 - rect.y0 + 1)
            if area != blocks.count { rectangular = false }
            rects.append(rect)
        }
        blockRects = rectangular ? rects : nil
        var owner = [Int32](repeating: -1, count: map.gridWidth * map.gridHeight)
        var centres = [(x: Double, y: Double)](repeating: (0, 0), count: projectionCount)
        for p in 0..<projectionCount {
            var sx = 0.0, sy = 0.0
            for j in 0..<map.cellsPerProjection {
                let c = Int(map.cells[p * map.cellsPerProjection + j])
                owner[c] = Int32(p)
                sx += (Double(c % map.gridWidth) + 0.5) / Double(map.gridWidth)
                sy += (Double(c / map.gridWidth) + 0.5) / Double(map.gridHeight)
            }
            centres[p] = (sx / Double(map.cellsPerProjection), sy / Double(map.cellsPerProjection))
        }
        self.owner = owner
        self.centres = centres
        var boxes: [(Int, Int, Int, Int)] = []
        for y0 in 0..<blockRows { for y1 in (y0 + 1)...blockRows { for x0 in 0..<blockColumns { for x1 in (x0 + 1)...blockColumns {
            boxes.append((x0, y0, x1, y1))
        } } } }
        self.boxes = boxes
        var touch = [Float](repeating: 0, count: projectionCount * boxes.count)
        for p in 0..<projectionCount {
            for (k, box) in boxes.enumerated() {
                let columns = blockColumns
                if blocksOf[p].contains(where: { let x = $0 % columns, y = $0 / columns; return x >= box.0 && x < box.2 && y >= box.1 && y < box.3 }) {
                    touch[p * boxes.count + k] = 1
                }
            }
        }
        self.touch = touch
    }

    /// Adds the box scores of one frame's projection evidence to `scores` (one per box).
    func addBoxScores(_ evidence: [Float], into scores: inout [Float]) {
        if let blockRects { addBoxScores(evidence, rects: blockRects, into: &scores) } else { addBoxScoresByTouch(evidence, into: &scores) }
    }

    /// The same, projection by projection through the touch table.
    func addBoxScoresByTouch(_ evidence: [Float], into scores: inout [Float]) {
        let n = boxes.count
        touch.withUnsafeBufferPointer { t in
            scores.withUnsafeMutableBufferPointer { s in
                for p in 0..<projectionCount {
                    let l = evidence[p]
                    let row = p * n
                    for k in 0..<n { s[k] += l * t[row + k] }
                }
            }
        }
    }

    /// A frame's evidence moved from the grid it was read on (`placement`: a grid that follows the
    /// picture) to the frame-fixed grid, which is the frame itself: each projection of the fixed
    /// grid takes the evidence of the read grid's projection under its centre, none where that is
    /// a time-code projection or off the grid. An edit stays put in the frame while the grid moves
    /// over it, so evidence pooled over frames must be pooled where the edit is, in the frame.
    func framed(_ evidence: [Float], _ placement: GridPlacement?) -> [Float] {
        guard let placement else { return evidence }
        return centres.map { c in
            guard let cell = cell(at: placement.unmap(x: c.x, y: c.y)) else { return 0 }
            let o = owner[cell]
            return o >= 0 ? evidence[Int(o)] : 0
        }
    }

    /// Whether grid cell `c` of a grid at `placement` lies in box `k` of the frame.
    func contains(cell c: Int32, box k: Int, placement: GridPlacement?) -> Bool {
        guard let placement else { return contains(cell: c, box: k) }
        let gw = map.gridWidth, gh = map.gridHeight
        guard let placed = cell(at: placement.map(x: (Double(Int(c) % gw) + 0.5) / Double(gw), y: (Double(Int(c) / gw) + 0.5) / Double(gh)))
        else { return false }
        return contains(cell: Int32(placed), box: k)
    }

    /// The cell at a point of the grid, in fractions; nil off the grid.
    private func cell(at p: (x: Double, y: Double)) -> Int? {
        guard p.x >= 0, p.y >= 0, p.x < 1, p.y < 1 else { return nil }
        let gw = map.gridWidth, gh = map.gridHeight
        return min(gh - 1, Int(p.y * Double(gh))) * gw + min(gw - 1, Int(p.x * Double(gw)))
    }

    /// Whether projection `p` of a grid at `placement` has a cell in box `k` of the frame.
    func touches(_ p: Int, box k: Int, placement: GridPlacement?) -> Bool {
        guard placement != nil else { return touches(p, box: k) }
        let n = map.cellsPerProjection
        return (0..<n).contains { contains(cell: map.cells[p * n + $0], box: k, placement: placement) }
    }

    /// The same from prefix sums: a box [X0, X1) × [Y0, Y1) of blocks touches every projection
    /// but those wholly left of it (x1 < X0), right of it (x0 ≥ X1), above or below it; left and
    /// right exclude each other, as do above and below, so what the box misses is the four sides
    /// less the four corners where two of them meet. O(boxes + projections) instead of their product.
    private func addBoxScores(_ evidence: [Float], rects: [(x0: Int, y0: Int, x1: Int, y1: Int)], into scores: inout [Float]) {
        let c = blockColumns + 1, r = blockRows + 1
        var total = 0.0
        // Counts by edge: left[X] sums x1 < X (built from x1 + 1 ≤ X), right[X] sums x0 ≥ X; the
        // corner tables are 2-D, indexed [X * r + Y].
        var left = [Double](repeating: 0, count: c), right = left, above = [Double](repeating: 0, count: r), below = above
        var leftAbove = [Double](repeating: 0, count: c * r), leftBelow = leftAbove, rightAbove = leftAbove, rightBelow = leftAbove
        for (p, rect) in rects.enumerated() {
            let l = Double(evidence[p])
            total += l
            left[rect.x1 + 1] += l; right[rect.x0] += l; above[rect.y1 + 1] += l; below[rect.y0] += l
            leftAbove[(rect.x1 + 1) * r + rect.y1 + 1] += l; leftBelow[(rect.x1 + 1) * r + rect.y0] += l
            rightAbove[rect.x0 * r + rect.y1 + 1] += l; rightBelow[rect.x0 * r + rect.y0] += l
        }
        // Running sums along each axis: up for the x1 + 1 ≤ X (y1 + 1 ≤ Y) sides, down for x0 ≥ X (y0 ≥ Y).
        func run(_ t: inout [Double], count n: Int, stride k: Int, lines: Int, lineStride: Int, up: Bool) {
            for line in 0..<lines {
                let base = line * lineStride
                if up { for i in 1..<n { t[base + i * k] += t[base + (i - 1) * k] } }
                else { for i in stride(from: n - 2, through: 0, by: -1) { t[base + i * k] += t[base + (i + 1) * k] } }
            }
        }
        run(&left, count: c, stride: 1, lines: 1, lineStride: 0, up: true)
        run(&right, count: c, stride: 1, lines: 1, lineStride: 0, up: false)
        run(&above, count: r, stride: 1, lines: 1, lineStride: 0, up: true)
        run(&below, count: r, stride: 1, lines: 1, lineStride: 0, up: false)
        // Corner tables [X * r + Y]: along X (stride r, one line per Y), then along Y (stride 1, one line per X).
        func corner(_ t: inout [Double], xUp: Bool, yUp: Bool) {
            run(&t, count: c, stride: r, lines: r, lineStride: 1, up: xUp)
            run(&t, count: r, stride: 1, lines: c, lineStride: r, up: yUp)
        }
        corner(&leftAbove, xUp: true, yUp: true)
        corner(&leftBelow, xUp: true, yUp: false)
        corner(&rightAbove, xUp: false, yUp: true)
        corner(&rightBelow, xUp: false, yUp: false)
        for (k, b) in boxes.enumerated() {
            let missed = left[b.x0] + right[b.x1] + above[b.y0] + below[b.y1]
                - leftAbove[b.x0 * r + b.y0] - leftBelow[b.x0 * r + b.y1] - rightAbove[b.x1 * r + b.y0] - rightBelow[b.x1 * r + b.y1]
            scores[k] += Float(total - missed)
        }
    }

    /// Whether grid cell `c` lies in box `k`.
    func contains(cell c: Int32, box k: Int) -> Bool {
        let box = boxes[k], b = Self.blockCells
        let x = Int(c) % map.gridWidth / b, y = Int(c) / map.gridWidth / b
        return x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1
    }

    /// Whether projection `p` has a cell in box `k`.
    func touches(_ p: Int, box k: Int) -> Bool { touch[p * boxes.count + k] != 0 }

    /// Mean evidence of the projections touching each block: the heat map.
    func blockMap(_ evidence: [Float]) -> [Float] {
        blockProjections.map { ps in ps.isEmpty ? 0 : ps.reduce(Float(0)) { $0 + evidence[$1] } / Float(ps.count) }
    }

    /// A box in fractions of the examined frame.
    func region(_ k: Int) -> Region {
        let box = boxes[k]
        let cw = Double(Self.blockCells) / Double(map.gridWidth), ch = Double(Self.blockCells) / Double(map.gridHeight)
        let x0 = Double(box.x0) * cw, y0 = Double(box.y0) * ch
        return Region(x: x0, y: y0, w: min(1, Double(box.x1) * cw) - x0, h: min(1, Double(box.y1) * ch) - y0)
    }

    func boxArea(_ k: Int) -> Double { region(k).area }

    /// The best box at cell resolution near block box `k`, where a projection counts as touched
    /// when a cell of it lies within the high-pass radius of the box (an edit reaches that far
    /// into the high-passed grid), so the box found is the edit itself, not its halo.
    func refinedRegion(around k: Int, evidence: [Float]) -> Region {
        let b = Self.blockCells, r = WatermarkDesign.highPassRadius
        let w = map.gridWidth, h = map.gridHeight, n = map.cellsPerProjection
        let box = boxes[k]
        func span(_ a: Int, _ limit: Int) -> [Int] { Array(max(0, a - b)...min(limit, a + b)) }
        var best = (score: -Float.infinity, x0: box.x0 * b, y0: box.y0 * b, x1: min(w, box.x1 * b), y1: min(h, box.y1 * b))
        let xs = map.cells.map { Int($0) % w }, ys = map.cells.map { Int($0) / w }
        for x0 in span(box.x0 * b, w - 1) { for x1 in span(min(w, box.x1 * b), w) where x1 > x0 {
            for y0 in span(box.y0 * b, h - 1) { for y1 in span(min(h, box.y1 * b), h) where y1 > y0 {
                // Dilate by the radius, except at the frame's edges (nothing lies beyond them).
                let dx0 = x0 - r, dx1 = x1 + r, dy0 = y0 - r, dy1 = y1 + r
                var score: Float = 0
                for p in 0..<projectionCount {
                    for j in 0..<n {
                        let c = p * n + j
                        if xs[c] >= dx0 && xs[c] < dx1 && ys[c] >= dy0 && ys[c] < dy1 { score += evidence[p]; break }
                    }
                }
                if score > best.score { best = (score, x0, y0, x1, y1) }
            } }
        } }
        return Region(x: Double(best.x0) / Double(w), y: Double(best.y0) / Double(h),
                      w: Double(best.x1 - best.x0) / Double(w), h: Double(best.y1 - best.y0) / Double(h))
    }
}

/// The lattice errors of a clip as a two-part mixture, and each error's evidence of editing.
struct ErrorModel {
    /// Share of projections the codec scattered anyway, and the spread of the rest (in steps).
    let outlierShare: Double
    let sigma: Double
    /// ℓ for each stored error value (−127…127).
    let evidence: [Float]

    init(errors: [[Int8]]) {
        var counts = [Double](repeating: 0, count: 255)
        for frame in errors { for e in frame where e != FrameVerdict.outsideError { counts[Int(e) + 127] += 1 } }
        let values = (0..<255).map { Double($0 - 127) / 254 }
        let total = max(counts.reduce(0, +), 1)
        var pi = 0.2, sigma = 0.1
        // EM on the histogram: a few passes converge for this two-parameter mixture.
        for _ in 0..<30 {
            var wOut = 0.0, wIn = 0.0, sq = 0.0
            for i in 0..<255 where counts[i] > 0 {
                let g = (1 - pi) * Self.normal(values[i], sigma)
                let r = g / (g + pi)
                wIn += counts[i] * r
                wOut += counts[i] * (1 - r)
                sq += counts[i] * r * values[i] * values[i]
            }
            pi = min(max(wOut / total, 0.01), 0.9)
            sigma = min(max((sq / max(wIn, 1)).squareRoot(), 0.02), 0.3)
        }
        outlierShare = pi
        self.sigma = sigma
        let evidence = values.map { Float(-log((1 - pi) * Self.normal($0, sigma) + pi)) }
        self.evidence = evidence
    }

    /// One lattice error's evidence; a projection outside the frame gives none.
    func evidence(of e: Int8) -> Float { e == FrameVerdict.outsideError ? 0 : evidence[Int(e) + 127] }

    func evidence(_ errors: [Int8]) -> [Float] { errors.map(evidence(of:)) }

    /// log-likelihood ratio of a frame's errors: this clip's marked frames against no mark.
    func markedLogLikelihood(_ errors: [Int8]) -> Float { -errors.reduce(Float(0)) { $0 + evidence(of: $1) } }

    /// The lattice cosines of a frame's errors (1 on the lattice), leaving out projections outside the frame.
    static func cosines(_ errors: [Int8]) -> [Float] {
        errors.compactMap { $0 == FrameVerdict.outsideError ? nil : cos(2 * Float.pi * Float($0) / 254) }
    }

    /// N(0, σ) density, wrapped once each side (errors live on a circle of one step).
    static func normal(_ x: Double, _ sigma: Double) -> Double {
        let c = 1 / (sigma * (2 * Double.pi).squareRoot())
        return c * (exp(-x * x / (2 * sigma * sigma)) + exp(-(x - 1) * (x - 1) / (2 * sigma * sigma)) + exp(-(x + 1) * (x + 1) / (2 * sigma * sigma)))
    }
}
