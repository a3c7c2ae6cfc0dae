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
    /// (docs/algorithm.md). `detect` finds it by following the received motion, and places the
    /// frames of a copy spliced or trimmed off a restart by their pilots. The default; `false`
    /// keeps the grid to the frame's edges.
    public var attached: Bool
    /// Also lays the geometry layer: the synchronisation template and the tiled mark that a crop,
    /// a reframe or a rotated copy is read by (`TileEmbedder`; docs/algorithm.md, "Geometry").
    public var tiles: Bool

    public init(transcoder: Transcoder, strength: Float = 1, attached: Bool = true, tiles: Bool = false) {
        self.transcoder = transcoder
        self.strength = strength
        self.attached = attached
        self.tiles = tiles
    }

    public func run(input: String, output: String, key: WatermarkKey, message: Message) throws -> TranscodeSummary {
        let embedder = Embedder(layout: WatermarkLayout(key: key), message: message, strength: strength)
        let tileEmbedder = tiles ? TileEmbedder(layout: TileLayout(key: key), message: message, strength: strength) : nil
        let info = InfoBox()
        let turnstile = Turnstile()
        let tileTurnstile = Turnstile()
        let tracking = attached ? TrackingStage() : nil
        return try transcoder.run(input: input, output: output, stage: { frame, index in
            let time = info.video.map { $0.secondsFromStart(frame.pts ?? 0) } ?? 0
            // Measuring and painting run in parallel; deciding the mark runs in frame order,
            // because each frame's mark starts from the previous one's (and so does the
            // geometry of a grid that follows the picture).
            let place = tracking.map { t in frame.withLuma { t.place(index, $0, timeSeconds: time) } }
            let analysis: FrameAnalysis
            do { analysis = try frame.withLuma { try embedder.analyze($0, geometry: place?.geometry) } } catch {
                turnstile.skip(index)
                tileTurnstile.skip(index)
                throw error
            }
            // The geometry layer's template goes in before the frame layer is decided, and its
            // tiled mark is decided last, against the picture with both in it: the frame layer's
            // smooth field is not orthogonal to the tiles' small carriers, so it must be seen.
            if let t = tileEmbedder { frame.withLuma { t.addTemplate(to: $0, maskedBy: analysis, geometry: place?.geometry) } }
            let restart = place?.afresh ?? false
            let field = turnstile.pass(index) {
                embedder.decide(analysis, timeSeconds: time, restart: restart, arrangement: place?.arrangement ?? 0)
            }
            frame.withLuma { embedder.apply(field, to: $0, geometry: place?.geometry) }
            if let t = tileEmbedder {
                let tileAnalysis = frame.withLuma { t.analyze($0, geometry: place?.geometry) }
                let tileField = tileTurnstile.pass(index) {
                    frame.withLuma { t.decide(tileAnalysis, width: $0.width, height: $0.height, restart: restart) }
                }
                frame.withLuma { t.apply(tileField, to: $0, geometry: place?.geometry) }
            }
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

    func place(_ index: Int, _ plane: LumaPlane, timeSeconds: Double) -> (geometry: GlobalMotion, afresh: Bool, arrangement: Int) {
        let motionPlane = MotionPlane(plane)
        return turnstile.pass(index) {
            tracker.withLock { tracker in
                let step = tracker.advance(motionPlane, timeSeconds: timeSeconds)
                return (step.geometry, step.afresh, tracker.arrangement)
            }
        }
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
    /// Called as frames are read: frames read so far, and the count expected (nil when unknown).
    public var onProgress: (@Sendable (Int, Int?) -> Void)?

    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, quiet: Bool = false) {
        self.jobs = max(1, jobs)
        self.quiet = quiet
    }

    public func run(input: String, key: WatermarkKey) throws -> DetectionReport {
        let start = Date()
        let detector = FrameDetector(layout: WatermarkLayout(key: key))
        // One decode, two reads: the frame-fixed grid (the default mark) and the grid that
        // follows the picture (`embed --attached`). A read that clearly loses on the first frames
        // is given up (`Race`), so a marked file costs about one read. When both run to the end,
        // the fixed read is kept unless it leaves frames unexplained and the tracked one
        // explains the clip better.
        // A still image is judged on its own (p ≤ 1e-6), a video as a clip (p ≤ 1e-9).
        let threshold = StillImage.isImage(input) ? ClipAnalyzer.imageLog10Threshold : ClipAnalyzer.clipLog10Threshold
        let reads = try readBoth(input, detector, threshold: threshold)
        let video = reads.video
        var verdict: ClipVerdict
        var tracked = false
        if var second = reads.tracked, reads.fixed.map(Self.worthAnotherRead) ?? true {
            for (i, unknown) in GridPlan.unplaced(reads.steps, anchors: reads.anchors, width: video.width, height: video.height).enumerated()
                where i < second.frames.count {
                second.frames[i].gridUnknown = unknown
            }
            if let fixed = reads.fixed, !Self.prefersTracked(second, over: fixed) {
                verdict = fixed
            } else {
                // Frames read well below the rest are looked for near their planned grid.
                var geometries = reads.geometries
                let wanted = Self.framesToPlace(second)
                if second.detected, second.message != nil, !wanted.isEmpty, let analyzer = reads.trackedAnalyzer {
                    try place(input, wanted, in: &second, geometries: &geometries, steps: reads.steps, analyzer: analyzer, detector: detector)
                }
                for i in second.frames.indices where i < geometries.count {
                    second.frames[i].gridPlacement = GridPlacement(geometries[i], width: video.width, height: video.height)
                }
                verdict = second
                tracked = true
            }
        } else {
            // The tracked read was dropped, or the fixed one explains the clip: it ran.
            verdict = reads.fixed!
        }
        verdict.log10PValue = min(0, verdict.log10PValue + (tracked ? Self.trackedPenalty : Self.fixedPenalty))
        if verdict.detected && verdict.log10PValue > threshold {
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
    /// made at another `--strength` reads at gain 1/strength, and 20% off reads nothing). They
    /// are scored in the one pass that also reads the frame-fixed grid, before any clip
    /// hypothesis is known. (Upright tone curves as well made more chances of a false anchor and
    /// cost 8 more filtered grids a frame; no test or measured copy needed them.)
    static let anchorHypotheses: [Hypothesis] = (0..<Orientation.allCases.count).flatMap { o in
        [false, true].map { Hypothesis(orientationIndex: o, inverted: $0) }
    } + Hypothesis.uprightGains.filter { $0.gain != 1 }

    /// A pilot z-score, read at `GridTracker.home`, at which a frame is taken as an anchor
    /// (`GridPlan`): the embedder's grid is back there. About 3·10⁻⁷ per frame and hypothesis by
    /// chance (neighbouring gains are far from independent, so fewer than the count of them).
    static let anchorScore = 5.0
    static let anchorJump = 3.0
    /// How many frames before an anchor its score must stand `anchorJump` above.
    static let anchorMemory = 3

    /// The two reads of one pass.
    enum Read: Sendable { case fixed, tracked }

    /// Which read to give up, decided in frame order from the frames seen so far: once
    /// `decisionFrames` frames with detail are in, a read whose frames pass a quick test (a pilot
    /// score of at least `raceScore` under one of the anchor hypotheses) in half of them, while
    /// the other's pass in at most a tenth as many, wins, and the other is dropped. Unmarked
    /// footage keeps both to the end (a frame passes by chance at most 126 × 3·10⁻⁵ of the time,
    /// about once in 260 frames); so does heavy compression, where few frames pass, and the clip
    /// verdicts decide as for two full reads. Either way each read's p-value carries its share of
    /// the false-positive rate.
    ///
    /// Once decided, the quarter-turned grid is sampled only if a passing frame of the winner
    /// passed best under a hypothesis that swaps the axes (a copy turned by 90° or 270°): the
    /// frames after it are read upright only, which saves a sampling per grid and frame. The
    /// hypotheses then searched are a subset of those the p-values are corrected for.
    struct Race: Sendable {
        static let decisionFrames = 5
        private(set) var dropped: Read?
        private(set) var quarterTurns = true
        private var frames = 0, fixedPasses = 0, trackedPasses = 0, fixedTurned = 0, trackedTurned = 0

        mutating func record(fixed: QuickTest, tracked: QuickTest) {
            guard dropped == nil else { return }
            frames += 1
            if fixed.passed { fixedPasses += 1; if fixed.turned { fixedTurned += 1 } }
            if tracked.passed { trackedPasses += 1; if tracked.turned { trackedTurned += 1 } }
            guard frames >= Self.decisionFrames else { return }
            if 2 * fixedPasses >= frames && 10 * trackedPasses <= fixedPasses {
                dropped = .tracked
                quarterTurns = fixedTurned > 0
            }
            if 2 * trackedPasses >= frames && 10 * fixedPasses <= trackedPasses {
                dropped = .fixed
                quarterTurns = trackedTurned > 0
            }
        }
    }

    /// A frame's quick test: whether its best pilot score reaches `raceScore`, and whether the
    /// best hypothesis swaps the axes.
    struct QuickTest: Sendable {
        var passed = false, turned = false

        init() {}

        init(_ scores: [Double], _ hypotheses: [Hypothesis]) {
            guard let best = scores.indices.max(by: { scores[$0] < scores[$1] }) else { return }
            passed = scores[best] >= WatermarkDetection.raceScore
            turned = hypotheses[best].orientation.swapsAxes
        }
    }

    /// The quick test of `Race`: a frame's best pilot score. z ≥ 4 is about 3·10⁻⁵ per
    /// hypothesis by chance.
    static let raceScore = 4.0

    /// What one frame gives the reads still running (nil: given up before this frame).
    private struct FrameReads: Sendable {
        var fixed: FrameObservation?, tracked: FrameObservation?, time: Double
        var fixedPass = QuickTest(), trackedPass = QuickTest()
        var step: GridPlan.Step, anchor = false, geometry = GridTracker.home
        /// The plan has the mark start afresh at this frame (see `GridPlan.Planner.afresh`).
        var afresh = false
    }

    /// One pass over the file, reading every frame on both grids. Per frame, in parallel: the
    /// frame on the frame-fixed grid, the motion plane and the pilots' scores read at home (under
    /// `anchorHypotheses`). In frame order: handing on the motion plane; then, after the motion
    /// fit (in parallel), the frame's geometry by the plan (`GridPlan`; an anchor is a score of at
    /// least `anchorScore`, `anchorJump` above the frame before's). In parallel again, the frame
    /// observed at that geometry. Returns both clip verdicts (nil for a dropped read), and the
    /// motion and anchors.
    private func readBoth(_ input: String, _ detector: FrameDetector, threshold: Double) throws
        -> (fixed: ClipVerdict?, tracked: ClipVerdict?, trackedAnalyzer: ClipAnalyzer?, video: VideoInfo,
            steps: [GridPlan.Step], anchors: Set<Int>, geometries: [GlobalMotion]) {
        let reader = try MediaReader(path: input)
        let video = reader.video
        let hypotheses = Self.anchorHypotheses
        struct State: Sendable {
            var recentScores: [[Double]] = [], planner: GridPlan.Planner
        }
        // Two sections in frame order: handing on the motion plane (so each frame gets the one
        // before it), then the plan. The motion fit between them runs in parallel: it is the
        // costliest step here and needs nothing but the two planes.
        let handOn = Turnstile(), planning = Turnstile()
        let previous = Mutex<MotionPlane?>(nil)
        let state = Mutex(State(planner: GridPlan.Planner(width: video.width, height: video.height)))
        let race = Mutex(Race())
        let pool = OrderedWorkerPool<Frame, FrameReads>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
            let (dropped, turns) = race.withLock { ($0.dropped, $0.quarterTurns) }
            let time = video.secondsFromStart(frame.pts ?? 0)
            var reads = FrameReads(fixed: nil, tracked: nil, time: time, step: GridPlan.Step(timeSeconds: time, fit: nil))
            if dropped != .fixed {
                let fixed = frame.withLuma { detector.observe($0, quarterTurns: turns) }
                reads.fixed = fixed
                if dropped == nil { reads.fixedPass = QuickTest(detector.pilotScores(fixed, under: hypotheses), hypotheses) }
            }
            guard dropped != .tracked else {
                handOn.skip(index)
                planning.skip(index)
                return reads
            }
            let (plane, home) = frame.withLuma { (MotionPlane($0), detector.observe($0, geometry: GridTracker.home, quarterTurns: turns)) }
            let scores = detector.pilotScores(home, under: hypotheses, quarterTurns: turns)
            let last = handOn.pass(index) { previous.withLock { p in defer { p = plane }; return p } }
            var fit: (motion: GlobalMotion, residual: Double)?
            if let last, last.width == plane.width, last.height == plane.height {
                fit = GlobalMotionEstimator.estimate(from: last, to: plane)
            }
            let (geometry, step, anchor, afresh) = planning.pass(index) {
                state.withLock { s in
                    // A restart shows as a jump of the score under the mark's hypothesis (the grid
                    // was far from home the frames before); a score that only drifts across the
                    // threshold after one is no anchor. Jumps are taken per hypothesis (the best
                    // over many gains of a frame away from home is well above its gain-1 score),
                    // over the last few frames' highest: in the frames after a restart the score
                    // decays with noise, and one frame's dip under a neighbouring gain made the
                    // next a false anchor (measured on a 720p attached copy, 9 frames after one).
                    let anchor = scores.indices.contains { h in
                        scores[h] >= Self.anchorScore && s.recentScores.allSatisfy { scores[h] - $0[h] >= Self.anchorJump }
                    }
                    s.recentScores = Array(s.recentScores.suffix(Self.anchorMemory - 1)) + [scores]
                    let step = GridPlan.Step(timeSeconds: time, fit: fit)
                    let geometry = s.planner.next(step, anchor: anchor)
                    return (geometry, step, anchor, s.planner.afresh)
                }
            }
            if geometry == GridTracker.home {
                reads.tracked = home
                reads.trackedPass = QuickTest(scores, hypotheses)
            } else {
                let observation = frame.withLuma { detector.observe($0, geometry: geometry, quarterTurns: turns) }
                reads.tracked = observation
                if dropped == nil { reads.trackedPass = QuickTest(detector.pilotScores(observation, under: hypotheses), hypotheses) }
            }
            (reads.step, reads.anchor, reads.geometry, reads.afresh) = (step, anchor, geometry, afresh)
            return reads
        }
        let fixedAnalyzer = ClipAnalyzer(detector: detector, arranged: false), trackedAnalyzer = ClipAnalyzer(detector: detector)
        fixedAnalyzer.detectionLog10Threshold = threshold
        trackedAnalyzer.detectionLog10Threshold = threshold
        let progress = ProgressMeter(label: "detect", total: video.expectedFrames, quiet: quiet)
        var steps: [GridPlan.Step] = [], anchors = Set<Int>(), geometries: [GlobalMotion] = []
        func take(_ results: [FrameReads]) {
            for r in results {
                // A read given up stops taking frames, even those already read in flight.
                let dropped = race.withLock { $0.dropped }
                if let fixed = r.fixed, dropped != .fixed { fixedAnalyzer.add(fixed, index: steps.count, timeSeconds: r.time) }
                if let tracked = r.tracked, dropped != .tracked { trackedAnalyzer.add(tracked, index: steps.count, timeSeconds: r.time, afresh: r.afresh) }
                if let detail = (r.fixed ?? r.tracked)?.detail, detail >= WatermarkDesign.minimumDetail {
                    race.withLock { $0.record(fixed: r.fixedPass, tracked: r.trackedPass) }
                }
                if r.anchor { anchors.insert(steps.count) }
                steps.append(r.step)
                geometries.append(r.geometry)
            }
            progress.update(steps.count)
            onProgress?(steps.count, video.expectedFrames)
        }
        while let item = try reader.next() {
            if case .frame(let frame) = item { take(try pool.submit(frame)) }
        }
        take(try pool.finish())
        progress.finish(steps.count)
        // A dropped read's analysis (a hypothesis search over its first frames) is not made.
        let dropped = race.withLock { $0.dropped }
        return (dropped == .fixed ? nil : fixedAnalyzer.finish(), dropped == .tracked ? nil : trackedAnalyzer.finish(),
                dropped == .tracked ? nil : trackedAnalyzer, video, steps, anchors, geometries)
    }

    /// The typical time between frames: the median step of the timestamps, else the stream's rate.
    static func frameDuration(_ times: [Double], _ video: VideoInfo) -> Double {
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        if !steps.isEmpty { return steps[steps.count / 2] }
        if let r = video.frameRate, r.num > 0, r.den > 0 { return Double(r.den) / Double(r.num) }
        return 1.0 / 25
    }
}
