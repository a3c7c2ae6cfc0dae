import Foundation

extension SurvivalReport {
    /// One self-contained HTML page for one or more strengths: for each, a bar per attack
    /// (frames detected; colour = clip verdict) and, for a sweep, PSNR against attacks survived.
    public static func html(_ reports: [SurvivalReport]) -> String {
        var body = ""
        if reports.count > 1 { body += sweepChart(reports) }
        for report in reports { body += matrixChart(report) }
        let title = "FrameMark survival — \(escape(reports.first.map { URL(fileURLWithPath: $0.input).lastPathComponent } ?? ""))"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        .legend span { display: inline-block; margin-right: 16px; }
        .sw { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; }
        svg text { font: 11px system-ui, sans-serif; fill: #222; }
        </style></head><body>
        <h1>\(title)</h1>
        <p class="legend"><span><i class="sw" style="background:#2e7d32"></i>detected, exact message</span>
        <span><i class="sw" style="background:#f9a825"></i>detected, message not read</span>
        <span><i class="sw" style="background:#c62828"></i>not detected</span>
        Bars: fraction of frames detected on their own.</p>
        \(body)
        </body></html>
        """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    var survived: Int { attacks.filter { $0.detected && $0.messageOK }.count }

    static func matrixChart(_ r: SurvivalReport) -> String {
        var heading = r.strength.map { String(format: "Strength %.2f", $0) } ?? "Marked input"
        if let p = r.psnr, let s = r.ssim { heading += String(format: " — luma PSNR %.2f dB, SSIM %.4f", p, s) }
        if let f = r.flicker, let c = r.controlFlicker { heading += String(format: ", flicker %.2f levels (unmarked %.2f)", f.rms, c.rms) }
        if let b = r.bitrateIncrease { heading += String(format: ", bitrate %+.1f%%", b * 100) }
        heading += " — \(r.survived)/\(r.attacks.count) attacks survived with the exact message"
        let rowHeight = 18, left = 150, width = 420
        let height = r.attacks.count * rowHeight + 30
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(left + width + 160)\" height=\(height) role=\"img\">"
        for (i, a) in r.attacks.enumerated() {
            let y = 10 + i * rowHeight
            let colour = a.detected ? (a.messageOK ? "#2e7d32" : "#f9a825") : "#c62828"
            let w = max(1, Int(Double(width) * a.frameDetectionRate))
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 12)\" text-anchor=\"end\">\(escape(a.name))</text>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(width)\" height=\"\(rowHeight - 4)\" fill=\"#eee\"/>"
            svg += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(w)\" height=\"\(rowHeight - 4)\" fill=\"\(colour)\"><title>\(escape(a.name)): \(String(format: "%.1f%% of frames, log10 p %.1f", a.frameDetectionRate * 100, a.log10PValue))</title></rect>"
            svg += "<text x=\"\(left + width + 6)\" y=\"\(y + 12)\">\(String(format: "%5.1f%%  log10 p %.1f", a.frameDetectionRate * 100, a.log10PValue))</text>"
        }
        let axisY = 10 + r.attacks.count * rowHeight
        for tick in stride(from: 0, through: 100, by: 25) {
            let x = left + width * tick / 100
            svg += "<line x1=\"\(x)\" y1=\"10\" x2=\"\(x)\" y2=\"\(axisY)\" stroke=\"#999\" stroke-dasharray=\"2,3\"/>"
            svg += "<text x=\"\(x)\" y=\"\(axisY + 14)\" text-anchor=\"middle\">\(tick)%</text>"
        }
        svg += "</svg>"
        return "<h2>\(escape(heading))</h2>\n\(svg)\n"
    }

    /// PSNR (x) against attacks survived (y), one point per strength: what a person tunes by.
    static func sweepChart(_ reports: [SurvivalReport]) -> String {
        let points = reports.compactMap { r in r.psnr.map { (psnr: $0, survived: r.survived, strength: r.strength ?? 0, total: r.attacks.count) } }
        guard points.count > 1 else { return "" }
        let w = 640, h = 280, pad = 50
        let minP = (points.map(\.psnr).min() ?? 30).rounded(.down) - 1, maxP = (points.map(\.psnr).max() ?? 50).rounded(.up) + 1
        let total = max(1, points.map(\.total).max() ?? 1)
        func x(_ p: Double) -> Double { Double(pad) + (p - minP) / (maxP - minP) * Double(w - 2 * pad) }
        func y(_ s: Int) -> Double { Double(h - pad) - Double(s) / Double(total) * Double(h - 2 * pad) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" role=\"img\">"
        svg += "<line x1=\"\(pad)\" y1=\"\(h - pad)\" x2=\"\(w - pad)\" y2=\"\(h - pad)\" stroke=\"#444\"/><line x1=\"\(pad)\" y1=\"\(pad)\" x2=\"\(pad)\" y2=\"\(h - pad)\" stroke=\"#444\"/>"
        svg += "<text x=\"\(w / 2)\" y=\"\(h - 8)\" text-anchor=\"middle\">luma PSNR of the marked output (dB)</text>"
        svg += "<text x=\"14\" y=\"\(h / 2)\" transform=\"rotate(-90 14 \(h / 2))\" text-anchor=\"middle\">attacks survived</text>"
        for db in stride(from: minP, through: maxP, by: 1) {
            svg += "<line x1=\"\(x(db))\" y1=\"\(h - pad)\" x2=\"\(x(db))\" y2=\"\(h - pad + 4)\" stroke=\"#444\"/>"
            svg += "<text x=\"\(x(db))\" y=\"\(h - pad + 16)\" text-anchor=\"middle\">\(Int(db))</text>"
        }
        for s in Set([0, total / 2, total]).sorted() {
            svg += "<text x=\"\(pad - 6)\" y=\"\(y(s) + 4)\" text-anchor=\"end\">\(s)</text>"
            svg += "<line x1=\"\(pad)\" y1=\"\(y(s))\" x2=\"\(w - pad)\" y2=\"\(y(s))\" stroke=\"#ccc\" stroke-dasharray=\"2,3\"/>"
        }
        let sorted = points.sorted { $0.psnr < $1.psnr }
        svg += "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"" + sorted.map { "\(x($0.psnr)),\(y($0.survived))" }.joined(separator: " ") + "\"/>"
        for p in sorted {
            svg += "<circle cx=\"\(x(p.psnr))\" cy=\"\(y(p.survived))\" r=\"4\" fill=\"#1565c0\"/>"
            svg += "<text x=\"\(x(p.psnr))\" y=\"\(y(p.survived) - 8)\" text-anchor=\"middle\">\(String(format: "s=%.2f: %d/%d, %.1f dB", p.strength, p.survived, p.total, p.psnr))</text>"
        }
        svg += "</svg>"
        return "<h2>Strength sweep: invisibility against robustness</h2>\n\(svg)\n"
    }
}
