import Foundation

/// What the detector keeps of one frame: its working grid read upright (gridWidth × gridHeight)
/// and quarter-turned (gridHeight × gridWidth). Everything else is decided over the clip.
public struct FrameObservation: Sendable {
    let upright: [Float]
    let turned: [Float]
    /// The picture's detail at the grid's scale: RMS of the high-passed grid, in 8-bit luma levels.
    /// Black, flat and faded frames are near 0; they cannot carry a mark.
    public let detail: Float
    /// Each cell's share of pixels at black or white, in 255ths (upright, then quarter-turned;
    /// see `FrameDetector.clippedShares`); empty when no pixel is.
    var clipped: [UInt8] = []
}

/// Measures frames for the mark of one key; safe to call from several threads.
public final class FrameDetector: Sendable {
    public let layout: WatermarkLayout
    let step: Float

    public init(layout: WatermarkLayout) {
        self.layout = layout
        step = WatermarkDesign.baseStep
    }

    /// Samples the frame to the working grid, both ways round: fixed to the frame's edges, or
    /// under `geometry` for a mark whose grid follows the picture (cells carried out of the frame
    /// then read as `GridSampler.outside` and are erased).
    public func observe(_ plane: LumaPlane, geometry: GlobalMotion? = nil, quarterTurns: Bool = true) -> FrameObservation {
        let gw = layout.gridWidth, gh = layout.gridHeight
        var upright = [Float](repeating: 0, count: gw * gh)
        var turned = [Float](repeating: 0, count: gw * gh)
        upright.withUnsafeMutableBufferPointer { u in
            turned.withUnsafeMutableBufferPointer { t in
                // Without quarter turns the turned grid stays black: every projection of an
                // orientation that swaps the axes is then erased and scores nothing.
                GridSampler.sample(plane, grids: [(GridSampler(gridWidth: gw, gridHeight: gh, geometry: geometry), u)]
                                   + (quarterTurns ? [(GridSampler(gridWidth: gh, gridHeight: gw, geometry: geometry), t)] : []))
            }
        }
        return FrameObservation(upright: upright, turned: turned, detail: detail(upright),
                                clipped: clippedShares(plane, geometry: geometry, quarterTurns: quarterTurns, upright: upright, turned: turned))
    }

    /// Each cell's share of pixels within 2 levels of black or white, in 255ths. A tone change
    /// that clips part of the picture leaves cells whose mean is well inside the range but whose
    /// clipped pixels no longer carry the host value the mark was placed against; on a grid that
    /// follows the picture the same projections are hit in every frame, and their errors add up
    /// instead of averaging out. Measured only when some cell's mean is within 40 levels of
    /// either end and at least `WatermarkDesign.clippedFrameShare` of the frame is clipped (most
    /// footage is clear of both; an empty result costs one look at every 8th row).
    private func clippedShares(_ plane: LumaPlane, geometry: GlobalMotion?, quarterTurns: Bool, upright: [Float], turned: [Float]) -> [UInt8] {
        let near: (Float) -> Bool = { $0 >= 0 && ($0 < 40 || $0 > 215) }
        guard upright.contains(where: near) || (quarterTurns && turned.contains(where: near)) else { return [] }
        let gw = layout.gridWidth, gh = layout.gridHeight
        // Count on every 8th row first: a tone change that clips leaves a few percent of the
        // picture or more at black or white; an upscaled or sharpened picture's overshoots leave
        // a sprinkling of pixels there, which fills no cell and is not worth the mask.
        // 1 where clipped, 16 pixels at a time in plain arithmetic: v + 3 (wrapping) is under 6
        // exactly for v ≤ 2 or v ≥ 253.
        let raw = UnsafeRawPointer(plane.pixels.baseAddress!)
        let lanes = 16, blocks = plane.width / lanes
        let three = SIMD16<UInt8>(repeating: 3), six = SIMD16<UInt8>(repeating: 6), one = SIMD16<UInt8>(repeating: 1)
        func clipped(_ at: Int) -> SIMD16<UInt8> {
            pointwiseMin(six &- pointwiseMin(raw.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self) &+ three, six), one)
        }
        var count = 0, seen = 0
        for y in Swift.stride(from: 0, to: plane.height, by: 8) {
            var n = SIMD16<UInt16>.zero
            for b in 0..<blocks { n &+= SIMD16<UInt16>(truncatingIfNeeded: clipped(y * plane.stride + b * lanes)) }
            count += Int(n.wrappedSum())
            seen += blocks * lanes
        }
        guard Float(count) >= WatermarkDesign.clippedFrameShare * Float(max(seen, 1)) else { return [] }
        let mask = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: plane.width * plane.height)
        defer { mask.deallocate() }
        let maskRaw = UnsafeMutableRawPointer(mask.baseAddress!)
        for y in 0..<plane.height {
            let row = y * plane.stride, out = y * plane.width
            for b in 0..<blocks {
                maskRaw.storeBytes(of: clipped(row + b * lanes) &* 255, toByteOffset: out + b * lanes, as: SIMD16<UInt8>.self)
            }
            for x in (blocks * lanes)..<plane.width { mask[out + x] = (plane.pixels[row + x] &+ 3) < 6 ? 255 : 0 }
        }
        let maskPlane = LumaPlane(pixels: mask, width: plane.width, height: plane.height, stride: plane.width)
        var share = [Float](repeating: 0, count: 2 * gw * gh)
        share.withUnsafeMutableBufferPointer { s in
            let u = UnsafeMutableBufferPointer(rebasing: s[0..<(gw * gh)]), t = UnsafeMutableBufferPointer(rebasing: s[(gw * gh)...])
            GridSampler.sample(maskPlane, grids: [(GridSampler(gridWidth: gw, gridHeight: gh, geometry: geometry), u)]
                               + (quarterTurns ? [(GridSampler(gridWidth: gh, gridHeight: gw, geometry: geometry), t)] : []))
        }
        return share.map { UInt8(max(0, min(255, $0.rounded()))) }
    }

    private func detail(_ measured: [Float]) -> Float {
        var grid = measured
        GridFilter.fillOutside(&grid)
        var scratch = [Float](repeating: 0, count: grid.count)
        var hp = scratch
        grid.withUnsafeBufferPointer { g in
            scratch.withUnsafeMutableBufferPointer { s in
                hp.withUnsafeMutableBufferPointer {
                    GridFilter.highPass(g, width: layout.gridWidth, height: layout.gridHeight, radius: WatermarkDesign.highPassRadius, scratch: s, out: $0)
                }
            }
        }
        var energy: Float = 0
        for v in hp { energy += v * v }
        return (energy / Float(max(hp.count, 1))).squareRoot()
    }

    /// Normalised projections (projectionCount values) of one orientation of a frame, after
    /// undoing tone curve `tone` (a gamma, see `Hypothesis.tones`).
    func projections(upright: [Float], turned: [Float], orientation o: Int, tone: Float) -> [Float] {
        projections(filtered(upright: upright, turned: turned, swapsAxes: Orientation.allCases[o].swapsAxes, tone: tone), orientation: o)
    }

    /// A frame's grid under a tone curve, high-passed, and its scale: the same for every
    /// orientation that keeps the axes (they differ only in which cells make a projection), and
    /// for every one that swaps them.
    struct Filtered {
        let highPassed: [Float]
        let scale: Float
    }

    func filtered(upright: [Float], turned: [Float], swapsAxes: Bool, tone: Float) -> Filtered {
        let (w, h) = swapsAxes ? (layout.gridHeight, layout.gridWidth) : (layout.gridWidth, layout.gridHeight)
        var grid = swapsAxes ? turned : upright
        GridFilter.fillOutside(&grid)
        if tone != 1 {
            for c in grid.indices { grid[c] = 255 * pow(max(grid[c], 0) / 255, tone) }
        }
        var scratch = [Float](repeating: 0, count: grid.count)
        var hp = [Float](repeating: 0, count: grid.count)
        let scale = grid.withUnsafeBufferPointer { GridFilter.scale($0) }
        grid.withUnsafeBufferPointer { g in
            scratch.withUnsafeMutableBufferPointer { s in
                hp.withUnsafeMutableBufferPointer { GridFilter.highPass(g, width: w, height: h, radius: WatermarkDesign.highPassRadius, scratch: s, out: $0) }
            }
        }
        return Filtered(highPassed: hp, scale: scale)
    }

    func projections(_ f: Filtered, orientation o: Int) -> [Float] {
        var out = [Float](repeating: 0, count: layout.projectionCount)
        f.highPassed.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { layout.project(g, cellMap: layout.orientedCells[o], scale: f.scale, into: $0) }
        }
        return out
    }

    /// Which projections of a frame (read in orientation `o`) cannot be trusted as received: those
    /// with a cell near black or white, or outside the frame (`GridSampler.outside`). A brightness or contrast change that clips shadows or
    /// highlights replaces the picture there, and with it the host value the mark was placed
    /// against, so those projections read anything. Erasures depend on the picture alone, never on
    /// the key's dither: leaving them out of a statistic keeps its p-value exact.
    /// With `clipped` shares, a cell with at least `share` of its pixels clipped counts too (nil:
    /// the mean alone decides).
    func erasures(upright: [Float], turned: [Float], orientation o: Int, clipped: [UInt8] = [],
                  share: Float? = WatermarkDesign.clippedShare) -> [Bool] {
        let swaps = Orientation.allCases[o].swapsAxes
        let grid = swaps ? turned : upright
        let map = layout.orientedCells[o], n = layout.cellsPerProjection
        let low = WatermarkDesign.clippedLevel, high = 255 - WatermarkDesign.clippedLevel
        let offset = swaps ? upright.count : 0
        let limit = share.map { Int(($0 * 255).rounded()) } ?? 256
        let shares = clipped.isEmpty ? nil : clipped
        return (0..<layout.projectionCount).map { i in
            (0..<n).contains { j in
                let c = Int(map[i * n + j]), v = grid[c]
                return v < low || v > high || (shares.map { Int($0[offset + c]) >= limit } ?? false)
            }
        }
    }

    /// Which projections of a frame (read in orientation `o`) have a cell outside the frame: a
    /// grid that follows the picture is carried partly out of it. Always none on a fixed grid.
    func outside(upright: [Float], turned: [Float], orientation o: Int) -> [Bool] {
        let grid = Orientation.allCases[o].swapsAxes ? turned : upright
        guard grid.contains(where: { $0 < 0 }) else { return [] }
        let map = layout.orientedCells[o], n = layout.cellsPerProjection
        return (0..<layout.projectionCount).map { i in (0..<n).contains { j in grid[Int(map[i * n + j])] < 0 } }
    }

    /// The pilots' z-score of a frame on its own under each of `hypotheses`: Σ cos(bit phase −
    /// π·bit) over the pilots not erased, over √(n/2) (about N(0, 1) without the mark). Each
    /// orientation and tone curve is measured once, each tone curve high-passed once per axis
    /// order. Finds the frames where a grid that follows the picture is back on the frame
    /// (`GridPlan`'s anchors), and which grid a clip is marked on (`WatermarkDetection.Race`).
    public func pilotScores(_ observation: FrameObservation, under hypotheses: [Hypothesis], quarterTurns: Bool = true) -> [Double] {
        var measured: [(o: Int, tone: Float, p: [Float], erased: [Bool])] = []
        var filteredGrids: [(swaps: Bool, tone: Float, grid: Filtered)] = []
        return hypotheses.map { h in
            // An observation made without the quarter-turned grid says nothing under those.
            guard quarterTurns || !h.orientation.swapsAxes else { return -.infinity }
            let o = Orientation.allCases.firstIndex(of: h.orientation) ?? 0
            let m: (o: Int, tone: Float, p: [Float], erased: [Bool])
            if let known = measured.first(where: { $0.o == o && $0.tone == h.tone }) {
                m = known
            } else {
                let swaps = h.orientation.swapsAxes
                let grid: Filtered
                if let known = filteredGrids.first(where: { $0.swaps == swaps && $0.tone == h.tone }) {
                    grid = known.grid
                } else {
                    grid = filtered(upright: observation.upright, turned: observation.turned, swapsAxes: swaps, tone: h.tone)
                    filteredGrids.append((swaps, h.tone, grid))
                }
                m = (o, h.tone, projections(grid, orientation: o), erasures(upright: observation.upright, turned: observation.turned, orientation: o, clipped: observation.clipped))
                measured.append(m)
            }
            var sum = 0.0, n = 0
            for (j, i) in layout.pilotRange.enumerated() where !m.erased[i] {
                sum += Double(cos(bitPhase(m.p[i], i, gain: h.gain, sign: h.inverted ? -1 : 1) - Float.pi * Float(layout.pilotBits[j])))
                n += 1
            }
            return n > 0 ? sum / (Double(n) / 2).squareRoot() : 0
        }
    }

    /// The bit phase of projection i: 2π(γ·s·p/Δ − d), near 0 when it carries a 0 and near π for a 1.
    @inline(__always)
    func bitPhase(_ p: Float, _ i: Int, gain: Float, sign: Float) -> Float {
        2 * Float.pi * (gain * sign * p / step - layout.dither[i])
    }
}
