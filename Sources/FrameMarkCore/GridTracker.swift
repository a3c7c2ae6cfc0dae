/// Where a grid that follows the picture lies in each frame: the frame-fixed grid at a shot's
/// first frame, then moved on by every frame's global motion.
///
/// The embedder runs it on the source frames. The detector replays the same rules on the frames
/// it receives (`GridPlan`): both estimate the same camera motion (to a fraction of a pixel over
/// a shot, see docs/algorithm.md), so both arrive at the same geometry and the same restarts. A
/// restart puts the grid back on the frame (at `home`): at a scene cut (the motion fit leaves a large
/// residual), when the grid has been carried so far that much of it is out of the frame, and every
/// `restartSeconds`, so that a copy cut out of the middle of a shot soon reaches a frame where
/// the grid is on the frame again (an anchor the detector can find, see `GridPlan`).
public struct GridTracker: Sendable {
    /// RMS fit residual (luma levels, on the estimator's block means) above which two frames are
    /// taken as different shots. A pan or zoom fits to 1–3 levels; a cut leaves 20 or more.
    public static let cutResidual = 12.0
    /// How far the grid may be zoomed or shifted (fraction of the frame) before it returns.
    public static let scaleLimit = 1.25
    public static let shiftLimit = 0.15
    /// The longest a grid follows the picture before it returns to the frame.
    public static let restartSeconds = 3.0
    /// Where a restarted grid lies: a little inside the frame (3% of it all round unmarked), so
    /// that the first frames of a pan or zoom do not carry a whole ring of cells out of it, and
    /// with them every projection that touches the ring.
    public static let home = GlobalMotion(scale: 0.94, dx: 0, dy: 0)

    public private(set) var geometry: GlobalMotion = home
    private var previous: MotionPlane?
    private var lastMotion: GlobalMotion = .identity
    private var restartTime: Double?

    public init() {}

    /// Moves the geometry on to the next frame, shown at `timeSeconds`. Returns the frame's
    /// geometry and whether the grid restarted on the frame (always for the first frame).
    public mutating func advance(_ plane: MotionPlane, timeSeconds: Double) -> (geometry: GlobalMotion, restarted: Bool) {
        defer { previous = plane }
        guard let previous, previous.width == plane.width, previous.height == plane.height, let since = restartTime else {
            return restart(at: timeSeconds)
        }
        let fit = GlobalMotionEstimator.estimate(from: previous, to: plane, initial: lastMotion)
        guard fit.residual <= Self.cutResidual else { return restart(at: timeSeconds) }
        let moved = geometry.then(fit.motion)
        guard Self.keeps(moved, width: plane.width, height: plane.height, elapsed: timeSeconds - since) else { return restart(at: timeSeconds) }
        lastMotion = fit.motion
        geometry = moved
        return (geometry, false)
    }

    /// Whether a grid moved to `geometry`, `elapsed` seconds after its last restart, goes on
    /// following the picture (rather than returning to the frame).
    public static func keeps(_ geometry: GlobalMotion, width: Int, height: Int, elapsed: Double) -> Bool {
        geometry.scale <= scaleLimit && geometry.scale >= 1 / scaleLimit
            && abs(geometry.dx) <= shiftLimit * Double(width) && abs(geometry.dy) <= shiftLimit * Double(height)
            && elapsed < restartSeconds - 1e-6
    }

    private mutating func restart(at time: Double) -> (geometry: GlobalMotion, restarted: Bool) {
        geometry = Self.home
        lastMotion = .identity
        restartTime = time
        return (geometry, true)
    }
}
