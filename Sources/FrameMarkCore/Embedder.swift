import Foundation
import Synchronization

/// The working-grid picture of one frame, measured before the mark is decided.
public struct FrameAnalysis: Sendable {
    let grid: [Float]
    let mask: [Float]
}

/// The mark of one frame on the working grid, ready to be added to the full-resolution plane.
public struct MarkField: Sendable {
    let values: [Float]
}

/// Puts the watermark into luma planes.
///
/// Informed embedding (dither-modulation QIM on spread-transform projections): each projection of
/// the high-passed working grid is moved onto its bit's lattice, so the picture's own projection
/// does not interfere with the bit. The change is spread over the projection's cells in
/// proportion to their texture (the perceptual mask) and added to the full-resolution plane as a
/// smooth bilinear field.
///
/// The mark is *sticky*: each frame starts from the previous frame's field and corrects only the
/// projections that drifted more than a small tolerance off their lattice point. A still shot
/// therefore carries the same mark in every frame, which the encoder codes once instead of every
/// frame (see docs/algorithm.md for the bitrate this saves). Deciding is sequential — call
/// `decide` in presentation order — while `analyze` and `apply` may run on any thread.
public final class Embedder: Sendable {
    public let layout: WatermarkLayout
    public let message: Message
    public let strength: Float
    let step: Float
    let codedMessage: [UInt8]
    /// The previous frame's field (grid cells), nil before the first frame.
    private let previous = Mutex<[Float]?>(nil)

    public init(layout: WatermarkLayout, message: Message, strength: Float = 1) {
        precondition(strength > 0, "strength must be positive")
        self.layout = layout
        self.message = message
        self.strength = strength
        step = WatermarkDesign.baseStep * strength
        codedMessage = Payload.codedMessage(message)
    }

    /// The bit every projection carries in a frame shown at `timeSeconds`, with the message laid
    /// out in `arrangement` (see `WatermarkDesign.arrangements`).
    func bits(timeSeconds: Double, arrangement: Int = 0) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: layout.projectionCount)
        for (j, k) in layout.codedOrder[arrangement].enumerated() { bits[layout.messageRange.lowerBound + j] = codedMessage[k] }
        let time = Payload.timeBits(code: Payload.timeCode(seconds: timeSeconds))
        for (i, b) in time.enumerated() { bits[layout.timeRange.lowerBound + i] = b }
        for (i, b) in Payload.arrangementBits(arrangement).enumerated() { bits[layout.arrangementRange.lowerBound + i] = b }
        for (i, b) in layout.pilotBits.enumerated() { bits[layout.pilotRange.lowerBound + i] = b }
        return bits
    }

    /// Marks one plane: `analyze`, `decide`, `apply`. Calls must come in presentation order.
    public func embed(into plane: LumaPlane, timeSeconds: Double) throws {
        let analysis = try analyze(plane)
        apply(decide(analysis, timeSeconds: timeSeconds), to: plane)
    }

    /// Samples the plane to the working grid and measures its texture. Any thread. With a
    /// `geometry` the grid follows the picture (see `GlobalMotion`): cells it carries out of the
    /// frame are left unmarked.
    public func analyze(_ plane: LumaPlane, geometry: GlobalMotion? = nil) throws -> FrameAnalysis {
        guard plane.width >= 64, plane.height >= 36 else {
            throw WatermarkError.planeTooSmall(width: plane.width, height: plane.height)
        }
        let gw = layout.gridWidth, gh = layout.gridHeight, count = gw * gh
        var grid = [Float](repeating: 0, count: count)
        var activity = [Float](repeating: 0, count: count)
        grid.withUnsafeMutableBufferPointer { g in
            activity.withUnsafeMutableBufferPointer { a in
                GridSampler(gridWidth: gw, gridHeight: gh, geometry: geometry).sample(plane, into: g, activity: a)
            }
        }
        var mask = Self.mask(activity: activity, inside: { grid[$0] >= 0 })
        for c in 0..<count where grid[c] < 0 { mask[c] = 0 }
        return FrameAnalysis(grid: grid, mask: mask)
    }

    /// Decides the frame's mark from the previous frame's (`restart`: from nothing, as at a new
    /// shot, where a grid that follows the picture returns to the frame). Call in presentation
    /// order, one at a time. `arrangement` lays the message out (see `WatermarkDesign.arrangements`).
    public func decide(_ analysis: FrameAnalysis, timeSeconds: Double, restart: Bool = false, arrangement: Int = 0) -> MarkField {
        precondition((0..<WatermarkDesign.arrangements).contains(arrangement), "no such arrangement")
        return previous.withLock { previous in
            if restart { previous = nil }
            let field = decide(analysis, bits: bits(timeSeconds: timeSeconds, arrangement: arrangement), starting: previous)
            previous = field
            return MarkField(values: field)
        }
    }

    /// Adds the field to the plane (bilinear upsampling, rounded and clamped), under the geometry
    /// the frame was analysed with. Any thread.
    public func apply(_ field: MarkField, to plane: LumaPlane, geometry: GlobalMotion? = nil) {
        Self.addBilinear(field.values, gridWidth: layout.gridWidth, gridHeight: layout.gridHeight, to: plane,
                         geometry: geometry == .identity ? nil : geometry)
    }

    private func decide(_ analysis: FrameAnalysis, bits: [UInt8], starting: [Float]?) -> [Float] {
        layout.solveMark(grid: analysis.grid, mask: analysis.mask, bits: bits, step: step, starting: starting)
    }

    /// Texture mask per cell: more change where the picture is busy, less in flat areas. The
    /// median is taken over the cells `inside` the frame.
    static func mask(activity: [Float], inside: (Int) -> Bool = { _ in true }) -> [Float] {
        var sample = stride(from: 0, to: activity.count, by: 7).filter(inside).map { activity[$0] }
        if sample.isEmpty { sample = [0] }
        sample.sort()
        let median = max(sample[sample.count / 2], 0.5)
        return activity.map { a in min(max(pow(a / median, 0.7), 0.25), 3.0) }
    }

    /// plane += bilinear upsampling of `field` (cell centres at the cells' middles), rounded and clamped.
    /// Each grid row is first upsampled along x (gridHeight rows of `width`); every pixel row is
    /// then a blend of two of them, one tight loop per row. Rounding goes through the float's bits
    /// (adding 1.5·2²³ leaves the rounded integer in the low mantissa bits): Swift checks a
    /// float-to-integer conversion, and that check alone stops the loop from vectorising.
    static func addBilinear(_ field: [Float], gridWidth gw: Int, gridHeight gh: Int, to plane: LumaPlane,
                            geometry: GlobalMotion? = nil) {
        let w = plane.width, h = plane.height
        let across = UnsafeMutableBufferPointer<Float>.allocate(capacity: gh * w)
        defer { across.deallocate() }
        func content(_ p: Int, _ n: Int, _ shift: Double) -> Float {
            Float(GlobalMotion.content(p, size: n, shift: shift, under: geometry))
        }
        field.withUnsafeBufferPointer { f in
            for x in 0..<w {
                let fx = min(max(content(x, w, geometry?.dx ?? 0) * Float(gw) / Float(w) - 0.5, 0), Float(gw - 1))
                let u0 = Int(fx), u1 = min(u0 + 1, gw - 1), tx = fx - Float(u0)
                for v in 0..<gh { across[v * w + x] = f[v * gw + u0] * (1 - tx) + f[v * gw + u1] * tx }
            }
        }
        let pixels = plane.pixels
        let magic: Float = 12_582_912, magicBits = magic.bitPattern
        for y in 0..<h {
            let fy = min(max(content(y, h, geometry?.dy ?? 0) * Float(gh) / Float(h) - 0.5, 0), Float(gh - 1))
            let v0 = Int(fy), v1 = min(v0 + 1, gh - 1), ty = fy - Float(v0)
            let top = across.baseAddress! + v0 * w, bottom = across.baseAddress! + v1 * w
            let row = pixels.baseAddress! + y * plane.stride
            for x in 0..<w {
                let v = min(max(Float(row[x]) + (top[x] * (1 - ty) + bottom[x] * ty), 0), 255)
                row[x] = UInt8(truncatingIfNeeded: (v + magic).bitPattern &- magicBits)
            }
        }
    }
}
