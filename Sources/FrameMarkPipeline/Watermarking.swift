import Crypto
import FrameMarkCore
import FrameMarkForensics
import FrameMarkMedia
import Foundation

/// Marks every frame of a video and re-encodes it: the transcode pipeline with the embedder as its stage.
public struct WatermarkEmbedding {
    public var transcoder: Transcoder
    public var strength: Float

    public init(transcoder: Transcoder, strength: Float = 1) {
        self.transcoder = transcoder
        self.strength = strength
    }

    public func run(input: String, output: String, key: WatermarkKey, message: Message) throws -> TranscodeSummary {
        let embedder = Embedder(layout: WatermarkLayout(key: key), message: message, strength: strength)
        let info = InfoBox()
        let turnstile = Turnstile()
        return try transcoder.run(input: input, output: output, stage: { frame, index in
            let time = info.video.map { $0.secondsFromStart(frame.pts ?? 0) } ?? 0
            // Measuring and painting run in parallel; deciding the mark runs in frame order,
            // because each frame's mark starts from the previous one's.
            let analysis: FrameAnalysis
            do { analysis = try frame.withLuma { try embedder.analyze($0) } } catch { turnstile.skip(index); throw error }
            let field = turnstile.pass(index) { embedder.decide(analysis, timeSeconds: time) }
            frame.withLuma { embedder.apply(field, to: $0) }
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
        let reader = try MediaReader(path: input)
        let detector = FrameDetector(layout: WatermarkLayout(key: key))
        let analyzer = ClipAnalyzer(detector: detector)
        let video = reader.video
        let progress = ProgressMeter(label: "detect", total: video.expectedFrames, quiet: quiet)
        let pool = OrderedWorkerPool<Frame, (FrameObservation, Double)>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, _ in
            (frame.withLuma { detector.observe($0) }, video.secondsFromStart(frame.pts ?? 0))
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
        let verdict = analyzer.finish()
        let forensics = Forensics().analyze(verdict, frameDuration: Self.frameDuration(verdict.frames.map(\.timeSeconds), video))
        return DetectionReport(file: input, verdict: verdict, forensics: forensics, video: video, seconds: Date().timeIntervalSince(start))
    }

    /// The typical time between frames: the median step of the timestamps, else the stream's rate.
    static func frameDuration(_ times: [Double], _ video: VideoInfo) -> Double {
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        if !steps.isEmpty { return steps[steps.count / 2] }
        if let r = video.frameRate, r.num > 0, r.den > 0 { return Double(r.den) / Double(r.num) }
        return 1.0 / 25
    }
}
