import Foundation

/// The `detect --report` page: one self-contained HTML file with the verdict, an SVG timeline of
/// per-frame confidence over the segments, a plot of time in the original against time in the
/// clip, the segment list, and thumbnails of flagged frames with the tamper heat map laid over
/// them (JPEGs embedded as data URIs).
public struct ForensicPage {
    public var file: String
    public var detected: Bool
    public var log10PValue: Double
    public var message: String?
    public var transform: String
    /// Per frame: time and log10 p of its own test.
    public var frames: [(time: Double, log10P: Double)]
    public var report: ForensicReport
    /// JPEG bytes of the frames `thumbnailFrames` chose.
    public var thumbnails: [Int: [UInt8]]
    /// What the message was issued for (the asset registry's record), shown under the verdict.
    public var asset: [(label: String, value: String)] = []

    public init(file: String, detected: Bool, log10PValue: Double, message: String?, transform: String,
                frames: [(time: Double, log10P: Double)], report: ForensicReport, thumbnails: [Int: [UInt8]]) {
        self.file = file
        self.detected = detected
        self.log10PValue = log10PValue
        self.message = message
        self.transform = transform
        self.frames = frames
        self.report = report
        self.thumbnails = thumbnails
    }

    static let colours: [SegmentKind: String] = [
        .intact: "#2e7d32", .foreign: "#c62828", .unverifiable: "#9e9e9e", .cut: "#000000",
        .reordered: "#ef6c00", .duplicated: "#6a1b9a", .tampered: "#1565c0",
    ]

    /// The frames worth a picture: the middle of every segment that is not intact (the frame at a
    /// cut), at most `limit`, tampered ones first.
    public static func thumbnailFrames(_ report: ForensicReport, frameCount: Int, limit: Int = 12) -> [Int] {
        let flagged = report.segments.filter { $0.kind != .intact }
            .sorted { ($0.kind == .tampered ? 0 : 1, $0.startFrame) < ($1.kind == .tampered ? 0 : 1, $1.startFrame) }
        var out: [Int] = []
        for s in flagged.prefix(limit) {
            let f = s.kind == .cut ? s.startFrame : (s.startFrame + s.endFrame) / 2
            if f < frameCount, !out.contains(f) { out.append(f) }
        }
        return out.sorted()
    }

    public func html() -> String {
        let name = Self.escape(URL(fileURLWithPath: file).lastPathComponent)
        let verdict = detected
            ? "<b style=\"color:#2e7d32\">WATERMARKED</b> — confidence \(String(format: "%.9f", 1 - pow(10, log10PValue))), log10 p = \(String(format: "%.1f", log10PValue))"
            : "<b style=\"color:#c62828\">no watermark found</b> (log10 p = \(String(format: "%.1f", log10PValue)))"
        let edits = report.segments.filter { $0.kind != .intact && $0.kind != .unverifiable }.count
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>FrameMark — \(name)</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1040px; }
        h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 24px; }
        .legend span { display: inline-block; margin-right: 14px; }
        .sw { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; }
        svg text { font: 11px system-ui, sans-serif; fill: #222; }
        table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
        .thumbs { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; } figcaption { font-size: 12px; color: #444; }
        </style></head><body>
        <h1>FrameMark — \(name)</h1>
        <p>\(verdict)<br>message: <code>\(message.map(Self.escape) ?? "unreadable")</code> · transform: \(Self.escape(transform))
        · \(frames.count) frames · \(edits == 0 ? "no edits found" : "\(edits) edited segment\(edits == 1 ? "" : "s")")</p>
        \(assetTable())
        \(legend())
        \(timeline())
        \(originalTimePlot())
        <h2>Segments</h2>
        \(segmentTable())
        \(thumbnailSection())
        </body></html>
        """
    }

    private func assetTable() -> String {
        guard !asset.isEmpty else { return "" }
        return "<h2>Asset</h2><table>" + asset.map { "<tr><th>\(Self.escape($0.label))</th><td>\(Self.escape($0.value))</td></tr>" }.joined() + "</table>"
    }

    private func legend() -> String {
        let items = SegmentKind.allCases.map { "<span><i class=\"sw\" style=\"background:\(Self.colours[$0]!)\"></i>\($0.rawValue)</span>" }
        return "<p class=\"legend\">\(items.joined()) <span>line: per-frame −log10 p, log scale (dashed: detection threshold)</span></p>"
    }

    /// The clip's duration on the plots' time axis.
    private var clipEnd: Double { max(frames.last.map { $0.time } ?? 1, report.segments.last?.endSeconds ?? 1) }

    /// Time ticks for `end` seconds.
    private static func ticks(_ end: Double) -> [Double] {
        let tick = end > 60 ? 20.0 : end > 30 ? 10.0 : end > 8 ? 2.0 : 1.0
        return Array(stride(from: 0.0, through: end, by: tick))
    }

    /// Per-frame −log10 p over coloured segment bands; cuts as black ticks. The axis is
    /// logarithmic (in 1 + −log10 p), so the threshold near 3 and a clean clip's 50–150 both show.
    private func timeline() -> String {
        let w = 1000.0, h = 200.0, left = 40.0, right = 10.0, top = 10.0, bottom = 30.0
        let end = clipEnd
        let highest = frames.map { -$0.log10P }.max() ?? 0
        let cap = [10.0, 30, 100, 300, 1000].first { $0 >= highest } ?? 1000
        func x(_ t: Double) -> Double { left + t / max(end, 1e-9) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (1 - log10(1 + min(max(v, 0), cap)) / log10(1 + cap)) * (h - top - bottom) }
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"timeline\">"
        for s in report.segments where s.kind != .cut {
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" ", x(s.startSeconds), top,
                          max(0.5, x(s.endSeconds) - x(s.startSeconds)), h - top - bottom)
            svg += "fill=\"\(Self.colours[s.kind]!)\" opacity=\"0.28\"><title>\(s.kind.rawValue) "
            svg += String(format: "%.2f–%.2f s</title></rect>", s.startSeconds, s.endSeconds)
        }
        let points = frames.map { String(format: "%.1f,%.1f", x($0.time), y(-$0.log10P)) }.joined(separator: " ")
        svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\"/>"
        svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>", left, w - right, y(3), y(3))
        for s in report.segments where s.kind == .cut {
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"3\"><title>cut: %.2f–%.2f s of the original missing</title></line>",
                          x(s.startSeconds), x(s.startSeconds), top - 4, h - bottom + 4, s.originalStartSeconds ?? 0, s.originalEndSeconds ?? 0)
        }
        for v in [0.0, 1, 3, 10, 30, 100, 300, 1000] where v <= cap {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>", left - 4, y(v) + 4, v)
        }
        for t in Self.ticks(end) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f s</text>", x(t), h - bottom + 16, t)
        }
        return svg + "</svg>"
    }

    /// Time in the original against time in the clip, one dot per placed frame in its segment's
    /// colour, over the diagonal an unedited clip follows: a cut is a step up, a repeat a step
    /// back, a move or a swap a block off the line.
    private func originalTimePlot() -> String {
        let placed = zip(frames, report.frames).compactMap { f, x in x.sourceTimeSeconds.map { (clip: f.time, original: $0) } }
        guard !placed.isEmpty else { return "" }
        let w = 1000.0, h = 260.0, left = 40.0, right = 10.0, top = 10.0, bottom = 30.0
        let end = clipEnd
        let originalEnd = max(placed.map(\.original).max() ?? 1, report.segments.compactMap(\.originalEndSeconds).max() ?? 1, 1e-9)
        func x(_ t: Double) -> Double { left + t / max(end, 1e-9) * (w - left - right) }
        func y(_ t: Double) -> Double { top + (1 - t / originalEnd) * (h - top - bottom) }
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"time in the original against time in the clip\">"
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>",
                      x(0), y(0), x(min(end, originalEnd)), y(min(end, originalEnd)))
        var kindOf = [SegmentKind](repeating: .intact, count: frames.count)
        for s in report.segments where s.kind != .cut { for f in s.startFrame..<min(s.endFrame, frames.count) { kindOf[f] = s.kind } }
        for (i, (f, r)) in zip(frames, report.frames).enumerated() {
            guard let original = r.sourceTimeSeconds else { continue }
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" ", x(f.time), y(original)) + "fill=\"\(Self.colours[kindOf[i]]!)\"/>"
        }
        for s in report.segments where s.kind == .cut {
            let a = s.originalStartSeconds ?? 0, b = s.originalEndSeconds ?? 0
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"3\"><title>cut: %.2f–%.2f s of the original missing</title></line>",
                          x(s.startSeconds), x(s.startSeconds), y(a), y(b), a, b)
        }
        for t in Self.ticks(end) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f s</text>", x(t), h - bottom + 16, t)
        }
        for t in Self.ticks(originalEnd) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f s</text>", left - 4, y(t) + 4, t)
        }
        return "<h2>Time in the original against time in the clip</h2>" + svg + "</svg>"
    }

    private func segmentTable() -> String {
        var rows = "<table><tr><th>kind</th><th>frames</th><th>seconds</th><th>in the original</th><th>confidence</th><th>regions</th></tr>"
        for s in report.segments {
            let original = s.originalStartSeconds.map { String(format: "%.2f–%.2f s", $0, s.originalEndSeconds ?? $0) } ?? ""
            rows += "<tr><td><i class=\"sw\" style=\"background:\(Self.colours[s.kind]!)\"></i>\(s.kind.rawValue)</td>"
            rows += "<td>\(s.startFrame)–\(s.endFrame)</td>" + String(format: "<td>%.2f–%.2f</td>", s.startSeconds, s.endSeconds)
            rows += "<td>\(original)</td>" + String(format: "<td>%.4f</td>", s.confidence)
            rows += "<td>\(s.regions.map(\.description).joined(separator: "; "))</td></tr>"
        }
        return rows + "</table>"
    }

    private func thumbnailSection() -> String {
        guard !thumbnails.isEmpty else { return "" }
        var out = "<h2>Flagged frames</h2><p>Tampered frames carry their heat map: red where the mark is gone, the box where the edit was found.</p><div class=\"thumbs\">"
        for index in thumbnails.keys.sorted() {
            guard let jpeg = thumbnails[index], let size = Self.jpegSize(jpeg) else { continue }
            let (w, h) = (Double(size.width), Double(size.height))
            var svg = "<svg width=\"\(size.width)\" height=\"\(size.height)\" viewBox=\"0 0 \(size.width) \(size.height)\">"
            svg += "<image width=\"\(size.width)\" height=\"\(size.height)\" href=\"data:image/jpeg;base64,\(Data(jpeg).base64EncodedString())\"/>"
            if let heat = report.heatMaps[index], report.blockColumns > 0 {
                let bw = w / Double(report.blockColumns), bh = h / Double(report.blockRows)
                for (b, v) in heat.enumerated() where v > 0 {
                    svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ff1744\" opacity=\"%.2f\"/>",
                                  Double(b % report.blockColumns) * bw, Double(b / report.blockColumns) * bh, bw, bh, min(0.6, Double(v) * 0.4))
                }
            }
            for r in report.frames[index].regions {
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#ffeb3b\" stroke-width=\"2\"/>",
                              r.x * w, r.y * h, r.w * w, r.h * h)
            }
            svg += "</svg>"
            let kind = report.segments.first { $0.startFrame <= index && (index < $0.endFrame || $0.startFrame == $0.endFrame && $0.startFrame == index) }
            let caption = String(format: "frame %d · %.2f s · ", index, frames[index].time) + (kind?.kind.rawValue ?? "")
            out += "<figure>\(svg)<figcaption>\(caption)</figcaption></figure>"
        }
        return out + "</div>"
    }

    /// Width and height from a baseline or progressive JPEG's SOF marker.
    static func jpegSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC3).contains(marker) {
                return (Int(bytes[i + 7]) << 8 | Int(bytes[i + 8]), Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]))
            }
            i += 2 + length
        }
        return nil
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
