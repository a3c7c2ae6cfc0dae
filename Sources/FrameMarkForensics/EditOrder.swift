/// The order of marked footage in a clip, against the original (docs/forensics.md, "Order"):
/// which stretches show original content for the first time in its original order (`intact`),
/// which show it again (`duplicated`), which show it out of order (`reordered`), and where
/// original content is missing (`cut`).
package enum EditOrder {
    /// Reclassifies the `intact` runs of `runs` (clip order, each with its original times; a run's
    /// original time advances with its clip time):
    /// 1. The part of a run whose original content an earlier run already showed (more than
    ///    `tolerance` seconds of it) is split off as `duplicated`; the rest goes on.
    /// 2. A chain is a sequence of those runs, in clip order, whose original times increase. A run
    ///    is `intact` when a heaviest chain (by frames, within `tolerance`) goes through it and
    ///    none goes through a run shown out of order with it; else `reordered`. A block moved
    ///    over a longer stretch is then the one reported, and both of two blocks of about equal
    ///    length that swapped places are.
    /// Tampered runs count as shown content but keep their kind.
    package static func classify(_ runs: [Segment], tolerance: Double, frameDuration d: Double) -> [Segment] {
        var out: [Segment] = []
        var seen: [(Double, Double)] = []
        for run in runs {
            guard run.kind == .intact || run.kind == .tampered, let a = run.originalStartSeconds, let b = run.originalEndSeconds else {
                out.append(run)
                continue
            }
            if run.kind == .intact {
                out += splitRepeats(run, seen: seen, tolerance: tolerance, frameDuration: d)
            } else {
                out.append(run)
            }
            seen.append((a, b))
        }
        let candidates = out.indices.filter { out[$0].kind == .intact }
        let chained = candidates.map { out[$0] }
        let through = heaviestChains(chained, tolerance: tolerance)
        let best = through.max() ?? 0, slack = Int((tolerance / d).rounded())
        func nearBest(_ i: Int) -> Bool { through[i] >= best - slack }
        for (i, k) in candidates.enumerated() {
            let inOrder = nearBest(i) && !chained.indices.contains { j in
                j != i && nearBest(j) && !follows(chained[min(i, j)], chained[max(i, j)], tolerance: tolerance)
            }
            if !inOrder { out[k].kind = .reordered }
        }
        return out
    }

    /// Whether `later` (shown after `earlier`) continues it in the original.
    static func follows(_ earlier: Segment, _ later: Segment, tolerance: Double) -> Bool {
        earlier.originalEndSeconds! <= later.originalStartSeconds! + tolerance
    }

    /// For each run, the weight (frames) of the heaviest chain through it: runs in clip order
    /// whose original times increase.
    static func heaviestChains(_ runs: [Segment], tolerance: Double) -> [Int] {
        let n = runs.count
        var before = runs.map(\.frameCount), after = before
        for i in 0..<n {
            for j in 0..<i where follows(runs[j], runs[i], tolerance: tolerance) { before[i] = max(before[i], before[j] + runs[i].frameCount) }
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in (i + 1)..<max(i + 1, n) where follows(runs[i], runs[j], tolerance: tolerance) {
                after[i] = max(after[i], after[j] + runs[i].frameCount)
            }
        }
        return (0..<n).map { before[$0] + after[$0] - runs[$0].frameCount }
    }

    /// `run` split where its original content enters or leaves what `seen` covers: covered
    /// stretches longer than `tolerance` are `duplicated`, the rest keeps the run's kind; a piece
    /// shorter than `tolerance` joins the one before it. Pieces are whole frames.
    static func splitRepeats(_ run: Segment, seen: [(Double, Double)], tolerance: Double, frameDuration d: Double) -> [Segment] {
        let a = run.originalStartSeconds!, b = run.originalEndSeconds!
        let fresh = Forensics.uncovered(from: a, to: b, by: seen)
        // A repeat as long as the tolerance counts (half a frame spare): a frozen picture reads
        // as its quarter second again and again, each exactly that long.
        let repeated = Forensics.uncovered(from: a, to: b, by: fresh).filter { $0.1 - $0.0 > tolerance - d / 2 }
        var pieces: [(from: Double, to: Double, repeated: Bool)] = []
        var cursor = a
        for (x, y) in repeated {
            if x > cursor { pieces.append((cursor, x, false)) }
            pieces.append((x, y, true))
            cursor = y
        }
        if b > cursor { pieces.append((cursor, b, false)) }
        var merged: [(from: Double, to: Double, repeated: Bool)] = []
        for p in pieces {
            if let last = merged.last, p.to - p.from <= tolerance || last.repeated == p.repeated {
                merged[merged.count - 1].to = p.to
            } else {
                merged.append(p)
            }
        }
        guard merged.count > 1 || merged.first?.repeated == true else { return [run] }
        // Original time runs with clip time in a run: a boundary at original time t falls on the
        // frame nearest to t − offset.
        let offset = a - run.startSeconds
        let perFrame = run.frameCount > 0 ? (run.endSeconds - run.startSeconds) / Double(run.frameCount) : d
        func frame(_ t: Double) -> Int {
            min(run.endFrame, max(run.startFrame, run.startFrame + Int(((t - a) / perFrame).rounded())))
        }
        return merged.compactMap { p in
            let from = frame(p.from), to = p.to >= b ? run.endFrame : frame(p.to)
            guard to > from else { return nil }
            var piece = run
            piece.kind = p.repeated ? .duplicated : run.kind
            piece.startFrame = from
            piece.endFrame = to
            piece.startSeconds = run.startSeconds + Double(from - run.startFrame) * perFrame
            piece.endSeconds = to == run.endFrame ? run.endSeconds : run.startSeconds + Double(to - run.startFrame) * perFrame
            piece.originalStartSeconds = piece.startSeconds + offset
            piece.originalEndSeconds = piece.endSeconds + offset
            return piece
        }
    }

    /// Runs of in-order footage that jump ahead a little, again and again, are one stretch played
    /// faster by dropping frames: at least three consecutive `intact` runs, none longer than
    /// `longest` seconds, each starting at most 1.5 times its own length after the previous one
    /// ended in the original (up to about 2.5× speed). They become one `intact` segment with its `speed`, and no cuts inside.
    package static func joinSpeedChanges(_ runs: [Segment], longest: Double = 1.2, tolerance: Double) -> [Segment] {
        func joins(_ a: Segment, _ b: Segment) -> Bool {
            guard a.kind == .intact, b.kind == .intact, a.endFrame == b.startFrame,
                  let end = a.originalEndSeconds, let start = b.originalStartSeconds else { return false }
            let gap = start - end
            let length = b.endSeconds - b.startSeconds
            return gap > -tolerance / 2 && gap <= 1.5 * length + tolerance / 2 && length <= longest
        }
        var out: [Segment] = []
        var k = 0
        while k < runs.count {
            var j = k + 1
            while j < runs.count && joins(runs[j - 1], runs[j]) && runs[k].endSeconds - runs[k].startSeconds <= longest { j += 1 }
            let jumps = (k + 1..<j).filter { runs[$0].originalStartSeconds! - runs[$0 - 1].originalEndSeconds! > tolerance / 2 }.count
            guard j - k >= 3, jumps >= 2 else {
                out.append(runs[k])
                k += 1
                continue
            }
            var joined = runs[k]
            joined.endFrame = runs[j - 1].endFrame
            joined.endSeconds = runs[j - 1].endSeconds
            joined.originalEndSeconds = runs[j - 1].originalEndSeconds
            joined.speed = (joined.originalEndSeconds! - joined.originalStartSeconds!) / (joined.endSeconds - joined.startSeconds)
            out.append(joined)
            k = j
        }
        return out
    }

    /// A zero-length `cut` before each in-order segment whose original start skips content that
    /// no segment of the clip shows and that the unmarked time since the previous one cannot hold.
    /// A segment's lead-in (index in `leadIns`: unplaced frames of its own shot just before it)
    /// counts as its start: the cut goes before the lead-in, for what is missing before that.
    package static func insertCuts(_ runs: [Segment], minimum: Double, leadIns: Set<Int> = []) -> [Segment] {
        let shown = runs.filter { $0.kind != .foreign && $0.kind != .unverifiable }.compactMap { s in
            s.originalStartSeconds.map { ($0, s.originalEndSeconds!) }
        }
        var out: [Segment] = []
        var previousEnd = 0.0          // original time where the last in-order segment ended
        var unmarkedSince = 0.0        // clip time since then not shown as marked footage
        for (k, s) in runs.enumerated() {
            if s.kind == .intact, let a = s.originalStartSeconds {
                let lead = leadIns.contains(k - 1) ? runs[k - 1] : nil
                let leadLength = lead.map { $0.endSeconds - $0.startSeconds } ?? 0
                if lead != nil { unmarkedSince -= leadLength }
                let missing = Forensics.uncovered(from: previousEnd, to: a - leadLength, by: shown)
                let length = missing.reduce(0) { $0 + $1.1 - $1.0 }
                if length - unmarkedSince > minimum, let first = missing.first, let last = missing.last {
                    let at = lead ?? s
                    let cut = Segment(kind: .cut, startFrame: at.startFrame, endFrame: at.startFrame, startSeconds: at.startSeconds,
                                      endSeconds: at.startSeconds, confidence: 0, originalStartSeconds: first.0, originalEndSeconds: last.1)
                    out.insert(cut, at: lead == nil ? out.count : out.count - 1)
                }
                previousEnd = max(previousEnd, s.originalEndSeconds!)
                unmarkedSince = 0
            } else if s.kind == .foreign || s.kind == .unverifiable || s.originalStartSeconds == nil {
                // Time not placed in the original (unmarked, or tampered without a readable time
                // code) may account for original time that no segment shows.
                unmarkedSince += s.endSeconds - s.startSeconds
            }
            out.append(s)
        }
        return out
    }
}
