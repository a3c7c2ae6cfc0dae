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

    /// Frames whose grid cannot be placed: those of a shot before an anchor that the plan from
    /// the shot's start (or from the anchor before) does not foresee. The embedder restarts at
    /// fixed intervals and limits, which the plan replays, so an anchor it does not foresee
    /// means the grid did not start where the plan assumed: the copy's start was cut off, and
    /// the grid there started before it, at a place nothing in the copy tells (a first frame
    /// near the restart may even read as an anchor itself, the grid having drifted only a
    /// little). From the last such anchor on, the plan holds.
    ///
    /// A shot that begins inside the copy, not at its first frame, is placed only if it begins at
    /// an anchor (the embedder restarts its grid at every shot it sees): a shot without one is
    /// a splice, into the middle of a stretch of the original whose grid had moved away, and is
    /// unplaced up to its first anchor. (Read as if at home, such a shot reads its mark in part
    /// and looks tampered.) A shot with no anchor in a whole restart interval is not marked
    /// footage, and is read as planned.
    public static func unplaced(_ steps: [Step], anchors: Set<Int>, width: Int, height: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: steps.count)
        var start = 0
        while start < steps.count {
            var end = start + 1
            while end < steps.count && !isCut(steps[end]) { end += 1 }
            var from = start
            var later = anchors.filter({ $0 > start && $0 < end }).sorted()
            // A whole interval without one is no marked footage (any interval of it holds a
            // restart): foreign footage, read as planned, so that it shows as foreign.
            let frames = Double(end - start), span = steps[end - 1].timeSeconds - steps[start].timeSeconds
            let anchorless = later.isEmpty && frames > 1 && span * frames / (frames - 1) >= GridTracker.restartSeconds - 1e-3
            if start > 0 && !anchors.contains(start) && !anchors.contains(start + 1) && !anchorless {
                from = later.first ?? end
                for t in start..<from { out[t] = true }
                later = Array(later.dropFirst())
            }
            // The plan from each placed point: where it restarts on its own.
            for anchor in later {
                var planner = Planner(width: width, height: height)
                var foreseen = false
                for t in from...min(anchor + 1, end - 1) {
                    _ = planner.next(steps[t], anchor: false)
                    if t > from && planner.restarted && abs(t - anchor) <= 1 { foreseen = true }
                }
                if !foreseen { for t in from..<anchor { out[t] = true } }
                from = anchor
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
        /// Whether the last frame planned put the grid back home.
        public private(set) var restarted = false
        /// Whether the embedder started its mark afresh there (`GridTracker.advance`): at a shot's
        /// start, an anchor, or a restart of a grid that had moved; not at the restarts of a grid
        /// that stayed home, which keep the mark and its arrangement.
        public private(set) var afresh = false

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        /// The next frame's geometry: home at the start of a shot and at an anchor, else the last
        /// geometry moved by the frame's motion, unless the embedder's rules send it home.
        public mutating func next(_ step: Step, anchor: Bool) -> GlobalMotion {
            afresh = true
            if let start = since, !GridPlan.isCut(step) {
                let moved = geometry.then(step.fit!.motion)
                if !anchor && GridTracker.keeps(moved, width: width, height: height, elapsed: step.timeSeconds - start) {
                    geometry = moved
                    restarted = false
                    afresh = false
                    return geometry
                }
                afresh = anchor || GridTracker.displacement(moved, GridTracker.home, width: width, height: height) > GridTracker.unmovedPixels
            }
            restarted = true
            geometry = GridTracker.home
            since = step.timeSeconds
            return geometry
        }
    }
}
