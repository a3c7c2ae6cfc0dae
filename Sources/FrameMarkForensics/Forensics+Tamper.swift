import Foundation
import FrameMarkCore

extension Forensics {
    /// Splits marked segments where part of the picture lost its mark for long enough, and gives
    /// those `tampered` segments their region; fills the per-frame regions and heat maps.
    func locateTampering(_ runs: [Segment], frames: [FrameVerdict], locator: TamperLocator, model: ErrorModel, frameDuration d: Double,
                         report: inout ForensicReport) -> [Segment] {
        report.blockColumns = locator.blockColumns
        report.blockRows = locator.blockRows
        let w = max(1, Int((tamperWindowSeconds / d).rounded()))
        let minRun = max(3, Int((minTamperSeconds / d).rounded()))
        var out: [Segment] = []
        for run in runs {
            if run.kind == .tampered {
                // Frames whose mark was found only outside a box: tampered by construction; find the box.
                var sum = [Float](repeating: 0, count: locator.projectionCount)
                var window = [[Float]?]()
                for f in run.startFrame..<run.endFrame {
                    let e = editEvidence(frames[f], model, locator)
                    window.append(e)
                    if let e { for p in sum.indices { sum[p] += e[p] } }
                }
                var tampered = run
                let best = Self.bestBox(locator, sum)
                let region = locator.refinedRegion(around: best.box, evidence: sum)
                tampered.regions = [region]
                let c = max(1, window.compactMap { $0 }.count)
                tampered.confidence = 1 - exp(-Double(max(0, best.score / Float(c))))
                for (k, e) in window.enumerated() {
                    report.frames[run.startFrame + k].regions = [region]
                    if let e { report.heatMaps[run.startFrame + k] = locator.blockMap(e) }
                }
                out.append(tampered)
                continue
            }
            guard [.intact, .reordered, .duplicated].contains(run.kind), run.frameCount >= minRun else { out.append(run); continue }
            let count = run.frameCount
            // Every frame of marked footage counts, detected on its own or not: the frames whose
            // mark is gone in part are the ones that fail alone.
            let evidence: [[Float]?] = (run.startFrame..<run.endFrame).map { editEvidence(frames[$0], model, locator) }
            // Per frame: the evidence pooled over its window, and the best box's score per pooled frame.
            let pooled = UnsafeMutableBufferPointer<(score: Float, box: Int, frames: Int)>.allocate(capacity: count)
            defer { pooled.deallocate() }
            let slots = SendableBuffer(pooled)
            // Pooled evidence changes slowly from frame to frame: every third frame is scored and
            // the others take the nearest score.
            let scored = Array(stride(from: 0, to: count, by: 3))
            DispatchQueue.concurrentPerform(iterations: scored.count) { s in
                let i = scored[s]
                var sum = [Float](repeating: 0, count: locator.projectionCount)
                var c = 0
                for j in max(0, i - w)..<min(count, i + w + 1) {
                    guard let e = evidence[j] else { continue }
                    for p in sum.indices { sum[p] += e[p] }
                    c += 1
                }
                guard c > 0 else { slots.value[i] = (-.infinity, 0, 0); return }
                let best = Self.bestBox(locator, sum)
                slots.value[i] = (best.score / Float(c), best.box, c)
            }
            let lastScored = scored.last!
            for i in 0..<count where i % 3 != 0 { pooled[i] = pooled[min((i + 1) / 3 * 3, lastScored)] }
            // A fade dims the whole picture and its dark parts lose the mark first: that is not an
            // edit. Frames much flatter than their segment are not judged.
            let details = (run.startFrame..<run.endFrame).map { frames[$0].detail }.sorted()
            let typical = details[details.count / 2]
            var flagged = (0..<count).map {
                pooled[$0].score > tamperThreshold && frames[run.startFrame + $0].detail >= 0.6 * typical
                    && locator.boxArea(pooled[$0].box) <= maxTamperArea
            }
            Self.closeGaps(&flagged, gap: w)
            var cursor = 0
            var i = 0
            while i < count {
                guard flagged[i] else { i += 1; continue }
                var j = i
                while j < count && flagged[j] { j += 1 }
                if j - i >= minRun {
                    var sum = [Float](repeating: 0, count: locator.projectionCount)
                    for k in i..<j { if let e = evidence[k] { for p in sum.indices { sum[p] += e[p] } } }
                    let core = Self.bestBox(locator, sum).box
                    // The pooled windows blur the boundaries by up to `w` frames each way: place them
                    // at frame precision where each frame's own evidence in the box says so.
                    let stretch = Self.sharpened(i..<j, box: core, evidence: evidence, locator: locator, within: cursor..<count, slack: 2 * w)
                    i = stretch.lowerBound
                    j = stretch.upperBound
                    if i > cursor { out.append(Self.piece(of: run, cursor..<i, frames: frames, d: d)) }
                    sum = [Float](repeating: 0, count: locator.projectionCount)
                    var c = 0
                    for k in i..<j { if let e = evidence[k] { for p in sum.indices { sum[p] += e[p] }; c += 1 } }
                    let best = Self.bestBox(locator, sum)
                    let region = locator.refinedRegion(around: best.box, evidence: sum)
                    var tampered = Self.piece(of: run, i..<j, frames: frames, d: d)
                    tampered.kind = .tampered
                    tampered.regions = [region]
                    tampered.confidence = 1 - exp(-Double(max(0, best.score / Float(max(c, 1)) - tamperThreshold)))
                    out.append(tampered)
                    for k in i..<j {
                        report.frames[run.startFrame + k].regions = [region]
                        var window = [Float](repeating: 0, count: locator.projectionCount)
                        var n = 0
                        for m in max(i, k - w)..<min(j, k + w + 1) { if let e = evidence[m] { for p in window.indices { window[p] += e[p] }; n += 1 } }
                        if n > 0 { report.heatMaps[run.startFrame + k] = locator.blockMap(window.map { $0 / Float(n) }) }
                    }
                    cursor = j
                }
                i = j
            }
            if cursor == 0 { out.append(run) } else if cursor < count { out.append(Self.piece(of: run, cursor..<count, frames: frames, d: d)) }
        }
        return out
    }

    /// A frame's evidence of an edit, per projection of the frame-fixed grid (`TamperLocator.framed`):
    /// none from a flat frame, nor from one whose grid could not be placed (a copy cut off before
    /// the grid's next restart, `GridPlan`): read a little off the embedder's grid, its lattice
    /// errors grow towards the edges as if a border had been painted over.
    func editEvidence(_ frame: FrameVerdict, _ model: ErrorModel, _ locator: TamperLocator) -> [Float]? {
        guard frame.detail >= flatDetail, !frame.gridUnknown, let errors = frame.latticeErrors else { return nil }
        return locator.framed(model.evidence(errors), frame.gridPlacement)
    }

    /// The stretch near `flagged` (each end moved by at most `slack` frames, within `limits`)
    /// whose frames' own evidence in `box` sums highest: frames with their mark gone there add,
    /// intact ones subtract.
    static func sharpened(_ flagged: Range<Int>, box: Int, evidence: [[Float]?], locator: TamperLocator,
                          within limits: Range<Int>, slack: Int) -> Range<Int> {
        let touched = (0..<locator.projectionCount).filter { locator.touches($0, box: box) }
        let scores = evidence.map { e in e.map { e in touched.reduce(Float(0)) { $0 + e[$1] } } ?? 0 }
        var prefix = [Float](repeating: 0, count: scores.count + 1)
        for (k, v) in scores.enumerated() { prefix[k + 1] = prefix[k] + v }
        let middle = (flagged.lowerBound + flagged.upperBound) / 2
        var best = (score: -Float.infinity, range: flagged)
        for a in max(limits.lowerBound, flagged.lowerBound - slack)...min(middle, flagged.lowerBound + slack) {
            for b in max(middle + 1, flagged.upperBound - slack)...min(limits.upperBound, flagged.upperBound + slack) {
                let score = prefix[b] - prefix[a]
                if score > best.score { best = (score, a..<b) }
            }
        }
        return best.range
    }

    /// The box with the highest score, among boxes of at least two blocks.
    static func bestBox(_ locator: TamperLocator, _ evidence: [Float]) -> (score: Float, box: Int) {
        var scores = [Float](repeating: 0, count: locator.boxes.count)
        locator.addBoxScores(evidence, into: &scores)
        var best = (score: -Float.infinity, box: 0)
        for (k, box) in locator.boxes.enumerated() where (box.x1 - box.x0) * (box.y1 - box.y0) >= 2 && scores[k] > best.score {
            best = (scores[k], k)
        }
        return best
    }

    /// Fills unflagged gaps of at most `gap` frames between flagged frames.
    static func closeGaps(_ flags: inout [Bool], gap: Int) {
        var last: Int?
        for i in flags.indices where flags[i] {
            if let l = last, i - l - 1 <= gap { for k in (l + 1)..<i { flags[k] = true } }
            last = i
        }
    }

    /// The frames `range` (relative to the segment's start) of a marked segment, as a segment of its own.
    static func piece(of run: Segment, _ range: Range<Int>, frames: [FrameVerdict], d: Double) -> Segment {
        var s = run
        s.startFrame = run.startFrame + range.lowerBound
        s.endFrame = run.startFrame + range.upperBound
        s.startSeconds = frames[s.startFrame].timeSeconds
        s.endSeconds = s.endFrame < frames.count ? frames[s.endFrame].timeSeconds : frames[s.endFrame - 1].timeSeconds + d
        if let a = run.originalStartSeconds {
            s.originalStartSeconds = a + (s.startSeconds - run.startSeconds)
            s.originalEndSeconds = a + (s.endSeconds - run.startSeconds)
        }
        return s
    }
}

/// Lets concurrentPerform's jobs write disjoint slots of one buffer.
struct SendableBuffer<T>: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<T>
    init(_ value: UnsafeMutableBufferPointer<T>) { self.value = value }
}
