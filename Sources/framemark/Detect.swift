import ArgumentParser
import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline

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

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let report = try WatermarkDetection(jobs: jobs, quiet: quiet).run(input: input, key: key)
            let v = report.verdict
            if json {
                try printJSON(DetectionJSON.object(report))
            } else {
                let marked = v.frames.filter(\.detected).count
                print("\(input): \(v.detected ? "WATERMARKED" : "not detected") — confidence \(String(format: "%.9f", v.confidence)), log10 p = \(String(format: "%.1f", v.log10PValue))")
                print("  message: \(v.message?.hex ?? "unreadable")")
                print("  transform: \(v.hypothesis.orientation)\(v.hypothesis.inverted ? ", inverted" : ""), gain \(String(format: "%.2f", v.hypothesis.gain)), gamma \(String(format: "%.2f", v.hypothesis.tone))")
                print("  frames detected: \(marked)/\(v.frames.count)")
            }
        }
    }
}

import Foundation

/// The `detect --json` object of the design's contract.
enum DetectionJSON {
    static func object(_ report: DetectionReport) -> [String: Any?] {
        let v = report.verdict
        let frames: [[String: Any]] = v.frames.map {
            ["index": $0.index, "time_seconds": rounded($0.timeSeconds), "confidence": rounded($0.confidence, 9),
             "log10_p_value": rounded($0.log10PValue, 3), "detected": $0.detected,
             "source_second": $0.sourceSecond as Any? ?? NSNull()]
        }
        return [
            "file": report.file, "detected": v.detected, "confidence": v.confidence,
            "log10_p_value": rounded(v.log10PValue, 3), "message": v.message?.hex,
            "transform": ["flip": v.hypothesis.orientation.flip.rawValue,
                          "rotation_degrees": v.hypothesis.orientation.rotationDegrees,
                          "inverted": v.hypothesis.inverted,
                          "scale": NSNull(),
                          "gain": rounded(Double(v.hypothesis.gain), 3),
                          "gamma": rounded(Double(v.hypothesis.tone), 3)] as [String: Any],
            "frames": frames,
            "segments": segments(v, report.video),
            "seconds": rounded(report.seconds, 3),
        ]
    }

    /// Runs of frames with the same per-frame verdict: `intact` where detected, `unverifiable`
    /// elsewhere (finer kinds come with the edit-forensics work).
    static func segments(_ v: ClipVerdict, _ video: VideoInfo) -> [[String: Any]] {
        var out: [[String: Any]] = []
        var start = 0
        let frames = v.frames
        func end(at i: Int) {
            guard i > start else { return }
            let endTime = i < frames.count ? frames[i].timeSeconds : frames[i - 1].timeSeconds + 1 / (video.frameRate?.value ?? 25)
            out.append(["kind": frames[start].detected ? "intact" : "unverifiable",
                        "start_frame": start, "end_frame": i,
                        "start_seconds": rounded(frames[start].timeSeconds), "end_seconds": rounded(endTime)])
            start = i
        }
        for i in frames.indices.dropFirst() where frames[i].detected != frames[i - 1].detected { end(at: i) }
        end(at: frames.count)
        return out
    }
}
