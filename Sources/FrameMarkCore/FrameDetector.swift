import Foundation

/// What the detector keeps of one frame: its normalised projections under each of the eight
/// orientations. Everything else is decided over the clip (`ClipAnalyzer`).
public struct FrameObservation: Sendable {
    /// 8 × projectionCount values, orientation after orientation.
    let projections: [Float]
}

/// Measures frames for the mark of one key; safe to call from several threads.
public final class FrameDetector: Sendable {
    public let layout: WatermarkLayout
    let step: Float

    public init(layout: WatermarkLayout) {
        self.layout = layout
        step = WatermarkDesign.baseStep
    }

    /// Projections of the frame's high-passed working grid under every orientation.
    public func observe(_ plane: LumaPlane) -> FrameObservation {
        let gw = layout.gridWidth, gh = layout.gridHeight, count = gw * gh, k = layout.projectionCount
        var projections = [Float](repeating: 0, count: 8 * k)
        var grid = [Float](repeating: 0, count: count)
        var scratch = [Float](repeating: 0, count: count)
        var hp = [Float](repeating: 0, count: count)
        // Upright orientations read a gw×gh grid, quarter-turned ones a gh×gw grid.
        for swapped in [false, true] {
            let (w, h) = swapped ? (gh, gw) : (gw, gh)
            grid.withUnsafeMutableBufferPointer { GridSampler(gridWidth: w, gridHeight: h).sample(plane, into: $0) }
            let scale = grid.withUnsafeBufferPointer { GridFilter.scale($0) }
            grid.withUnsafeBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer { s in
                    hp.withUnsafeMutableBufferPointer { GridFilter.highPass(g, width: w, height: h, radius: WatermarkDesign.highPassRadius, scratch: s, out: $0) }
                }
            }
            projections.withUnsafeMutableBufferPointer { out in
                hp.withUnsafeBufferPointer { grid in
                    for (o, orientation) in Orientation.allCases.enumerated() where orientation.swapsAxes == swapped {
                        layout.project(grid, cellMap: layout.orientedCells[o], scale: scale,
                                       into: UnsafeMutableBufferPointer(rebasing: out[(o * k)..<((o + 1) * k)]))
                    }
                }
            }
        }
        return FrameObservation(projections: projections)
    }

    /// The bit phase of projection i: 2π(γ·s·p/Δ − d), near 0 when it carries a 0 and near π for a 1.
    @inline(__always)
    func bitPhase(_ p: Float, _ i: Int, gain: Float, sign: Float) -> Float {
        2 * Float.pi * (gain * sign * p / step - layout.dither[i])
    }
}
