import FrameMarkMedia
import Foundation

/// A per-frame stage: changes a writable yuv420p frame in place. `index` counts frames from 0 in
/// presentation order. Runs concurrently on several frames.
public typealias FrameStage = @Sendable (Frame, Int) throws -> Void

/// What a finished transcode did.
public struct TranscodeSummary: Sendable {
    public var frames: Int
    public var seconds: Double
    public var width: Int
    public var height: Int
    /// Streams the output container could not hold (named in a warning by the CLI).
    public var droppedStreams: [StreamInfo]
    /// Video packets the decoder rejected as corrupt and that were skipped.
    public var corruptPackets: Int
}

/// Streams a video through decode → [stage on the worker pool] → H.264 encode → mux.
public struct Transcoder {
    public var settings: EncoderSettings
    /// Width of the worker pool; the default is the number of cores.
    public var jobs: Int
    public var quiet: Bool
    public var progressLabel: String

    public init(settings: EncoderSettings = EncoderSettings(), jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                quiet: Bool = false, progressLabel: String = "transcode") {
        self.settings = settings
        self.jobs = max(1, jobs)
        self.quiet = quiet
        self.progressLabel = progressLabel
    }

    /// Re-encodes `input` to `output`, running `stage` on every frame when one is given.
    /// On any error the output is left as it was and nothing is half-written.
    public func run(input: String, output: String, stage: FrameStage? = nil,
                    configure: ((VideoInfo) throws -> Void)? = nil) throws -> TranscodeSummary {
        let start = Date()
        let reader = try MediaReader(path: input)
        try configure?(reader.video)
        let writer = try MediaWriter(path: output, reader: reader, settings: settings)
        let progress = ProgressMeter(label: progressLabel, total: reader.video.expectedFrames, quiet: quiet)
        do {
            let pool = stage.map { stage in
                OrderedWorkerPool<Frame, Frame>(width: jobs, maxInFlight: 2 * jobs + 2) { frame, index in
                    try frame.makeWritable()
                    try stage(frame, index)
                    return frame
                }
            }
            func emit(_ frames: [Frame]) throws {
                for frame in frames { try writer.write(frame) }
                progress.update(writer.framesWritten)
            }
            while let item = try reader.next() {
                switch item {
                case .packet(let packet): try writer.write(packet)
                case .frame(let frame):
                    if let pool { try emit(pool.submit(frame)) } else { try emit([frame]) }
                }
            }
            if let pool { try emit(pool.finish()) }
            try writer.finish()
            progress.finish(writer.framesWritten)
        } catch {
            writer.discard()
            throw error
        }
        return TranscodeSummary(frames: writer.framesWritten, seconds: Date().timeIntervalSince(start),
                                width: reader.video.width, height: reader.video.height,
                                droppedStreams: writer.droppedStreams, corruptPackets: reader.corruptPackets)
    }
}
