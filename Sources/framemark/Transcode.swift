import ArgumentParser
import FrameMarkPipeline

/// `framemark transcode`: a plain re-encode through the pipeline, the control for the watermark's cost.
struct Transcode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-encode a video to H.264 through the pipeline with no watermark (the control).")

    @Argument(help: "Input video (any container and codec FFmpeg reads).")
    var input: String

    @Option(name: .shortAndLong, help: "Output video: .mp4, .mov or .mkv.")
    var output: String

    @OptionGroup var encode: EncodeOptions

    func run() throws {
        try reportingFailures {
            let transcoder = Transcoder(settings: encode.settings, jobs: encode.jobs, quiet: encode.quiet, progressLabel: "transcode")
            let summary = try transcoder.run(input: input, output: output)
            warnAboutLosses(input: input, output: output, dropped: summary.droppedStreams, corruptPackets: summary.corruptPackets)
            print("\(output): \(summary.frames) frames, \(summary.width)x\(summary.height), \(String(format: "%.2f", summary.seconds)) s")
        }
    }
}
