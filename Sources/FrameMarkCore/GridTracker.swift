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
    /// Robust fit residual (1.4826 × median |r|, luma levels, on the estimator's block means, see
    /// `GlobalMotionEstimator`) above which two frames are taken as different shots. A pan or zoom
    /// fits to about a level or less (plain RMS 1–3); two unrelated pictures differ by tens.
    public static let cutResidual = 9.0
    /// How far the grid may be zoomed or shifted (fraction of the frame) before it returns.
    public static let scaleLimit = 1.25
    public static let shiftLimit = 0.15
    /// The longest a grid follows the picture before it returns to the frame. Short, because a
    /// copy whose start was cut off is read only from its first restart on, and because each
    /// restart lays the grid on other parts of the picture (a part clipped by a tone change under
    /// one grid is whole under the next); a restart of a grid that has not moved costs nothing
    /// (`advance`). Measured on the pan sample in docs/algorithm.md: 1 s against 1.5, 2 and 3 s.
    public static let restartSeconds = 1.0
    /// A grid this close to `home` (largest displacement over the frame, pixels) has not moved:
    /// restarting it keeps the mark it carries.
    public static let unmovedPixels = 0.25
    /// Where a restarted grid lies: a little inside the frame (3% of it all round unmarked), so
    /// that the first frames of a pan or zoom do not carry a whole ring of cells out of it, and
    /// with them every projection that touches the ring.
    public static let home = GlobalMotion(scale: 0.94, dx: 0, dy: 0)

    public private(set) var geometry: GlobalMotion = home
    /// The message's arrangement (`WatermarkDesign.arrangements`): the next one at every start
    /// afresh, when the whole mark is laid anew anyway and changing it costs the encoder nothing.
    /// A grid that stays home keeps its arrangement: changing it every 2 s on the still-camera
    /// clip took the bitrate at CRF 23 from +3.2% to +6.7% over the unmarked encode (≤ 5% asked).
    public private(set) var arrangement = WatermarkDesign.arrangements - 1
    private var previous: MotionPlane?
    private var lastMotion: GlobalMotion = .identity
    private var restartTime: Double?

    public init() {}

    /// Moves the geometry on to the next frame, shown at `timeSeconds`. Returns the frame's
    /// geometry, whether the grid restarted on the frame (always for the first frame), and whether
    /// the mark must start afresh: at the first frame, at a cut, and at a restart of a grid that
    /// had moved. A grid that stayed home (a still shot) restarts onto the same cells, so its mark
    /// holds still across the restart and costs the encoder nothing.
    public mutating func advance(_ plane: MotionPlane, timeSeconds: Double) -> (geometry: GlobalMotion, restarted: Bool, afresh: Bool) {
        defer { previous = plane }
        guard let previous, previous.width == plane.width, previous.height == plane.height, let since = restartTime else {
            return restart(at: timeSeconds, afresh: true)
        }
        let fit = GlobalMotionEstimator.estimate(from: previous, to: plane, initial: lastMotion)
        guard fit.residual <= Self.cutResidual else { return restart(at: timeSeconds, afresh: true) }
        let moved = geometry.then(fit.motion)
        guard Self.keeps(moved, width: plane.width, height: plane.height, elapsed: timeSeconds - since) else {
            return restart(at: timeSeconds, afresh: Self.displacement(moved, Self.home, width: plane.width, height: plane.height) > Self.unmovedPixels)
        }
        lastMotion = fit.motion
        geometry = moved
        return (geometry, false, false)
    }

    /// The largest distance (pixels) between where two geometries put a point of the frame.
    static func displacement(_ a: GlobalMotion, _ b: GlobalMotion, width: Int, height: Int) -> Double {
        let corner = (Double(width - 1) / 2 * Double(width - 1) / 2 + Double(height - 1) / 2 * Double(height - 1) / 2).squareRoot()
        return abs(a.scale - b.scale) * corner + ((a.dx - b.dx) * (a.dx - b.dx) + (a.dy - b.dy) * (a.dy - b.dy)).squareRoot()
    }

    /// Whether a grid moved to `geometry`, `elapsed` seconds after its last restart, goes on
    /// following the picture (rather than returning to the frame).
    public static func keeps(_ geometry: GlobalMotion, width: Int, height: Int, elapsed: Double) -> Bool {
        geometry.scale <= scaleLimit && geometry.scale >= 1 / scaleLimit
            && abs(geometry.dx) <= shiftLimit * Double(width) && abs(geometry.dy) <= shiftLimit * Double(height)
            && elapsed < restartSeconds - 1e-6
    }

    private mutating func restart(at time: Double, afresh: Bool) -> (geometry: GlobalMotion, restarted: Bool, afresh: Bool) {
        if afresh { arrangement = (arrangement + 1) % WatermarkDesign.arrangements }
        geometry = Self.home
        lastMotion = .identity
        restartTime = time
        return (geometry, true, afresh)
    }
}
