import Foundation

/// A one-line progress bar on stderr (frames, fps, ETA), drawn only when stderr is a terminal.
public final class ProgressMeter {
    private let label: String
    private let total: Int?
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(label: String, total: Int?, quiet: Bool) {
        self.label = label
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    public func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        draw(done, elapsed: now.timeIntervalSince(start))
    }

    public func finish(_ done: Int) {
        guard enabled else { return }
        draw(done, elapsed: Date().timeIntervalSince(start))
        FileHandle.standardError.write("\n".data(using: .utf8)!)
    }

    private func draw(_ done: Int, elapsed: TimeInterval) {
        let fps = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\(label) "
        if let total {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            line += "\(done)/\(total) frames"
            if fps > 0 {
                let eta = Double(max(0, total - done)) / fps
                line += String(format: "  %.1f fps  ETA %d:%02d", fps, Int(eta) / 60, Int(eta) % 60)
            }
        } else {
            line += String(format: "%d frames  %.1f fps", done, fps)
        }
        FileHandle.standardError.write((line + "\u{1B}[K").data(using: .utf8)!)
    }
}
