import Foundation
import Synchronization

/// Puts the geometry layer into luma planes: the synchronisation template, then the tiled informed
/// mark (`TileLayout`) decided against the picture with the template in it. It lies on the same
/// grid geometry as the frame layer (`GlobalMotion`: still, or following the camera), so a copy's
/// geometry is found the same way whichever the embedder chose.
///
/// Like `Embedder`, the mark is sticky (each frame starts from the previous frame's field), so
/// `decide` runs in presentation order while the other steps may run on any thread.
public final class TileEmbedder: Sendable {
    public let layout: TileLayout
    let step: Float
    let templateLevel: Float
    private let tileBits: [UInt8]
    /// The template over one tile, `TileEmbedder.tableSamples` samples per reference pixel.
    private let table: [Float]
    private let grids = Mutex<[Int: TileGrid]>([:])
    private let previous = Mutex<[Float]?>(nil)

    /// Quantisation step of the tile's projections at strength 1, in units of the frame's luma
    /// standard deviation (as the frame layer's `WatermarkDesign.baseStep`).
    public static let baseStep: Float = 0.10
    /// The template's RMS at strength 1 where the texture mask is 1, in luma levels.
    public static let baseTemplateLevel: Float = 0.8
    static let tableSamples = 2

    public init(layout: TileLayout, message: Message, strength: Float = 1) {
        precondition(strength > 0, "strength must be positive")
        self.layout = layout
        step = Self.baseStep * strength
        templateLevel = Self.baseTemplateLevel * strength
        tileBits = layout.bits(codedMessage: Payload.codedMessage(message))
        table = layout.template.table(samples: Self.tableSamples)
    }

    func grid(width: Int, height: Int) -> TileGrid {
        grids.withLock { grids in
            let key = width << 32 | height
            if let g = grids[key] { return g }
            let g = layout.grid(width: width, height: height)
            grids[key] = g
            return g
        }
    }

    /// Adds the template to the plane under `geometry`, scaled by the texture mask `mask` of a
    /// `maskWidth × maskHeight` grid (bilinear, clamped to 0.4–2.5): busy cells hide more of it.
    public func addTemplate(to plane: LumaPlane, mask: [Float], maskWidth: Int, maskHeight: Int, geometry: GlobalMotion? = nil) {
        let w = plane.width, h = plane.height
        let columns = TileLayout.gridColumns(width: w, height: h)
        // Reference pixels per pixel along each axis (the tile grid's cells are 10 of them).
        let refX = Double(columns) * TileLayout.cellReferencePixels / Double(w)
        let refY = 720 / Double(h)
        let n = Int(SyncTemplate.tilePeriod) * Self.tableSamples
        let samples = Double(Self.tableSamples)
        func content(_ p: Int, _ size: Int, _ shift: Double) -> Double {
            GlobalMotion.content(p, size: size, shift: shift, under: geometry)
        }
        func wrapped(_ t: Double) -> (Int, Int, Float) {
            var r = t.truncatingRemainder(dividingBy: Double(n))
            if r < 0 { r += Double(n) }
            let i0 = min(Int(r), n - 1)
            return (i0, (i0 + 1) % n, Float(r - Double(i0)))
        }
        let xs = (0..<w).map { x -> (Int, Int, Float, Int, Int, Float) in
            let c = content(x, w, geometry?.dx ?? 0)
            let (t0, t1, tf) = wrapped(c * refX * samples)
            let m = min(max(c * Double(maskWidth) / Double(w) - 0.5, 0), Double(maskWidth - 1))
            let m0 = Int(m)
            return (t0, t1, tf, m0, min(m0 + 1, maskWidth - 1), Float(m - Double(m0)))
        }
        let magic: Float = 12_582_912, magicBits = magic.bitPattern
        let level = templateLevel
        // Each row blends two rows of the table and two rows of the mask once; its pixels then
        // interpolate along x only.
        var templateRow = [Float](repeating: 0, count: n), maskRow = [Float](repeating: 0, count: maskWidth)
        table.withUnsafeBufferPointer { table in
            mask.withUnsafeBufferPointer { mask in
                templateRow.withUnsafeMutableBufferPointer { tRow in
                    maskRow.withUnsafeMutableBufferPointer { mRow in
                        for y in 0..<h {
                            let c = content(y, h, geometry?.dy ?? 0)
                            let (v0, v1, vf) = wrapped(c * refY * samples)
                            let my = min(max(c * Double(maskHeight) / Double(h) - 0.5, 0), Double(maskHeight - 1))
                            let r0 = Int(my), r1 = min(r0 + 1, maskHeight - 1), mf = Float(my - Double(r0))
                            let top = table.baseAddress! + v0 * n, bottom = table.baseAddress! + v1 * n
                            for i in 0..<n { tRow[i] = top[i] + (bottom[i] - top[i]) * vf }
                            let maskTop = mask.baseAddress! + r0 * maskWidth, maskBottom = mask.baseAddress! + r1 * maskWidth
                            for i in 0..<maskWidth { mRow[i] = maskTop[i] + (maskBottom[i] - maskTop[i]) * mf }
                            let row = plane.pixels.baseAddress! + y * plane.stride
                            for x in 0..<w {
                                let (t0, t1, tf, m0, m1, mxf) = xs[x]
                                let t = tRow[t0] + (tRow[t1] - tRow[t0]) * tf
                                let weight = min(max(mRow[m0] + (mRow[m1] - mRow[m0]) * mxf, 0.4), 2.5)
                                let v = min(max(Float(row[x]) + level * weight * t, 0), 255)
                                row[x] = UInt8(truncatingIfNeeded: (v + magic).bitPattern &- magicBits)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the template masked by the frame layer's texture mask (its analysis of the same frame).
    public func addTemplate(to plane: LumaPlane, maskedBy frame: FrameAnalysis, geometry: GlobalMotion? = nil) {
        addTemplate(to: plane, mask: frame.mask, maskWidth: WatermarkDesign.gridWidth, maskHeight: WatermarkDesign.gridHeight, geometry: geometry)
    }

    /// Samples the plane (with the template in it) on the tile grid and measures its texture.
    public func analyze(_ plane: LumaPlane, geometry: GlobalMotion? = nil) -> FrameAnalysis {
        let g = grid(width: plane.width, height: plane.height)
        let count = g.gridWidth * g.gridHeight
        var values = [Float](repeating: 0, count: count)
        var activity = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { v in
            activity.withUnsafeMutableBufferPointer { a in
                GridSampler(gridWidth: g.gridWidth, gridHeight: g.gridHeight, geometry: geometry).sample(plane, into: v, activity: a)
            }
        }
        var mask = Embedder.mask(activity: activity, inside: { values[$0] >= 0 })
        for c in 0..<count where values[c] < 0 { mask[c] = 0 }
        return FrameAnalysis(grid: values, mask: mask)
    }

    /// Decides the frame's tile mark from the previous frame's (`restart`: from nothing). Call in
    /// presentation order, one at a time, with analyses of one picture size.
    public func decide(_ analysis: FrameAnalysis, width: Int, height: Int, restart: Bool = false) -> MarkField {
        let g = grid(width: width, height: height)
        let bits = g.tileProjection.map { tileBits[$0] }
        return previous.withLock { previous in
            if restart { previous = nil }
            let field = g.solveMark(grid: analysis.grid, mask: analysis.mask, bits: bits, step: step, starting: previous)
            previous = field
            return MarkField(values: field)
        }
    }

    /// Adds the field to the plane under the geometry it was analysed with. Any thread.
    public func apply(_ field: MarkField, to plane: LumaPlane, geometry: GlobalMotion? = nil) {
        let g = grid(width: plane.width, height: plane.height)
        Embedder.addBilinear(field.values, gridWidth: g.gridWidth, gridHeight: g.gridHeight, to: plane,
                             geometry: geometry == .identity ? nil : geometry)
    }
}
