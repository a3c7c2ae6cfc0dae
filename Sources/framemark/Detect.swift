import ArgumentParser
import Foundation
import FrameMarkCore
import FrameMarkForensics
import FrameMarkMedia
import FrameMarkPipeline
import FrameMarkRegistry

/// `framemark detect`: is the mark there, how sure, which message, which frames.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Detect the watermark in a video and read its message.")

    @Argument(help: "Video to examine.")
    var input: String

    @OptionGroup var keyOptions: KeyOptions

    @Option(help: "Worker threads (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress bar on stderr.")
    var quiet = false

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Option(help: "Also write a self-contained HTML page: timeline, segments, flagged frames with their tamper maps.")
    var report: String?

    @Option(help: "An asset registry (the SQLite file batch wrote, or a postgres:// address): the asset the message was issued for is added to the output and the report.")
    var registry: String?

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let lookup = try registry.map { try AssetLookup(path: $0) }
            let found = try FileDetection.run(input, key: key, detection: WatermarkDetection(jobs: jobs, quiet: quiet))
            let asset = try lookup?.asset(for: found.message)
            if let path = self.report { try found.writeReport(to: path, asset: asset.map(AssetExport.facts) ?? []) }
            if json {
                var object = found.object
                if let lookup { object["asset"] = lookup.json(asset) }
                try printJSON(object)
                return
            }
            if case .geometry(let g, _) = found.read {
                print("\(input): WATERMARKED (geometry layer) — log10 p = \(String(format: "%.1f", g.log10PValue))")
                print("  message: \(g.message?.hex ?? "unreadable")")
                if let lookup { print("  asset: \(lookup.line(asset))") }
                print("  transform: \(g.transformDescription)")
                print("  frames detected: \(g.frames.filter(\.detected).count)/\(g.frames.count)")
                return
            }
            guard case .frames(let report) = found.read else { return }
            let v = report.verdict
            do {
                let marked = v.frames.filter(\.detected).count
                print("\(input): \(v.detected ? "WATERMARKED" : "not detected") — confidence \(String(format: "%.9f", v.confidence)), log10 p = \(String(format: "%.1f", v.log10PValue))")
                print("  message: \(v.message?.hex ?? "unreadable")")
                if let lookup { print("  asset: \(lookup.line(asset))") }
                if let transform = report.transformDescription { print("  transform: \(transform)") }
                print("  frames detected: \(marked)/\(v.frames.count)")
                print("  segments:")
                for s in report.forensics.segments {
                    var line = "    " + s.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                        line += String(format: "frames %d–%d  %.2f–%.2f s", s.startFrame, s.endFrame, s.startSeconds, s.endSeconds)
                    if let a = s.originalStartSeconds, let b = s.originalEndSeconds {
                        line += String(format: s.kind == .cut ? "  missing %.2f–%.2f s of the original" : "  (original %.2f–%.2f s)", a, b)
                        if let speed = s.speed { line += String(format: " at %.2f× speed", speed) }
                    }
                    if !s.regions.isEmpty { line += "  regions: " + s.regions.map(\.description).joined(separator: "; ") }
                    print(line)
                }
            }
        }
    }
}

