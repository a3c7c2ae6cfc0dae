import Foundation
import FrameMarkBatch

/// A batch's progress on stderr: one redrawn line on a terminal (files done of all, frames per
/// second, time left by the bytes still to mark, failures so far), one line per file otherwise.
final class BatchProgress: @unchecked Sendable {
    private let total: Int
    private let totalBytes: Int64
    private let live: Bool
    private let lines: Bool
    private let start = Date()
    private var done = 0, failed = 0, frames = 0
    /// Bytes of every file ended, and of those marked (the ones that took time: the rate).
    private var bytesDone: Int64 = 0, bytesMarked: Int64 = 0

    init(total: Int, totalBytes: Int64, live: Bool, lines: Bool) {
        self.total = total
        self.totalBytes = totalBytes
        self.live = live
        self.lines = lines
    }

    /// Called once per file, serially.
    func record(_ result: BatchResult) {
        done += 1
        bytesDone += result.inputBytes
        switch result.outcome {
        case .marked(let n): frames += n; bytesMarked += result.inputBytes
        case .skipped: break
        case .failed: failed += 1
        }
        if live { draw() } else if lines { FileHandle.standardError.write((Self.line(result) + "\n").data(using: .utf8)!) }
    }

    func finish() {
        if live && done > 0 { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }

    static func line(_ r: BatchResult) -> String {
        let m = r.message.map { " message \($0.hex)" } ?? ""
        switch r.outcome {
        case .marked(let n): return "marked  \(r.item.output)\(m), \(n) frame\(n == 1 ? "" : "s") in \(String(format: "%.2f", r.seconds)) s"
        case .skipped: return "skipped \(r.item.output)\(m) (already marked, unchanged)"
        case .failed(let e): return "FAILED  \(r.item.origin)\(m): \(e)"
        }
    }

    private func draw() {
        let elapsed = Date().timeIntervalSince(start)
        let width = 24, filled = total > 0 ? done * width / total : width
        var text = "\rbatch [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(done)/\(total) files"
        if elapsed > 0 { text += String(format: "  %.1f fps", Double(frames) / elapsed) }
        // Skipped and failed files end at once: the time left is the bytes left at the rate marked ones went.
        if bytesMarked > 0 && done < total {
            let left = elapsed * Double(max(0, totalBytes - bytesDone)) / Double(bytesMarked)
            text += String(format: "  ETA %d:%02d", Int(left) / 60, Int(left) % 60)
        }
        if failed > 0 { text += "  \(failed) failed" }
        FileHandle.standardError.write((text + "\u{1B}[K").data(using: .utf8)!)
    }
}

/// The end of a batch: counts, and every failure with its cause.
struct BatchSummary {
    let results: [BatchResult]
    let seconds: Double
    let registry: String

    var marked: Int { results.filter { if case .marked = $0.outcome { true } else { false } }.count }
    var skipped: Int { results.filter { $0.outcome == .skipped }.count }
    var failures: [BatchResult] { results.filter { if case .failed = $0.outcome { true } else { false } } }
    var failed: Int { failures.count }

    var text: String {
        var s = "\(results.count) files: \(marked) marked, \(skipped) already marked, \(failed) failed in \(String(format: "%.1f", seconds)) s; registry \(registry)"
        for f in failures { s += "\n  " + BatchProgress.line(f) }
        return s
    }

    var json: [String: Any?] {
        ["files": results.count, "marked": marked, "skipped": skipped, "failed": failed, "seconds": rounded(seconds, 3), "registry": registry,
         // Summed over files (several run at once with --parallel): the bookkeeping's share.
         "registry_seconds": rounded(results.reduce(0) { $0 + $1.registrySeconds }, 4),
         "hash_seconds": rounded(results.reduce(0) { $0 + $1.hashSeconds }, 4),
         "results": results.map { r -> [String: Any] in
             var o: [String: Any] = ["input": r.item.input, "output": r.item.output, "message": r.message?.hex ?? NSNull(),
                                     "seconds": rounded(r.seconds, 3)]
             switch r.outcome {
             case .marked(let n): o["status"] = "marked"; o["frames"] = n
             case .skipped: o["status"] = "skipped"
             case .failed(let e): o["status"] = "failed"; o["error"] = e
             }
             return o
         }]
    }
}
