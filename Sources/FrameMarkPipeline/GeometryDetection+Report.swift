import FrameMarkCore
import FrameMarkForensics
import FrameMarkMedia
import Foundation

extension GeometryDetection {
    /// What `detect` and `survive` report when the frame layer read no message (`verdict`): the
    /// geometry layer's verdict if it reads the copy, else nil (the frame layer's verdict stands).
    public static func fallback(after verdict: ClipVerdict, input: String, key: WatermarkKey) throws -> Verdict? {
        guard !verdict.detected || verdict.message == nil else { return nil }
        guard let found = try GeometryDetection().run(input: input, key: key), found.detected else { return nil }
        return found
    }
}

extension GeometryDetection.Verdict {
    /// The clip's stretches: frames whose own pilots read are intact, the rest unverifiable (one
    /// geometry is read per clip, so a frame that does not read there says nothing either way).
    public var segments: [Segment] {
        guard !frames.isEmpty else { return [] }
        // Exclusive: the first frame after the segment, or one frame period past the last.
        let period = frames.count > 1 ? frames[frames.count - 1].timeSeconds - frames[frames.count - 2].timeSeconds : 0
        var out: [Segment] = []
        var start = 0
        for i in 1...frames.count where i == frames.count || frames[i].detected != frames[start].detected {
            let end = i < frames.count ? frames[i].timeSeconds : frames[frames.count - 1].timeSeconds + period
            let kind: SegmentKind = frames[start].detected ? .intact : .unverifiable
            let confidence = kind == .intact ? 1 - pow(10, frames[start..<i].map(\.log10PValue).max() ?? 0) : 0
            out.append(Segment(kind: kind, startFrame: start, endFrame: i, startSeconds: frames[start].timeSeconds,
                               endSeconds: end, confidence: confidence))
            start = i
        }
        return out
    }

    /// What the detector undid, in words: the turn, the scale, the part of the original shown and
    /// where it sits in the copy.
    public var transformDescription: String {
        let l = geometry.linear
        let show = { (r: FramePlacement.Region) in String(format: "x %.3f y %.3f w %.3f h %.3f", r.x, r.y, r.w, r.h) }
        return String(format: "rotation %.2f°, scale %.3f × %.3f of the copy's height", l.degrees, scale.x, scale.y)
            + (l.mirrors ? ", mirrored" : "")
            + "; crop (part of the original shown): \(crop.map(show) ?? "not placed")"
            + "; padding (where it sits in the copy): \(padding.map(show) ?? "not placed")"
    }

    /// The `detect --report` page for `file`, written whole or not at all.
    public func writePage(file: String, to path: String, asset: [(label: String, value: String)] = []) throws {
        let report = ForensicReport(segments: segments, frames: frames.map { _ in FrameForensics() }, heatMaps: [:], blockColumns: 0, blockRows: 0)
        var page = ForensicPage(file: file, detected: detected, log10PValue: log10PValue, message: message?.hex,
                                transform: "geometry layer: " + transformDescription,
                                frames: frames.map { ($0.timeSeconds, $0.log10PValue) }, report: report, thumbnails: [:])
        page.asset = asset
        try page.write(to: path)
    }
}
