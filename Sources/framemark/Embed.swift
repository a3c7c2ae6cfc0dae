import ArgumentParser
import FrameMarkCore
import FrameMarkPipeline

/// `framemark embed`: mark every frame with the key and a 64-bit message, re-encode to H.264.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Watermark every frame of a video and re-encode it to H.264.")

    @Argument(help: "Input video.")
    var input: String

    @Option(name: .shortAndLong, help: "Output video: .mp4, .mov or .mkv.")
    var output: String

    @OptionGroup var keyOptions: KeyOptions

    @Option(help: "The 64-bit message as 16 hex digits (default: derived from the input's content hash).")
    var message: String?

    @Option(help: "Watermark strength, 0.5–2: higher survives more, lower is less visible.")
    var strength: Float = 1

    @OptionGroup var gridOptions: GridOptions

    @Flag(help: "Also lay the geometry layer (synchronisation template and tiled mark) that crops, reframes and rotated copies are read by (detect reads it when the frame layer reads nothing; docs/geometry.md).")
    var tiles = false

    @OptionGroup var encode: EncodeOptions

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard (0.5...2).contains(strength) else { throw ValidationError("--strength must be between 0.5 and 2") }
        if let message { _ = try Message(hex: message) }
    }

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let payload = try message.map { try Message(hex: $0) } ?? WatermarkEmbedding.contentMessage(of: input)
            let embedding = WatermarkEmbedding(
                transcoder: Transcoder(settings: encode.settings, jobs: encode.jobs, quiet: encode.quiet, progressLabel: "embed"),
                strength: strength, attached: gridOptions.isAttached, tiles: tiles)
            let summary = try embedding.run(input: input, output: output, key: key, message: payload)
            warnAboutLosses(input: input, output: output, dropped: summary.droppedStreams, corruptPackets: summary.corruptPackets)
            if json {
                try printJSON(["file": input, "output": output, "message": payload.hex, "frames": summary.frames,
                               "width": summary.width, "height": summary.height, "strength": Double(strength),
                               "attached": gridOptions.isAttached, "grid": gridOptions.chosen.rawValue, "tiles": tiles, "crf": encode.crf, "preset": encode.preset, "seconds": rounded(summary.seconds, 3)])
            } else {
                print("\(output): marked \(summary.frames) frames with message \(payload.hex) in \(String(format: "%.2f", summary.seconds)) s")
            }
        }
    }
}
