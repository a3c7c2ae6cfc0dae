import ArgumentParser
import Foundation
import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline

/// `framemark embed`: mark every frame with the key and a 64-bit message, re-encode to H.264.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Watermark every frame of a video and re-encode it to H.264, or a still image (PNG, JPEG, WebP).")

    @Argument(help: "Input video or image.")
    var input: String

    @Option(name: .shortAndLong, help: "Output: a video (.mp4, .mov, .mkv) for a video, an image (.png, .jpg, .webp) for an image.")
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

    @Option(help: "JPEG and WebP quality of a marked image, 1–100.")
    var quality: Int = 92

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard (0.5...2).contains(strength) else { throw ValidationError("--strength must be between 0.5 and 2") }
        if let message { _ = try Message(hex: message) }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
    }

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let payload = try message.map { try Message(hex: $0) } ?? WatermarkEmbedding.contentMessage(of: input)
            let imageOutput = StillImage.Format(path: output) != nil
            if imageOutput || StillImage.isImage(input) {
                guard StillImage.isImage(input) else { throw MediaError(path: input, "not an image: a video is marked into a video (.mp4, .mov, .mkv)") }
                guard imageOutput else { throw MediaError(path: output, "an image is marked into an image: name the output .png, .jpg or .webp") }
                let summary = try ImageWatermarking(strength: strength, quality: quality).run(input: input, output: output, key: key, message: payload)
                if json {
                    try printJSON(["file": input, "output": output, "message": payload.hex, "frames": 1, "width": summary.width, "height": summary.height,
                                   "strength": Double(strength), "format": summary.format.rawValue, "quality": quality, "tiles": true,
                                   "orientation_applied": summary.appliedOrientation as Any? ?? NSNull(),
                                   "seconds": rounded(summary.seconds, 3)])
                } else {
                    print("\(output): marked a \(summary.width)x\(summary.height) image with message \(payload.hex) in \(String(format: "%.2f", summary.seconds)) s"
                          + (summary.appliedOrientation.map { " (EXIF orientation \($0) turned upright)" } ?? ""))
                }
                return
            }
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
