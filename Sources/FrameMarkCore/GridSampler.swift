/// Resamples a luma plane to the working grid by averaging the pixels of each cell (box filter),
/// or by bilinear interpolation when the plane is smaller than the grid. Optionally measures each
/// cell's texture (mean absolute gradient), which the perceptual mask is made from.
struct GridSampler {
    let gridWidth: Int
    let gridHeight: Int
    /// Where the grid lies in the plane when it follows the picture (nil: fixed to the frame's
    /// edges): cell edges are the frame-fixed ones under this zoom and shift.
    var geometry: GlobalMotion? = nil

    init(gridWidth: Int, gridHeight: Int, geometry: GlobalMotion? = nil) {
        self.gridWidth = gridWidth
        self.gridHeight = gridHeight
        self.geometry = geometry == .identity ? nil : geometry
    }

    /// The value of a cell that lies (mostly) outside the plane under a geometry: no luma is
    /// negative, so readers can tell it from a measured cell (see `GridFilter.fillOutside`).
    static let outside: Float = -1

    /// One cell's span along an axis in pixels: whole pixels `first...last`, the end ones weighted.
    struct Span {
        var first: Int, last: Int
        var firstWeight: Float, lastWeight: Float
    }

    /// Cell i covers [i·n/cells, (i+1)·n/cells) exactly, so a mirrored picture gives the mirrored
    /// grid and a rescaled one the same grid, whatever the ratio.
    static func spans(pixels n: Int, cells: Int) -> [Span] {
        (0..<cells).map { i in
            let c0 = Double(i) * Double(n) / Double(cells), c1 = Double(i + 1) * Double(n) / Double(cells)
            let first = Int(c0.rounded(.down)), last = min(Int(c1.rounded(.up)) - 1, n - 1)
            if first == last { return Span(first: first, last: last, firstWeight: Float(c1 - c0), lastWeight: 0) }
            return Span(first: first, last: last, firstWeight: Float(Double(first + 1) - c0),
                        lastWeight: Float(c1 - Double(last)))
        }
    }

    /// Fills `out` (gridWidth × gridHeight, row-major) with area averages (bilinear samples when
    /// the plane is smaller than the grid) and, when given, `activity` with each cell's texture.
    func sample(_ plane: LumaPlane, into out: UnsafeMutableBufferPointer<Float>,
                activity: UnsafeMutableBufferPointer<Float>? = nil) {
        Self.sample(plane, grids: [(self, out)])
        if let activity {
            if plane.width < gridWidth || plane.height < gridHeight { activity.update(repeating: 1) } else { measureActivity(plane, into: activity) }
        }
    }

    /// Spans of cells whose frame-fixed edges `i·n/cells` are zoomed by `scale` about the centre
    /// `(n − 1)/2` and shifted by `shift`; nil for a cell not wholly inside the plane (the
    /// embedder's model of its own painting holds only for whole cells).
    static func spans(pixels n: Int, cells: Int, scale: Double, shift: Double) -> [Span?] {
        let centre = Double(n - 1) / 2
        func edge(_ i: Int) -> Double { centre + scale * (Double(i) * Double(n) / Double(cells) - centre) + shift }
        return (0..<cells).map { i in
            let e0 = edge(i), e1 = edge(i + 1)
            let c0 = max(e0, 0), c1 = min(e1, Double(n))
            guard e0 >= -1e-9, e1 <= Double(n) + 1e-9 else { return nil }
            let first = Int(c0.rounded(.down)), last = min(Int(c1.rounded(.up)) - 1, n - 1)
            if first == last { return Span(first: first, last: last, firstWeight: Float(c1 - c0), lastWeight: 0) }
            return Span(first: first, last: last, firstWeight: Float(Double(first + 1) - c0),
                        lastWeight: Float(c1 - Double(last)))
        }
    }

    /// For each pixel row: the first cell row it falls in and its weight there, and its weight in
    /// the next cell row (a row on a boundary feeds both; cells are at least a row tall).
    struct RowWeights {
        var cell: [Int32], weight: [Float], nextWeight: [Float]

        init(spans: [Span?], pixels: Int) {
            cell = [Int32](repeating: -1, count: pixels)
            weight = [Float](repeating: 0, count: pixels)
            nextWeight = [Float](repeating: 0, count: pixels)
            for (gy, span) in spans.enumerated() {
                guard let span else { continue }
                for y in span.first...span.last {
                    let w = y == span.first ? span.firstWeight : (y == span.last ? span.lastWeight : 1)
                    guard w > 0 else { continue }
                    if cell[y] < 0 { cell[y] = Int32(gy); weight[y] = w } else { nextWeight[y] = w }
                }
            }
        }
    }

    /// Samples several grids of the same plane (the upright and the quarter-turned one).
    static func sample(_ plane: LumaPlane, grids: [(sampler: GridSampler, out: UnsafeMutableBufferPointer<Float>)]) {
        var boxed: [(sampler: GridSampler, out: UnsafeMutableBufferPointer<Float>, columns: [Span?], rowSpans: [Span?], rows: RowWeights)] = []
        for (sampler, out) in grids {
            precondition(out.count >= sampler.gridWidth * sampler.gridHeight)
            if plane.width < sampler.gridWidth || plane.height < sampler.gridHeight {
                sampler.sampleBilinear(plane, into: out)
                continue
            }
            out.update(repeating: 0)
            let (columns, rowSpans) = sampler.spans(width: plane.width, height: plane.height)
            boxed.append((sampler, out, columns, rowSpans, RowWeights(spans: rowSpans, pixels: plane.height)))
        }
        guard !boxed.isEmpty else { return }
        for grid in boxed { Self.accumulate(plane, columns: grid.columns, rows: grid.rows, gridWidth: grid.sampler.gridWidth, out: grid.out) }
        for grid in boxed {
            let gw = grid.sampler.gridWidth, gh = grid.sampler.gridHeight
            guard grid.sampler.geometry != nil else {
                let area = Float(plane.width * plane.height) / Float(gw * gh)
                for i in 0..<(gw * gh) { grid.out[i] /= area }
                continue
            }
            // Under a geometry each cell has its own clipped area, and some have none.
            func length(_ s: Span?) -> Float? {
                guard let s else { return nil }
                return s.first == s.last ? s.firstWeight : s.firstWeight + Float(s.last - s.first - 1) + s.lastWeight
            }
            let widths = grid.columns.map(length), heights = grid.rowSpans.map(length)
            for gy in 0..<gh {
                for gx in 0..<gw {
                    if let w = widths[gx], let h = heights[gy] { grid.out[gy * gw + gx] /= w * h } else { grid.out[gy * gw + gx] = outside }
                }
            }
        }
    }

    /// The cells' spans along x and y: frame-fixed, or under the geometry.
    func spans(width: Int, height: Int) -> (columns: [Span?], rows: [Span?]) {
        guard let g = geometry else {
            return (Self.spans(pixels: width, cells: gridWidth), Self.spans(pixels: height, cells: gridHeight))
        }
        return (Self.spans(pixels: width, cells: gridWidth, scale: g.scale, shift: g.dx),
                Self.spans(pixels: height, cells: gridHeight, scale: g.scale, shift: g.dy))
    }

    /// Cell sums of one grid (not yet divided by the area). Rows are added into per-pixel column
    /// sums for the cell row they fall in, 16 pixels at a time in 16-bit lanes (whole rows; the
    /// weighted rows on a cell boundary go to float sums, for this cell row and the next), and the
    /// column sums are cut into cells once per cell row.
    private static func accumulate(_ plane: LumaPlane, columns: [Span?], rows: RowWeights, gridWidth gw: Int,
                                   out: UnsafeMutableBufferPointer<Float>) {
        let width = plane.width, lanes = 16
        let padded = (width + lanes - 1) / lanes * lanes
        // 16-bit lanes hold up to 257 whole rows of 255; a taller cell takes the float sums.
        var tallest = 0, run = 0, last = -1
        for c in rows.cell where c >= 0 { run = Int(c) == last ? run + 1 : 1; last = Int(c); tallest = max(tallest, run) }
        let wide = tallest <= 257
        let whole = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 2 * padded)
        let weighted = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * padded)
        defer { whole.deallocate(); weighted.deallocate() }
        whole.update(repeating: 0)
        weighted.update(repeating: 0)
        var current = 0, next = padded  // offsets of this cell row's sums and the next one's
        let px = UnsafeBufferPointer(plane.pixels)
        // One cell row's column sums as floats, 8 at a time, before they are cut into cells.
        let line = UnsafeMutableBufferPointer<Float>.allocate(capacity: padded)
        defer { line.deallocate() }
        let lineRaw = UnsafeMutableRawPointer(line.baseAddress!)
        let wholeRaw = UnsafeRawPointer(whole.baseAddress!), weightedRaw = UnsafeRawPointer(weighted.baseAddress!)
        func cut(_ gy: Int) {
            for b in 0..<(padded / 8) {
                let w = SIMD8<Float>(wholeRaw.loadUnaligned(fromByteOffset: (current + 8 * b) * 2, as: SIMD8<UInt16>.self))
                let f = weightedRaw.loadUnaligned(fromByteOffset: (current + 8 * b) * 4, as: SIMD8<Float>.self)
                lineRaw.storeBytes(of: w + f, toByteOffset: 32 * b, as: SIMD8<Float>.self)
            }
            for gx in 0..<gw {
                guard let c = columns[gx] else { continue }
                var v = c.firstWeight * line[c.first]
                if c.last > c.first {
                    v += Self.sum(line, from: c.first + 1, to: c.last)
                    v += c.lastWeight * line[c.last]
                }
                out[gy * gw + gx] = v
            }
        }
        // Adds `w` × the row into `sums` at `offset`, 8 pixels at a time.
        let rowRaw = UnsafeRawPointer(px.baseAddress!)
        let weightedOut = UnsafeMutableRawPointer(weighted.baseAddress!)
        func addWeighted(_ w: Float, row: Int, at offset: Int) {
            let blocks = width / 8
            for b in 0..<blocks {
                let v = SIMD8<Float>(rowRaw.loadUnaligned(fromByteOffset: row + 8 * b, as: SIMD8<UInt8>.self))
                let a = weightedOut.loadUnaligned(fromByteOffset: (offset + 8 * b) * 4, as: SIMD8<Float>.self)
                weightedOut.storeBytes(of: a + w * v, toByteOffset: (offset + 8 * b) * 4, as: SIMD8<Float>.self)
            }
            for x in (blocks * 8)..<width { weighted[offset + x] += w * Float(px[row + x]) }
        }
        var cellRow = 0
        var lastCellRow = -1
        for y in 0..<plane.height {
            let gy = Int(rows.cell[y])
            // Rows above or below every cell (a grid under a geometry) feed nothing.
            guard gy >= 0 else { continue }
            lastCellRow = gy
            while cellRow < gy {
                cut(cellRow)
                swap(&current, &next)
                UnsafeMutableBufferPointer(rebasing: whole[next..<(next + padded)]).update(repeating: 0)
                UnsafeMutableBufferPointer(rebasing: weighted[next..<(next + padded)]).update(repeating: 0)
                cellRow += 1
            }
            let row = y * plane.stride
            let w0 = rows.weight[y], w1 = rows.nextWeight[y]
            if w0 == 1 && wide {
                let source = UnsafeRawPointer(px.baseAddress! + row)
                let sums = UnsafeMutableRawPointer(whole.baseAddress! + current)
                let blocks = width / lanes
                for b in 0..<blocks {
                    let v = SIMD16<UInt16>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: b * lanes, as: SIMD16<UInt8>.self))
                    let a = sums.loadUnaligned(fromByteOffset: b * 2 * lanes, as: SIMD16<UInt16>.self)
                    sums.storeBytes(of: a &+ v, toByteOffset: b * 2 * lanes, as: SIMD16<UInt16>.self)
                }
                for x in (blocks * lanes)..<width { whole[current + x] &+= UInt16(px[row + x]) }
            } else {
                addWeighted(w0, row: row, at: current)
            }
            if w1 > 0 { addWeighted(w1, row: row, at: next) }
        }
        if lastCellRow >= 0 { cut(cellRow) }
    }

    /// Σ values[from..<to], 8 lanes at a time.
    @inline(__always)
    private static func sum(_ values: UnsafeMutableBufferPointer<Float>, from: Int, to: Int) -> Float {
        let raw = UnsafeRawPointer(values.baseAddress!)
        var lanes = SIMD8<Float>.zero
        var x = from
        while x + 8 <= to {
            lanes += raw.loadUnaligned(fromByteOffset: 4 * x, as: SIMD8<Float>.self)
            x += 8
        }
        var v = lanes.sum()
        while x < to { v += values[x]; x += 1 }
        return v
    }

    /// Mean absolute horizontal + vertical gradient of each cell (whole-pixel cell bounds), over
    /// every other row: the mask needs a cell's texture, not every pixel of it (half the cost).
    private func measureActivity(_ plane: LumaPlane, into activity: UnsafeMutableBufferPointer<Float>) {
        let w = plane.width, h = plane.height, stride = plane.stride
        // Whole-pixel bounds of each cell; under a geometry, a cell outside the plane has none.
        var colStart = (0..<gridWidth).map { $0 * w / gridWidth }, colEnd = (1...gridWidth).map { $0 * w / gridWidth }
        var rowStart = (0..<gridHeight).map { $0 * h / gridHeight }, rowEnd = (1...gridHeight).map { $0 * h / gridHeight }
        if geometry != nil {
            let (columns, rows) = spans(width: w, height: h)
            colStart = columns.map { $0?.first ?? 0 }; colEnd = columns.map { $0.map { $0.last + 1 } ?? 0 }
            rowStart = rows.map { $0?.first ?? 0 }; rowEnd = rows.map { $0.map { $0.last + 1 } ?? 0 }
        }
        var gradSum = [UInt32](repeating: 0, count: gridWidth)
        let px = UnsafeBufferPointer(plane.pixels)
        let base = UnsafeRawPointer(plane.pixels.baseAddress!)
        for gy in 0..<gridHeight {
            let y0 = rowStart[gy], y1 = rowEnd[gy]
            for i in 0..<gridWidth { gradSum[i] = 0 }
            var rows = 0
            for y in Swift.stride(from: y0, to: y1, by: 2) {
                rows += 1
                let row = y * stride
                let below = (y + 1 < h ? y + 1 : y) * stride
                for gx in 0..<gridWidth {
                    let xEnd = min(colEnd[gx], w - 1)
                    guard colStart[gx] < xEnd else { continue }
                    // Sixteen pixels at a time (|a − b| as max − min of bytes, summed in 16-bit
                    // lanes, at most 510 a chunk: emptied every 128 chunks), then the rest one by one.
                    var x = colStart[gx]
                    var lanes = SIMD16<UInt16>(repeating: 0)
                    var chunks = 0
                    while x + 16 <= xEnd {
                        let c = base.loadUnaligned(fromByteOffset: row + x, as: SIMD16<UInt8>.self)
                        let right = base.loadUnaligned(fromByteOffset: row + x + 1, as: SIMD16<UInt8>.self)
                        let down = base.loadUnaligned(fromByteOffset: below + x, as: SIMD16<UInt8>.self)
                        let dx = pointwiseMax(c, right) &- pointwiseMin(c, right), dy = pointwiseMax(c, down) &- pointwiseMin(c, down)
                        lanes &+= SIMD16<UInt16>(truncatingIfNeeded: dx) &+ SIMD16<UInt16>(truncatingIfNeeded: dy)
                        x += 16
                        chunks += 1
                        if chunks == 128 { gradSum[gx] &+= lanes.indices.reduce(0) { $0 &+ UInt32(lanes[$1]) }; lanes = .zero; chunks = 0 }
                    }
                    var g: UInt32 = lanes.indices.reduce(0) { $0 &+ UInt32(lanes[$1]) }
                    while x < xEnd {
                        let c = Int32(px[row + x])
                        g &+= UInt32(abs(Int32(px[row + x + 1]) - c)) &+ UInt32(abs(Int32(px[below + x]) - c))
                        x += 1
                    }
                    gradSum[gx] &+= g
                }
            }
            for gx in 0..<gridWidth {
                let count = Float(max(1, (colEnd[gx] - colStart[gx]) * rows))
                activity[gy * gridWidth + gx] = Float(gradSum[gx]) / count
            }
        }
    }

    func sampleBilinear(_ plane: LumaPlane, into out: UnsafeMutableBufferPointer<Float>) {
        let w = plane.width, h = plane.height
        for gy in 0..<gridHeight {
            let fy = max(0, min(Float(h - 1), (Float(gy) + 0.5) * Float(h) / Float(gridHeight) - 0.5))
            let y0 = Int(fy), y1 = min(y0 + 1, h - 1), ty = fy - Float(y0)
            for gx in 0..<gridWidth {
                let fx = max(0, min(Float(w - 1), (Float(gx) + 0.5) * Float(w) / Float(gridWidth) - 0.5))
                let x0 = Int(fx), x1 = min(x0 + 1, w - 1), tx = fx - Float(x0)
                let p = plane.pixels
                let top = Float(p[y0 * plane.stride + x0]) * (1 - tx) + Float(p[y0 * plane.stride + x1]) * tx
                let bottom = Float(p[y1 * plane.stride + x0]) * (1 - tx) + Float(p[y1 * plane.stride + x1]) * tx
                out[gy * gridWidth + gx] = top * (1 - ty) + bottom * ty
            }
        }
    }
}

/// Small separable filters on grids.
enum GridFilter {
    /// Replaces the cells marked `GridSampler.outside` (under a geometry that carries part of the
    /// grid out of the frame) by the mean of the others, so that they take no part in the
    /// high-pass and the scale; returns whether there were any. A frame-fixed grid has none and is
    /// left exactly as it is.
    @discardableResult
    static func fillOutside(_ grid: inout [Float]) -> Bool {
        var sum: Float = 0, inside = 0
        for v in grid where v >= 0 { sum += v; inside += 1 }
        guard inside < grid.count else { return false }
        let fill = inside > 0 ? sum / Float(inside) : 0
        for i in grid.indices where grid[i] < 0 { grid[i] = fill }
        return true
    }

    /// out = x − (box mean of radius r), edges clamped: removes the picture's slow variations.
    static func highPass(_ x: UnsafeBufferPointer<Float>, width w: Int, height h: Int, radius r: Int,
                         scratch: UnsafeMutableBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>) {
        let norm = 1 / Float((2 * r + 1) * (2 * r + 1))
        // Horizontal box sums into scratch.
        for y in 0..<h {
            let row = y * w
            for xx in 0..<w {
                var s: Float = 0
                for k in -r...r { s += x[row + min(max(xx + k, 0), w - 1)] }
                scratch[row + xx] = s
            }
        }
        for y in 0..<h {
            for xx in 0..<w {
                var s: Float = 0
                for k in -r...r { s += scratch[min(max(y + k, 0), h - 1) * w + xx] }
                out[y * w + xx] = x[y * w + xx] - s * norm
            }
        }
    }

    /// Standard deviation of a grid's values, floored: the unit projections are measured in, so
    /// that a contrast change scales both and leaves the projections on their lattice. The mark
    /// barely moves it (its rms is a few percent of a picture's).
    static func scale(_ grid: UnsafeBufferPointer<Float>) -> Float {
        var sum: Float = 0, energy: Float = 0
        for v in grid { sum += v; energy += v * v }
        let n = Float(max(grid.count, 1))
        let variance = max(energy / n - (sum / n) * (sum / n), 0)
        return max(variance.squareRoot(), WatermarkDesign.scaleFloor)
    }

    /// The grid-level effect of upsampling bilinearly and averaging back over cells:
    /// separable [1 6 1]/8, edges clamped.
    static func roundTrip(_ x: UnsafeBufferPointer<Float>, width w: Int, height h: Int,
                          scratch: UnsafeMutableBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>) {
        for y in 0..<h {
            let row = y * w
            for xx in 0..<w {
                scratch[row + xx] = (x[row + max(xx - 1, 0)] + 6 * x[row + xx] + x[row + min(xx + 1, w - 1)]) * 0.125
            }
        }
        for y in 0..<h {
            let up = max(y - 1, 0) * w, down = min(y + 1, h - 1) * w, row = y * w
            for xx in 0..<w {
                out[row + xx] = (scratch[up + xx] + 6 * scratch[row + xx] + scratch[down + xx]) * 0.125
            }
        }
    }
}
