import Foundation
import FrameMarkCore
import FrameMarkForensics

/// The `detect --json` object of the design's contract.
public enum DetectionJSON {
    public static func object(_ report: DetectionReport) -> [String: Any?] {
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

    /// A double rounded for display (keeps the JSON readable; nothing a reader needs is lost).
    static func rounded(_ value: Double, _ digits: Int = 6) -> Double {
        guard value.isFinite else { return value }
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}

/// The `detect --json` object for a clip read by its geometry layer.
extension DetectionJSON {
    static func region(_ r: FramePlacement.Region) -> [String: Double] {
        ["x": rounded(r.x, 4), "y": rounded(r.y, 4), "w": rounded(r.w, 4), "h": rounded(r.h, 4)]
    }

    public static func object(_ g: GeometryDetection.Verdict, file: String, seconds: Double) -> [String: Any?] {
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
