import ArgumentParser
import FrameMarkCore
import FrameMarkForensics
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

    @Option(help: "Also write a self-contained HTML page: timeline, segments, flagged frames with their tamper maps.")
    var report: String?

    @Option(help: "An asset registry (the SQLite file batch wrote, or a postgres:// address): the asset the message was issued for is added to the output and the report.")
    var registry: String?

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let lookup = try registry.map { try AssetLookup(path: $0) }
            let report = try WatermarkDetection(jobs: jobs, quiet: quiet).run(input: input, key: key)
            let v = report.verdict
            // A copy whose frame was cropped, reframed or turned reads nothing on the frame's own
            // grid: the geometry layer is looked for then (marks made with `embed --tiles`).
            if let g = try GeometryDetection.fallback(after: v, input: input, key: key) {
                let asset = try lookup?.asset(for: g.message)
                if json {
                    var object = GeometryJSON.object(g, file: input, seconds: report.seconds)
                    if let lookup { object["asset"] = lookup.json(asset) }
                    try printJSON(object)
                } else {
                    print("\(input): WATERMARKED (geometry layer) — log10 p = \(String(format: "%.1f", g.log10PValue))")
                    print("  message: \(g.message?.hex ?? "unreadable")")
                    if let lookup { print("  asset: \(lookup.line(asset))") }
                    print("  transform: \(g.transformDescription)")
                    print("  frames detected: \(g.frames.filter(\.detected).count)/\(g.frames.count)")
                }
                if let path = self.report { try g.writePage(file: input, to: path, asset: AssetLookup.facts(asset)) }
                return
            }
            let asset = try lookup?.asset(for: v.message)
            if json {
                var object = DetectionJSON.object(report)
                if let lookup { object["asset"] = lookup.json(asset) }
                try printJSON(object)
            } else {
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
            if let path = self.report { try report.writePage(to: path, asset: AssetLookup.facts(asset)) }
        }
    }
}

import Foundation

/// The `detect --json` object of the design's contract.
enum DetectionJSON {
    static func object(_ report: DetectionReport) -> [String: Any?] {
        let v = report.verdict
        let frames: [[String: Any]] = zip(v.frames, report.forensics.frames).map { f, x in
            var o: [String: Any] = ["index": f.index, "time_seconds": rounded(f.timeSeconds), "confidence": rounded(f.confidence, 9),
                                    "log10_p_value": rounded(f.log10PValue, 3), "detected": f.detected,
                                    "detail": rounded(Double(f.detail), 3),
                                    "source_time_seconds": x.sourceTimeSeconds.map { rounded($0) } as Any? ?? NSNull(),
                                    "time_code": f.timeCode as Any? ?? NSNull(), "arrangement": f.arrangement]
            if !x.regions.isEmpty { o["regions"] = x.regions.map(region) }
            return o
        }
        return [
            "file": report.file, "detected": v.detected, "confidence": v.confidence,
            "log10_p_value": rounded(v.log10PValue, 3), "message": v.message?.hex,
            "transform": ["flip": v.hypothesis.orientation.flip.rawValue,
                          "rotation_degrees": v.hypothesis.orientation.rotationDegrees,
                          "inverted": v.hypothesis.inverted,
                          // The frame layer reads copies of the whole frame at any size: it measures
                          // neither their scale nor a crop (the geometry layer does).
                          "scale": NSNull(), "crop": NSNull(), "padding": NSNull(),
                          "gain": rounded(Double(v.hypothesis.gain), 3),
                          "gamma": rounded(Double(v.hypothesis.tone), 3),
                          "grid": report.tracked ? "tracked" : "fixed"] as [String: Any],
            "frames": frames,
            "segments": segments(report.forensics),
            "seconds": rounded(report.seconds, 3),
        ]
    }

    static func segments(_ report: ForensicReport) -> [[String: Any]] {
        report.segments.map { s in
            var o: [String: Any] = ["kind": s.kind.rawValue, "start_frame": s.startFrame, "end_frame": s.endFrame,
                                    "start_seconds": rounded(s.startSeconds), "end_seconds": rounded(s.endSeconds),
                                    "confidence": rounded(s.confidence, 6)]
            if let a = s.originalStartSeconds, let b = s.originalEndSeconds {
                o["original_start_seconds"] = rounded(a)
                o["original_end_seconds"] = rounded(b)
                if let speed = s.speed { o["speed"] = rounded(speed, 3) }
            }
            if s.kind == .tampered { o["regions"] = s.regions.map(region) }
            return o
        }
    }

    static func region(_ r: Region) -> [String: Double] {
        ["x": rounded(r.x, 4), "y": rounded(r.y, 4), "w": rounded(r.w, 4), "h": rounded(r.h, 4)]
    }
}

/// The `detect --json` object for a clip read by its geometry layer.
enum GeometryJSON {
    static func region(_ r: FramePlacement.Region) -> [String: Double] {
        ["x": rounded(r.x, 4), "y": rounded(r.y, 4), "w": rounded(r.w, 4), "h": rounded(r.h, 4)]
    }

    static func object(_ g: GeometryDetection.Verdict, file: String, seconds: Double) -> [String: Any?] {
        let l = g.geometry.linear
        let frames: [[String: Any]] = g.frames.map { f in
            ["index": f.index, "time_seconds": rounded(f.timeSeconds), "confidence": rounded(1 - pow(10, f.log10PValue), 9),
             "log10_p_value": rounded(f.log10PValue, 3), "detected": f.detected]
        }
        let segments: [[String: Any]] = g.segments.map { s in
            ["kind": s.kind.rawValue, "start_frame": s.startFrame, "end_frame": s.endFrame,
             "start_seconds": rounded(s.startSeconds), "end_seconds": rounded(s.endSeconds), "confidence": rounded(s.confidence, 6)]
        }
        return [
            "file": file, "detected": g.detected, "confidence": 1 - pow(10, g.log10PValue),
            "log10_p_value": rounded(g.log10PValue, 3), "message": g.message?.hex,
            "transform": ["flip": l.mirrors ? "horizontal" : "none", "rotation_degrees": rounded(l.degrees, 2),
                          "inverted": false,
                          "scale": ["x": rounded(g.scale.x, 4), "y": rounded(g.scale.y, 4)],
                          "crop": g.crop.map { region($0) as Any } ?? NSNull(), "padding": g.padding.map { region($0) as Any } ?? NSNull(),
                          "grid": "tiles", "pilot_score": rounded(g.pilotScore, 2), "template_score": rounded(g.templateScore, 2)] as [String: Any],
            "frames": frames, "segments": segments, "seconds": rounded(seconds, 3),
        ]
    }
}
