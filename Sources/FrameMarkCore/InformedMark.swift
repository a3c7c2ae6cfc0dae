import Foundation

/// The projections an informed mark is solved on: for each, the grid cells it adds up, with
/// which ±1 signs, and its secret dither. The frame's 64 × 36 layout (`WatermarkLayout`) is one;
/// the geometry layer's tiles laid over a frame (`TileGrid`) are another.
protocol ProjectionSet: Sendable {
    var gridWidth: Int { get }
    var gridHeight: Int { get }
    var cellsPerProjection: Int { get }
    var projectionCount: Int { get }
    /// Cell index (u + v·gridWidth) of each projection's cells, projection after projection.
    var cells: [Int32] { get }
    var signs: [Float] { get }
    /// Dither of each projection as a fraction of the step, uniform in [0, 1).
    var dither: [Float] { get }
}

/// Amplitude a grid-cell change keeps after the bilinear painting, the round trip back to cell
/// means and the 5 × 5 high-pass (see `GridFilter`).
private let informedLoopGain: Float = 0.5625 * (1 - 1 / 25)
private let informedIterations = 3

extension ProjectionSet {
    /// Projections of a high-passed grid, for cells arranged per `cellMap` (the layout's own
    /// `cells` when nil), divided by `scale`.
    func project(_ grid: UnsafeBufferPointer<Float>, cellMap: [Int32]? = nil, scale: Float = 1, into out: UnsafeMutableBufferPointer<Float>) {
        let n = cellsPerProjection
        let norm = 1 / (Float(n).squareRoot() * scale)
        (cellMap ?? cells).withUnsafeBufferPointer { map in
            signs.withUnsafeBufferPointer { s in
                for i in 0..<projectionCount {
                    var acc: Float = 0
                    let base = i * n
                    for j in 0..<n { acc += s[base + j] * grid[Int(map[base + j])] }
                    out[i] = acc * norm
                }
            }
        }
    }

    /// The cell field that moves every projection of `grid` (cell means; negative = outside the
    /// frame) onto the lattice of its bit, `Δ·(dither + bit/2 + k)` with Δ = `step`, starting from
    /// the previous frame's field (`starting`) and correcting only the projections that drifted
    /// (dither-modulation QIM, informed: the picture's own projection decides the lattice point).
    /// The change is spread over a projection's cells in proportion to `mask`.
    func solveMark(grid: [Float], mask: [Float], bits: [UInt8], step: Float, starting: [Float]?) -> [Float] {
        let gw = gridWidth, gh = gridHeight, count = gw * gh
        let n = cellsPerProjection, k = projectionCount
        var grid = grid
        // Cells outside the frame (a grid that follows the picture) read as the mean of the rest,
        // as the detector reads them, and take no change (their mask is 0).
        let outsideCells = grid.indices.filter { grid[$0] < 0 }
        // A projection with a cell out of the frame is erased by the detector: leave it alone
        // rather than push its remaining cells (and their neighbours' high-pass) to the lattice.
        var skipped = [Bool](repeating: false, count: k)
        if !outsideCells.isEmpty {
            for i in 0..<k { skipped[i] = (0..<n).contains { grid[Int(cells[i * n + $0])] < 0 } }
        }
        GridFilter.fillOutside(&grid)
        var delta = starting ?? [Float](repeating: 0, count: count)
        var hostProjections = [Float](repeating: 0, count: k)
        var projections = [Float](repeating: 0, count: k)
        var targets = [Float](repeating: 0, count: k)
        var work = [Float](repeating: 0, count: count)
        var scratch = [Float](repeating: 0, count: count)
        var highPassed = [Float](repeating: 0, count: count)
        var maskSum = [Float](repeating: 0, count: k)
        var corrected = [Bool](repeating: false, count: k)
        for i in 0..<k {
            var s: Float = 0
            for j in 0..<n { s += mask[Int(cells[i * n + j])] }
            maskSum[i] = max(s, 1e-3)
        }
        let sqrtN = Float(n).squareRoot()
        // The first frame is marked in full; later ones only where the mark drifted.
        let tolerance = starting == nil ? 0 : WatermarkDesign.tolerance * step
        var scale: Float = 1

        /// Projections (normalised) of grid + roundTrip(field), into `out`; returns the scale used.
        func measure(_ field: [Float]?, into out: inout [Float]) -> Float {
            work.withUnsafeMutableBufferPointer { w in
                if let field {
                    field.withUnsafeBufferPointer { d in
                        scratch.withUnsafeMutableBufferPointer { s in GridFilter.roundTrip(d, width: gw, height: gh, scratch: s, out: w) }
                    }
                    for c in 0..<count { w[c] += grid[c] }
                    for c in outsideCells { w[c] = grid[c] }
                } else {
                    for c in 0..<count { w[c] = grid[c] }
                }
            }
            let scale = work.withUnsafeBufferPointer { GridFilter.scale($0) }
            work.withUnsafeBufferPointer { w in
                scratch.withUnsafeMutableBufferPointer { s in
                    highPassed.withUnsafeMutableBufferPointer { GridFilter.highPass(w, width: gw, height: gh, radius: WatermarkDesign.highPassRadius, scratch: s, out: $0) }
                }
            }
            highPassed.withUnsafeBufferPointer { hp in
                out.withUnsafeMutableBufferPointer { project(hp, scale: scale, into: $0) }
            }
            return scale
        }

        _ = measure(nil, into: &hostProjections)
        for iteration in 0...informedIterations {
            scale = measure(delta, into: &projections)
            if iteration == 0 {
                // Keep the lattice point the mark already sits near, unless the mark has grown
                // past 3/4 of a step away from the picture's own projection: then restart from
                // the point nearest the picture, so the change stays small.
                for i in 0..<k {
                    let offset = dither[i] + 0.5 * Float(bits[i])
                    let sticky = step * (offset + (projections[i] / step - offset).rounded())
                    if abs(sticky - hostProjections[i]) <= WatermarkDesign.retargetLimit * step {
                        targets[i] = sticky
                    } else {
                        targets[i] = step * (offset + (hostProjections[i] / step - offset).rounded())
                    }
                }
            }
            if iteration == informedIterations { break }
            for i in 0..<k {
                let error = targets[i] - projections[i]
                // First pass: leave projections within tolerance alone (the mark holds still);
                // later passes: finish the ones being corrected (crosstalk from neighbours).
                if iteration == 0 { corrected[i] = abs(error) > tolerance && !skipped[i] }
                if !corrected[i] || abs(error) <= 0.02 * step { continue }
                let alpha = error * scale * sqrtN / (informedLoopGain * maskSum[i])
                for j in 0..<n {
                    let c = Int(cells[i * n + j])
                    delta[c] += signs[i * n + j] * mask[c] * alpha
                }
            }
        }
        return delta
    }
}
