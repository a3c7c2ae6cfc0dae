/// The detector's side of `GridTracker`: each received frame's grid geometry, from the motion
/// between consecutive frames and the frames where the grid is known to be on the frame.
///
/// The embedder's grid starts at `GridTracker.home` at every restart, so the frames where a read
/// at that geometry suddenly finds the mark are *anchors*: the grid was put back there. From
/// the start of each shot, and again from each anchor, the geometry is chained forward with the
/// received motion and the embedder's own rules (cut, limits, interval). The start of a shot is
/// taken to be at home, as it is when the copy begins where the embedder began; in a copy
/// whose start was cut off, the frames before the first anchor belong to a grid that started
/// before the copy, at a place nothing in the copy tells, and they are not read.
public enum GridPlan {
    /// One received frame: its time, and the motion fitted from the frame before it (nil for the
    /// first frame or after a change of frame size).
    public struct Step: Sendable {
        public var timeSeconds: Double
        public var fit: (motion: GlobalMotion, residual: Double)?

        public init(timeSeconds: Double, fit: (motion: GlobalMotion, residual: Double)?) {
            self.timeSeconds = timeSeconds
            self.fit = fit
        }
    }

    /// Frames whose grid cannot be placed: in a shot that has anchors but does not start on one,
    /// the frames before its first anchor (a copy whose start was cut off).
    public static func unplaced(_ steps: [Step], anchors: Set<Int>) -> [Bool] {
        var out = [Bool](repeating: false, count: steps.count)
        var start = 0
        while start < steps.count {
            var end = start + 1
            while end < steps.count && !isCut(steps[end]) { end += 1 }
            if !anchors.contains(start), let first = (start..<end).first(where: anchors.contains) {
                for t in start..<first { out[t] = true }
            }
            start = end
        }
        return out
    }

    static func isCut(_ step: Step) -> Bool {
        guard let fit = step.fit else { return true }
        return fit.residual > GridTracker.cutResidual
    }

    /// The geometry of every frame of a `width` × `height` clip.
    public static func geometries(_ steps: [Step], width: Int, height: Int, anchors: Set<Int>) -> [GlobalMotion] {
        var planner = Planner(width: width, height: height)
        return steps.indices.map { planner.next(steps[$0], anchor: anchors.contains($0)) }
    }

    /// The plan one frame at a time, in order: a frame's geometry depends on earlier frames only,
    /// so the detector can plan and read in the same pass.
    public struct Planner: Sendable {
        let width: Int, height: Int
        private var geometry = GridTracker.home
        private var since: Double?

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        /// The next frame's geometry: home at the start of a shot and at an anchor, else the last
        /// geometry moved by the frame's motion, unless the embedder's rules send it home.
        public mutating func next(_ step: Step, anchor: Bool) -> GlobalMotion {
            if let start = since, !GridPlan.isCut(step) {
                let moved = geometry.then(step.fit!.motion)
                if !anchor && GridTracker.keeps(moved, width: width, height: height, elapsed: step.timeSeconds - start) {
                    geometry = moved
                    return geometry
                }
            }
            geometry = GridTracker.home
            since = step.timeSeconds
            return geometry
        }
    }
}
