import Crypto
import FrameMarkCore
import FrameMarkForensics
import FrameMarkMedia
import Foundation
import Synchronization

/// Marks every frame of a video and re-encodes it: the transcode pipeline with the embedder as its stage.
public struct WatermarkEmbedding {
    public var transcoder: Transcoder
    public var strength: Float
    /// The grid follows the picture's motion (`GridTracker`) instead of staying fixed to the
    /// frame: far cheaper to encode with camera motion, and sturdier under heavy compression
    /// (docs/algorithm.md). `detect` finds it by following the received motion, and reads a copy
    /// whose start was cut off from the grid's next restart on (at most a second). Not the
    /// default yet: its time codes, and so edit forensics, are weaker on small clips.
    public var attached: Bool

    public init(transcoder: Transcoder, strength: Float = 1, attached: Bool = false) {
        self.transcoder = transcoder
        self.strength = strength
        self.attached = attached
    }

    public func run(input: String, output: String, key: WatermarkKey, message: Message) throws -> TranscodeSummary {
        let embedder = Embedder(layout: WatermarkLayout(key: key), message: message, strength: strength)
        let info = InfoBox()
        let turnstile = Turnstile()
        let tracking = attached ? TrackingStage() : nil
        return try transcoder.run(input: input, output: output, stage: { frame, index in
            let time = info.video.map { $0.secondsFromStart(frame.pts ?? 0) } ?? 0
            // Measuring and painting run in parallel; deciding the mark runs in frame order,
            // because each frame's mark starts from the previous one's (and so does the
            // geometry of a grid that follows the picture).
            let place = tracking.map { t in frame.withLuma { t.place(index, $0, timeSeconds: time) } }
            let analysis: FrameAnalysis
            do { analysis = try frame.withLuma { try embedder.analyze($0, geometry: place?.geometry) } } catch { turnstile.skip(index); throw error }
            let field = turnstile.pass(index) { embedder.decide(analysis, timeSeconds: time, restart: place?.afresh ?? false) }
            frame.withLuma { embedder.apply(field, to: $0, geometry: place?.geometry) }
        }, configure: { video in
            guard video.width >= 64, video.height >= 36 else {
                throw MediaError(path: input, "frame size \(video.width)x\(video.height) is too small to carry a watermark (at least 64x36)")
            }
            info.video = video
        })
    }

    /// A message derived from the input file's content (the first 64 bits of its SHA-256).
    public static func contentMessage(of path: String) throws -> Message {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw MediaError(path: path, "not readable") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        let digest = Array(hasher.finalize())
        return Message(digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }
}

/// A `GridTracker` shared by a worker pool's stages: each frame's motion plane is made in
/// parallel, the tracker advances in frame order.
final class TrackingStage: Sendable {
    private let turnstile = Turnstile()
    private let tracker = Mutex(GridTracker())

    func place(_ index: Int, _ plane: LumaPlane, timeSeconds: Double) -> (geometry: GlobalMotion, restarted: Bool, afresh: Bool) {
        let motionPlane = MotionPlane(plane)
        return turnstile.pass(index) { tracker.withLock { $0.advance(motionPlane, timeSeconds: timeSeconds) } }
    }
}

/// Written once by `configure` before any stage call reads it.
final class InfoBox: @unchecked Sendable {
    var video: VideoInfo?
}

/// The result of `detect` on a file.
public struct DetectionReport: Sendable {
    public var file: String
    public var verdict: ClipVerdict
    /// Segments, source times and tamper regions.
    public var forensics: ForensicReport
    public var video: VideoInfo
    /// The mark was read on a grid that follows the picture (`embed --attached`), not on the
    /// frame-fixed one.
    public var tracked: Bool
    public var seconds: Double
}

/// Decodes a video and tests every frame on the worker pool, then aggregates over the clip.
public struct WatermarkDetection {
    public var jobs: Int
    public var quiet: Bool

    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, quiet: Bool = false) {
        self.jobs = max(1, jobs)
        self.quiet = quiet
    }

    public func run(input: String, key: WatermarkKey) throws -> DetectionReport {
        let start = Date()
        let detector = FrameDetector(layout: WatermarkLayout(key: key))
        // The frame-fixed grid (the default mark) is read first. A mark whose grid follows the
        // picture (`embed --attached`) does not read on it: when that read leaves frames
        // unexplained, the file is read again with the grid that follows the picture (per frame
        // the motion from the frame before, the anchors where the grid is back home, and the
        // frame at its planned geometry, in one pass), and the better read is kept.
        var (verdict, video) = try read(input, detector)
        var tracked = false
        if Self.worthAnotherRead(verdict) {
            var (second, steps, anchors, geometries) = try readTracked(input, detector, hypotheses: Self.anchorHypotheses + [verdict.hypothesis])
            for (i, unknown) in GridPlan.unplaced(steps, anchors: anchors, width: video.width, height: video.height).enumerated()
                where i < second.frames.count {
                second.frames[i].gridUnknown = unknown
                second.frames[i].gridPlacement = GridPlacement(geometries[i], width: video.width, height: video.height)
            }
            if Self.prefersTracked(second, over: verdict) {
                verdict = second
                tracked = true
            }
        }
        verdict.log10PValue = min(0, verdict.log10PValue + (tracked ? Self.trackedPenalty : Self.fixedPenalty))
        if verdict.detected && verdict.log10PValue > ClipAnalyzer.clipLog10Threshold {
            verdict.detected = false
            verdict.message = nil
        }
        var examiner = Forensics()
        if tracked { examiner.timeCodeRefreshSeconds = GridTracker.restartSeconds }
        let forensics = examiner.analyze(verdict, frameDuration: Self.frameDuration(verdict.frames.map(\.timeSeconds), video))
        return DetectionReport(file: input, verdict: verdict, forensics: forensics, video: video, tracked: tracked,
                               seconds: Date().timeIntervalSince(start))
    }

    /// Two reads are two tests: weighted Bonferroni, 9/10 of the false-positive rate to the
    /// frame-fixed read (made for every clip, and the default mark's), 1/10 to the tracked one,
    /// so the clip's rate stays ≤ 10⁻⁹ whichever is kept.
    static let fixedPenalty = log10(10.0 / 9.0)
    static let trackedPenalty = 1.0

    /// Frames detected on their own.
    static func explained(_ v: ClipVerdict) -> Int { v.frames.filter(\.detected).count }

    /// Whether the tracked read explains the clip better than the frame-fixed one: clearly more
    /// frames detected on their own (at least 2 and 5% more), or, when neither read is clearly
    /// ahead on frames (heavy compression leaves few frames passing alone), the smaller clip
    /// p-value after each read's share of the false-positive rate. On a still shot both reads
    /// see nearly the same picture; either choice is covered by the weighted Bonferroni correction.
    static func prefersTracked(_ tracked: ClipVerdict, over fixed: ClipVerdict) -> Bool {
        let margin = max(2, fixed.frames.count / 20)
        if explained(tracked) >= explained(fixed) + margin { return true }
        if explained(fixed) >= explained(tracked) + margin { return false }
        return tracked.log10PValue + trackedPenalty < fixed.log10PValue + fixedPenalty
    }

    /// A read left a tenth or more of the frames that have detail unexplained.
    static func worthAnotherRead(_ v: ClipVerdict) -> Bool {
        let withDetail = v.frames.filter { $0.detail >= WatermarkDesign.minimumDetail }.count
        return withDetail > 1 && Double(explained(v)) < 0.9 * Double(withDetail)
    }

    /// The hypotheses a frame's pilots are scored under, at home, to find anchors: every
    /// orientation, inverted or not, at gain 1 and no tone curve (a copy flipped or inverted
    /// after its start was cut off still shows its anchors), and upright at every gain (a mark
    /// made at another `--strength` reads at gain 1/strength, and 20% off reads nothing), besides
    /// the fixed read's choice.
    static let anchorHypotheses: [Hypothesis] = (0..<Orientation.allCases.count).flatMap { o in
        [false, true].map { Hypothesis(orientationIndex: o, inverted: $0) }
    } + Hypothesis.uprightGains.filter { $0.gain != 1 }

    /// A pilot z-score, read at `GridTracker.home`, at which a frame is taken as an anchor
    /// (`GridPlan`): the embedder's grid is back there. About 3·10⁻⁷ per frame and hypothesis by
    /// chance (neighbouring gains are far from independent, so fewer than the count of them).
    static let anchorScore = 5.0
    static let anchorJump = 3.0

    /// One pass over the file on the frame-fixed grid: every frame observed on the worker pool,
    /// then the clip analysed.
    private func read(_ input: String, _ detector: FrameDetector) throws -> (verdict: ClipVerdict, video: VideoInfo) {
        let reader = try MediaReader(path: input)
        let video = reader.video
        let pool = OrderedWorkerPool<Frame, (FrameObservation, Double, Void)>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, _ in
            (frame.withLuma { detector.observe($0) }, video.secondsFromStart(frame.pts ?? 0), ())
        }
        return (try analyse(reader, pool, detector, label: "detect").verdict, video)
    }

    /// One pass over the file with the grid following the picture (`GridPlan`): per frame, in
    /// parallel, the motion plane and the pilots' scores read at home (under each of
    /// `hypotheses`); in frame order, the motion fit and the frame's geometry (an anchor is a
    /// score of at least `anchorScore`, `anchorJump` above the frame before's); in parallel
    /// again, the frame observed at that geometry. Returns the motion and anchors too.
    private func readTracked(_ input: String, _ detector: FrameDetector, hypotheses: [Hypothesis])
        throws -> (verdict: ClipVerdict, steps: [GridPlan.Step], anchors: Set<Int>, geometries: [GlobalMotion]) {
        let reader = try MediaReader(path: input)
        let video = reader.video
        struct State: Sendable {
            var lastScores: [Double]? = nil, planner: GridPlan.Planner
        }
        // Two sections in frame order: handing on the motion plane (so each frame gets the one
        // before it), then the plan. The motion fit between them runs in parallel: it is the
        // costliest step here and needs nothing but the two planes.
        let handOn = Turnstile(), planning = Turnstile()
        let previous = Mutex<MotionPlane?>(nil)
        let state = Mutex(State(planner: GridPlan.Planner(width: video.width, height: video.height)))
        let pool = OrderedWorkerPool<Frame, (FrameObservation, Double, (step: GridPlan.Step, anchor: Bool, geometry: GlobalMotion))>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
            let (plane, home) = frame.withLuma { (MotionPlane($0), detector.observe($0, geometry: GridTracker.home)) }
            let scores = detector.pilotScores(home, under: hypotheses)
            let time = video.secondsFromStart(frame.pts ?? 0)
            let last = handOn.pass(index) { previous.withLock { p in defer { p = plane }; return p } }
            var fit: (motion: GlobalMotion, residual: Double)?
            if let last, last.width == plane.width, last.height == plane.height {
                fit = GlobalMotionEstimator.estimate(from: last, to: plane)
            }
            let (geometry, step, anchor) = planning.pass(index) {
                state.withLock { s in
                    // A restart shows as a jump of the score under the mark's hypothesis (the grid
                    // was far from home a frame before); a score that only drifts across the
                    // threshold after one is no anchor. Jumps are taken per hypothesis: the best
                    // over many gains of a frame away from home is well above its gain-1 score.
                    let anchor = scores.indices.contains { h in
                        scores[h] >= Self.anchorScore && (s.lastScores.map { scores[h] - $0[h] >= Self.anchorJump } ?? true)
                    }
                    s.lastScores = scores
                    let step = GridPlan.Step(timeSeconds: time, fit: fit)
                    return (s.planner.next(step, anchor: anchor), step, anchor)
                }
            }
            let observation = geometry == GridTracker.home ? home : frame.withLuma { detector.observe($0, geometry: geometry) }
            return (observation, time, (step, anchor, geometry))
        }
        let (verdict, extras) = try analyse(reader, pool, detector, label: "detect (tracked)")
        return (verdict, extras.map { $0.step }, Set(extras.indices.filter { extras[$0].anchor }), extras.map { $0.geometry })
    }

    /// Feeds a pool's observations to a clip analyser in frame order, with progress; `Extra` is
    /// whatever else the stage returns per frame, collected in order.
    private func analyse<Extra>(_ reader: MediaReader, _ pool: OrderedWorkerPool<Frame, (FrameObservation, Double, Extra)>,
                                _ detector: FrameDetector, label: String) throws -> (verdict: ClipVerdict, extras: [Extra]) {
        let analyzer = ClipAnalyzer(detector: detector)
        let progress = ProgressMeter(label: label, total: reader.video.expectedFrames, quiet: quiet)
        var extras: [Extra] = []
        func take(_ results: [(FrameObservation, Double, Extra)]) {
            for (observation, time, extra) in results {
                analyzer.add(observation, index: extras.count, timeSeconds: time)
                extras.append(extra)
            }
            progress.update(extras.count)
        }
        while let item = try reader.next() {
            if case .frame(let frame) = item { take(try pool.submit(frame)) }
        }
        take(try pool.finish())
        progress.finish(extras.count)
        return (analyzer.finish(), extras)
    }

    /// The typical time between frames: the median step of the timestamps, else the stream's rate.
    static func frameDuration(_ times: [Double], _ video: VideoInfo) -> Double {
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        if !steps.isEmpty { return steps[steps.count / 2] }
        if let r = video.frameRate, r.num > 0, r.den > 0 { return Double(r.den) / Double(r.num) }
        return 1.0 / 25
    }
}
