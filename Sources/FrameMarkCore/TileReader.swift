import Foundation

/// Reads the geometry layer of a copy under a known geometry: the copy's pixels are gathered into
/// the tile's cells (10 reference pixels square, wherever the geometry puts them), high-passed as
/// the embedder did, and each block's phasor against its dither is added to the sum of its tile
/// projection, over every copy of the tile and every frame, for each gain hypothesis.
package struct TileReader {
    let layout: TileLayout
    let step: Float
    /// The frame's contrast relative to the marked one: the copy's luma deviation stands in for the
    /// marked frame's, so a crop (another part of the picture), a tone change or filtering leave a
    /// factor that is searched for: 0.4–2.6, 1.5% apart.
    /// Levels between the darkest and brightest sample of a cell below which it is not picture.
    static let leastVariation: Float = 1.5
    package static let gains: [Float] = stride(from: log(0.4), through: log(2.6), by: 0.015).map { Float(exp($0)) }
    /// Phasor sums, `[gain][tile projection]`, real and imaginary parts.
    private(set) var real: [Float]
    private(set) var imaginary: [Float]
    /// Readings added to each tile projection.
    package private(set) var terms: [Int]
    package private(set) var frames = 0
    /// The gains read (indices into `gains`): all of them, or a window around a gain already
    /// found, when only the geometry is being adjusted.
    let gainRange: Range<Int>

    package init(layout: TileLayout, strength: Float = 1, gains: Range<Int>? = nil) {
        self.layout = layout
        gainRange = gains.map { $0.clamped(to: Self.gains.indices) } ?? Self.gains.indices
        step = TileEmbedder.baseStep * strength
        let count = Self.gains.count * TileLayout.projectionCount
        real = [Float](repeating: 0, count: count)
        imaginary = [Float](repeating: 0, count: count)
        terms = [Int](repeating: 0, count: TileLayout.projectionCount)
    }

    /// The cells of the tile grid a copy's plane covers under a geometry: each cell's mean, and
    /// which cells lie wholly inside the copy, are not clipped and are not flat.
    package struct Cells {
        /// Absolute cell index (in the marked frame's tile grid) of this grid's first cell; even.
        let originX: Int, originY: Int
        let width: Int, height: Int
        let means: [Float]
        let valid: [Bool]
    }

    /// `region` (copy pixels: x0, y0, x1, y1) keeps only the cells whose first sample lies in it.
    package static func cells(_ plane: LumaPlane, geometry: CopyGeometry, region: (Double, Double, Double, Double)? = nil) -> Cells {
        let cell = TileLayout.cellReferencePixels
        // The reference points of the copy's corners bound the cells it can touch.
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for (x, y) in [(0.0, 0.0), (Double(plane.width), 0), (0, Double(plane.height)), (Double(plane.width), Double(plane.height))] {
            let r = geometry.referencePoint(x, y)
            minX = min(minX, r.x); maxX = max(maxX, r.x); minY = min(minY, r.y); maxY = max(maxY, r.y)
        }
        var x0 = Int((minX / cell).rounded(.down)), y0 = Int((minY / cell).rounded(.down))
        x0 -= ((x0 % 2) + 2) % 2
        y0 -= ((y0 % 2) + 2) % 2
        var w = Int((maxX / cell).rounded(.down)) - x0 + 1, h = Int((maxY / cell).rounded(.down)) - y0 + 1
        w += w % 2
        h += h % 2
        // Each cell is the mean of k × k bilinear samples of the copy on a regular grid inside the
        // cell (k from its size in the copy: about one sample per two copy pixels, 4 to 10): a
        // mean that moves smoothly with the geometry, so that the pilots can place it to a
        // fraction of a pixel, whatever the scale and angle.
        let side = (abs(geometry.linear.determinant)).squareRoot() * cell
        let k = min(10, max(4, Int((side / 2).rounded(.up))))
        var means = [Float](repeating: 0, count: w * h), valid = [Bool](repeating: false, count: w * h)
        let l = geometry.linear
        // Copy-pixel steps of one sub-sample along the reference x and y axes.
        let ux = l.apply(cell / Double(k), 0), uy = l.apply(0, cell / Double(k))
        for cy in 0..<h {
            for cx in 0..<w {
                // The first sub-sample's copy point, as a pixel-grid coordinate (centres at integers).
                let r0 = (Double(x0 + cx) * cell + cell / Double(2 * k), Double(y0 + cy) * cell + cell / Double(2 * k))
                let p0 = geometry.copyPoint(r0.0, r0.1)
                if let region, p0.x < region.0 || p0.y < region.1 || p0.x >= region.2 || p0.y >= region.3 { continue }
                guard let (sum, low, high) = plane.latticeSamples(origin: p0, across: ux, down: uy, count: k) else { continue }
                let mean = sum / Float(k * k)
                means[cy * w + cx] = mean
                // A cell with no variation at all is a bar, a canvas or a corner the copy filled in,
                // not picture: it is left out, and with it every block whose high-pass reaches it
                // (the edge between it and the picture reads the same wrong phase in every frame).
                valid[cy * w + cx] = mean > WatermarkDesign.clippedLevel && mean < 255 - WatermarkDesign.clippedLevel
                    && high - low >= Self.leastVariation
            }
        }
        return Cells(originX: x0, originY: y0, width: w, height: h, means: means, valid: valid)
    }

    /// Projections of the whole blocks of `cells` (high-passed over 5 × 5 valid cells, in units of
    /// the cells' deviation) with the tile projection each repeats; a block any of whose cells
    /// lacks a whole valid neighbourhood, or that is flat, is left out.
    package func projections(_ cells: Cells) -> [(tile: Int, value: Float)] {
        let w = cells.width, h = cells.height
        let r = WatermarkDesign.highPassRadius
        // Prefix sums of valid cells and of their means.
        var count = [Int32](repeating: 0, count: (w + 1) * (h + 1)), total = [Float](repeating: 0, count: (w + 1) * (h + 1))
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x, v = cells.valid[i]
                count[(y + 1) * (w + 1) + x + 1] = count[y * (w + 1) + x + 1] + count[(y + 1) * (w + 1) + x] - count[y * (w + 1) + x] + (v ? 1 : 0)
                total[(y + 1) * (w + 1) + x + 1] = total[y * (w + 1) + x + 1] + total[(y + 1) * (w + 1) + x] - total[y * (w + 1) + x] + (v ? cells.means[i] : 0)
            }
        }
        func box(_ a: [Int32], _ x: Int, _ y: Int) -> Int32 {
            let x0 = max(x - r, 0), y0 = max(y - r, 0), x1 = min(x + r + 1, w), y1 = min(y + r + 1, h)
            return a[y1 * (w + 1) + x1] - a[y0 * (w + 1) + x1] - a[y1 * (w + 1) + x0] + a[y0 * (w + 1) + x0]
        }
        func box(_ a: [Float], _ x: Int, _ y: Int) -> Float {
            let x0 = max(x - r, 0), y0 = max(y - r, 0), x1 = min(x + r + 1, w), y1 = min(y + r + 1, h)
            return a[y1 * (w + 1) + x1] - a[y0 * (w + 1) + x1] - a[y1 * (w + 1) + x0] + a[y0 * (w + 1) + x0]
        }
        // The deviation of the valid cells (floored as the embedder floors it).
        var sum: Float = 0, squares: Float = 0, n: Float = 0
        for i in 0..<(w * h) where cells.valid[i] { sum += cells.means[i]; squares += cells.means[i] * cells.means[i]; n += 1 }
        guard n > 0 else { return [] }
        let sigma = max((max(squares / n - (sum / n) * (sum / n), 0)).squareRoot(), WatermarkDesign.scaleFloor)
        let full = Int32((2 * r + 1) * (2 * r + 1))
        let side = TileLayout.blockSide, perTile = TileLayout.blocksPerSide
        var out: [(tile: Int, value: Float)] = []
        for by in 0..<(h / side) {
            for bx in 0..<(w / side) {
                var p: Float = 0, energy: Float = 0, whole = true
                let j = ((((cells.originY / side + by) % perTile) + perTile) % perTile) * perTile
                    + (((cells.originX / side + bx) % perTile) + perTile) % perTile
                for dy in 0..<side {
                    for dx in 0..<side {
                        let x = bx * side + dx, y = by * side + dy
                        guard cells.valid[y * w + x], box(count, x, y) == full else { whole = false; break }
                        let hp = cells.means[y * w + x] - box(total, x, y) / Float(full)
                        p += layout.signs[j * side * side + dy * side + dx] * hp
                        energy += hp * hp
                    }
                    if !whole { break }
                }
                // A flat block (a bar, a blank canvas) reads its dither alone: no evidence either way.
                guard whole, energy / Float(side * side) > 0.25 else { continue }
                out.append((j, p / (Float(side * side).squareRoot() * sigma)))
            }
        }
        return out
    }

    /// Adds one frame of the copy under `geometry`.
    package mutating func add(_ plane: LumaPlane, geometry: CopyGeometry, region: (Double, Double, Double, Double)? = nil) {
        add(projections(Self.cells(plane, geometry: geometry, region: region)))
    }

    package mutating func add(_ readings: [(tile: Int, value: Float)]) {
        let count = TileLayout.projectionCount
        for gi in gainRange {
            let gain = Self.gains[gi], base = gi * count
            for (j, p) in readings {
                let phase = 2 * Float.pi * (gain * p / step - layout.dither[j])
                real[base + j] += cos(phase)
                imaginary[base + j] += sin(phase)
            }
        }
        for (j, _) in readings { terms[j] += 1 }
        frames += 1
    }

    /// The pilots' sum against their bits, per gain: Σ Re(zⱼ · (−1)^bitⱼ) (−∞ outside `gainRange`).
    func pilotSums() -> [Float] {
        let count = TileLayout.projectionCount
        return Self.gains.indices.map { gi in
            guard gainRange.contains(gi) else { return -.infinity }
            var s: Float = 0
            for (k, j) in layout.pilotProjections.enumerated() {
                s += layout.pilotBits[k] == 0 ? real[gi * count + j] : -real[gi * count + j]
            }
            return s
        }
    }

    /// The gain whose pilots line up best.
    package var bestGain: Int { pilotSums().enumerated().max { $0.element < $1.element }?.offset ?? 0 }

    /// log10 of the pilots' p-value at a gain, exact given the phasors' lengths (`PhaseTest`),
    /// before any correction for how the geometry and gain were chosen.
    package func pilotLog10P(gain gi: Int) -> Double {
        let count = TileLayout.projectionCount
        var statistic = 0.0
        var weights: [Double] = []
        for (k, j) in layout.pilotProjections.enumerated() {
            let re = Double(real[gi * count + j]), im = Double(imaginary[gi * count + j])
            statistic += layout.pilotBits[k] == 0 ? re : -re
            weights.append((re * re + im * im).squareRoot())
        }
        return PhaseTest.log10Tail(statistic: statistic, weights: weights)
    }

    /// The message read at a gain, or nil when its CRC fails.
    package func message(gain gi: Int) -> Message? {
        let count = TileLayout.projectionCount
        let soft = layout.messageProjections.map { real[gi * count + $0] }
        guard soft.contains(where: { $0 != 0 }) else { return nil }
        return Payload.decodeMessage(soft)
    }
}
