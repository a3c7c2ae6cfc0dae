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
    /// (docs/algorithm.md). Experimental: `detect` finds it by following the received motion, and
    /// reads a copy whose start was cut off only from the grid's next restart on.
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
            let field = turnstile.pass(index) { embedder.decide(analysis, timeSeconds: time, restart: place?.restarted ?? false) }
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

    func place(_ index: Int, _ plane: LumaPlane, timeSeconds: Double) -> (geometry: GlobalMotion, restarted: Bool) {
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
        var (verdict, video) = try read(input, detector, geometries: nil)
        var tracked = false
        // A mark whose grid follows the picture does not read on the frame-fixed grid: when the
        // fixed read leaves frames unexplained, plan each frame's geometry from the received
        // motion and the anchors (frames where the grid is back home), read again, and keep the
        // read that explains more frames.
        if Self.worthTracking(verdict) {
            let (steps, anchors, width, height) = try motion(input, detector, hypotheses: [.identity, verdict.hypothesis])
            let geometries = GridPlan.geometries(steps, width: width, height: height, anchors: anchors)
            var second = try read(input, detector, geometries: geometries).verdict
            for (i, unknown) in GridPlan.unplaced(steps, anchors: anchors).enumerated() where i < second.frames.count {
                second.frames[i].gridUnknown = unknown
            }
            // Kept only when it explains clearly more: on a still shot both reads see the same
            // grid, and the frame-fixed one is the simpler account.
            if Self.explained(second) >= Self.explained(verdict) + max(2, verdict.frames.count / 20) {
                verdict = second
                tracked = true
            }
        }
        // Two reads are two tests: weighted Bonferroni, 9/10 of the level to the fixed read (so a
        // frame-fixed mark loses almost nothing) and 1/10 to the tracked one.
        verdict.log10PValue = min(0, verdict.log10PValue + (tracked ? Self.trackedPenalty : Self.fixedPenalty))
        if verdict.detected && verdict.log10PValue > ClipAnalyzer.clipLog10Threshold {
            verdict.detected = false
            verdict.message = nil
        }
        let forensics = Forensics().analyze(verdict, frameDuration: Self.frameDuration(verdict.frames.map(\.timeSeconds), video))
        return DetectionReport(file: input, verdict: verdict, forensics: forensics, video: video, tracked: tracked,
                               seconds: Date().timeIntervalSince(start))
    }

    static let fixedPenalty = log10(10.0 / 9.0)
    static let trackedPenalty = 1.0

    /// Frames detected on their own.
    static func explained(_ v: ClipVerdict) -> Int { v.frames.filter(\.detected).count }

    /// The fixed read left a tenth or more of the frames that have detail unexplained.
    static func worthTracking(_ v: ClipVerdict) -> Bool {
        let withDetail = v.frames.filter { $0.detail >= WatermarkDesign.minimumDetail }.count
        return withDetail > 1 && Double(explained(v)) < 0.9 * Double(withDetail)
    }

    /// A pilot z-score, read at `GridTracker.home`, at which a frame is taken as an anchor
    /// (`GridPlan`): the embedder's grid is back there. About 3·10⁻⁷ per frame and hypothesis by chance.
    static let anchorScore = 5.0
    static let anchorJump = 3.0

    /// One pass over the file: every frame observed on the worker pool, on the frame-fixed grid
    /// or at its own geometry (a grid that follows the picture), then the clip analysed.
    private func read(_ input: String, _ detector: FrameDetector, geometries: [GlobalMotion]?) throws -> (verdict: ClipVerdict, video: VideoInfo) {
        let reader = try MediaReader(path: input)
        let analyzer = ClipAnalyzer(detector: detector)
        let video = reader.video
        let progress = ProgressMeter(label: geometries == nil ? "detect" : "detect (tracked)", total: video.expectedFrames, quiet: quiet)
        let pool = OrderedWorkerPool<Frame, (FrameObservation, Double)>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
            let geometry = geometries.flatMap { index < $0.count ? $0[index] : nil }
            return (frame.withLuma { detector.observe($0, geometry: geometry) }, video.secondsFromStart(frame.pts ?? 0))
        }
        var count = 0
        func take(_ results: [(FrameObservation, Double)]) {
            for (observation, time) in results {
                analyzer.add(observation, index: count, timeSeconds: time)
                count += 1
            }
            progress.update(count)
        }
        while let item = try reader.next() {
            if case .frame(let frame) = item { take(try pool.submit(frame)) }
        }
        take(try pool.finish())
        progress.finish(count)
        return (analyzer.finish(), video)
    }

    /// One pass over the file for the global motion between consecutive frames and the anchors
    /// (`GridPlan`): frames whose pilots read at `GridTracker.home`, under the best of
    /// `hypotheses`, score at least `anchorScore` and `anchorJump` more than the frame before.
    private func motion(_ input: String, _ detector: FrameDetector, hypotheses: [Hypothesis])
        throws -> (steps: [GridPlan.Step], anchors: Set<Int>, width: Int, height: Int) {
        let reader = try MediaReader(path: input)
        let video = reader.video
        let progress = ProgressMeter(label: "detect (motion)", total: video.expectedFrames, quiet: quiet)
        let turnstile = Turnstile()
        let previous = Mutex<MotionPlane?>(nil)
        let pool = OrderedWorkerPool<Frame, (step: GridPlan.Step, score: Double)>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
            let (plane, observation) = frame.withLuma { (MotionPlane($0), detector.observe($0, geometry: GridTracker.home)) }
            let score = hypotheses.map { detector.pilotScore(observation, under: $0) }.max() ?? 0
            let time = video.secondsFromStart(frame.pts ?? 0)
            let step = turnstile.pass(index) {
                previous.withLock { last in
                    defer { last = plane }
                    guard let last, last.width == plane.width, last.height == plane.height else { return GridPlan.Step(timeSeconds: time, fit: nil) }
                    return GridPlan.Step(timeSeconds: time, fit: GlobalMotionEstimator.estimate(from: last, to: plane))
                }
            }
            return (step, score)
        }
        var results: [(step: GridPlan.Step, score: Double)] = []
        while let item = try reader.next() {
            if case .frame(let frame) = item { results += try pool.submit(frame); progress.update(results.count) }
        }
        results += try pool.finish()
        progress.finish(results.count)
        // A restart shows as a jump of the score (the grid was far from home a frame before); a
        // score that only drifts across the threshold after one is no anchor.
        let anchors = Set(results.indices.filter { t in
            results[t].score >= Self.anchorScore && (t == 0 || results[t].score - results[t - 1].score >= Self.anchorJump)
        })
        return (results.map(\.step), anchors, video.width, video.height)
    }

    /// The typical time between frames: the median step of the timestamps, else the stream's rate.
    static func frameDuration(_ times: [Double], _ video: VideoInfo) -> Double {
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        if !steps.isEmpty { return steps[steps.count / 2] }
        if let r = video.frameRate, r.num > 0, r.den > 0 { return Double(r.den) / Double(r.num) }
        return 1.0 / 25
    }
}
