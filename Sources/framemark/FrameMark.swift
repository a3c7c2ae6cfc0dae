import ArgumentParser
import Foundation
import FrameMarkCore
import FrameMarkMedia

@main
struct FrameMark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framemark",
        abstract: "Invisible, keyed watermarks for video: embed, detect, test survival.",
        version: "\(FrameMarkVersion.string) (\(LibraryVersions.ffmpeg))",
        subcommands: [Embed.self, Batch.self, Detect.self, Survive.self, Serve.self, Token.self, Registry.self, Transcode.self, Probe.self]
    )
}

/// Options every command that writes a video shares.
struct EncodeOptions: ParsableArguments {
    @Option(help: "x264 constant rate factor, 0–51 (lower is better quality).")
    var crf: Int = 18

    @Option(help: "x264 preset: ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow.")
    var preset: String = "medium"

    @Option(help: "Worker threads for the per-frame stage (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    func validate() throws {
        guard (0...51).contains(crf) else { throw ValidationError("--crf must be between 0 and 51") }
        guard EncoderSettings.presets.contains(preset) else {
            throw ValidationError("--preset must be one of \(EncoderSettings.presets.joined(separator: ", "))")
        }
        guard jobs >= 1 && jobs <= 256 else { throw ValidationError("--jobs must be between 1 and 256") }
    }

    var settings: EncoderSettings { EncoderSettings(crf: crf, preset: preset) }
}
