import Foundation
import FrameMarkCore

/// Edit forensics: turns a clip's per-frame verdicts into segments (what each stretch of the clip
/// is), source times and tamper regions. See docs/forensics.md for the method.
public struct Forensics: Sendable {
    /// Frames whose detail (RMS of the high-passed working grid, luma levels) is below this carry
    /// too little picture for a mark to survive: unverifiable, never foreign.
    public var flatDetail: Float = 2.5
    /// Shortest run of unmarked frames reported as foreign; shorter runs are misses inside marked footage.
    public var minForeignSeconds = 0.3
    /// Shortest cut reported: shorter gaps are boundary frames whose time code was misread.
    public var minCutSeconds = 0.25
    /// Shortest run of flat frames reported on its own as unverifiable.
    public var minUnverifiableFrames = 2
    /// Tamper evidence (best box's Σ ℓ per frame, nats) above which a frame's mark is missing in part.
    public var tamperThreshold: Float = 20
    /// Boxes larger than this share of the picture are not "part of the picture": a frame whose
    /// mark is weak all over (a fade, a heavy re-encode) is not tampered.
    public var maxTamperArea = 0.6
    /// Frames either side pooled for a frame's tamper evidence.
    public var tamperWindowSeconds = 0.24
    /// Shortest tampered run reported.
    public var minTamperSeconds = 0.4
    /// When set, a time-code bit may go on showing its old value after it changed, until the next
    /// multiple of this many seconds of the original, where the mark was made afresh. A grid that
    /// follows the picture lags like this after encoders that drop small residuals (see
    /// `Timeline.contradiction`); `detect` sets it for a tracked read.
    public var timeCodeRefreshSeconds: Double?

    public init() {}

    /// `partial`: the mark shows only outside a box of the picture (found by `recoverWeakMarks`).
    private enum Label { case marked, partial, foreign, flat }

    public func analyze(_ verdict: ClipVerdict, frameDuration: Double) -> ForensicReport {
        // Frames of runs recovered as marked get their lattice errors re-read at the run's gain.
        var frames = verdict.frames
        let n = frames.count
        let d = frameDuration > 0 ? frameDuration : 1.0 / 25
        var report = ForensicReport(segments: [], frames: [FrameForensics](repeating: FrameForensics(), count: n), heatMaps: [:],
                                    blockColumns: 0, blockRows: 0)
        guard n > 0 else { return report }
        func endTime(_ i: Int) -> Double { i < n ? frames[i].timeSeconds : frames[n - 1].timeSeconds + d }

        // 1. Each frame: marked, foreign (content but no mark) or flat. A frame that fails its own
        // test but whose lattice errors are likelier under the clip's error model than uniform is
        // marked footage the codec hurt (a likelihood ratio, used only to place boundaries).
        let model = verdict.detected ? Self.errorModel(frames) : nil
        // Frames found marked only when pooled with their neighbours; their time codes count too.
        var recovered = Set<Int>()
        let locator = model == nil ? nil : verdict.projectionMap.map(TamperLocator.init)
        var labels: [Label] = frames.map { f in
            if verdict.detected && f.detected { return .marked }
            if f.detail < flatDetail || f.gridUnknown { return .flat }
            if let model, let e = f.latticeErrors, model.markedLogLikelihood(e) > 0 { return .marked }
            return .foreign
        }
        if verdict.detected {
            extendFades(&labels, frames: frames)
            absorbShortRuns(&labels, minForeign: max(3, Int((minForeignSeconds / d).rounded())))
            recoverWeakMarks(&labels, frames: &frames, recovered: &recovered, map: verdict.projectionMap, locator: locator, model: model, frameDuration: d)
            absorbShortRuns(&labels, minForeign: max(3, Int((minForeignSeconds / d).rounded())))
            // A frame that passed alone in the middle of a painted-over stretch is part of it.
            var k = 0
            while k < n {
                guard labels[k] == .marked else { k += 1; continue }
                var j = k
                while j < n && labels[j] == .marked { j += 1 }
                if k > 0, j < n, labels[k - 1] == .partial, labels[j] == .partial, j - k < max(3, Int((minForeignSeconds / d).rounded())) {
                    for m in k..<j { labels[m] = .partial }
                }
                k = j
            }
        }

        // 2. Where marked frames came from.
        var cosines: [Float] = []
        for f in frames where f.detected {
            guard let e = f.latticeErrors, cosines.count < 100_000 else { continue }
            cosines.append(contentsOf: ErrorModel.cosines(e))
        }
        let bitWeight = Timeline.bitWeight(cosines: cosines)
        // Each frame's time code counts as much as its own known bits say it can be trusted: a
        // frame that only just passes its test reads its code little better than chance.
        let timeEvidence: [[Float]?] = frames.map { f in
            guard verdict.detected && f.detected else { return nil }
            guard let e = f.latticeErrors else { return f.timeSoft.map { $0 * bitWeight } }
            let weight = Timeline.bitWeight(cosines: ErrorModel.cosines(e))
            return f.timeSoft.map { $0 * weight }
        }
        let refresh = timeCodeRefreshSeconds.map { Int(($0 / WatermarkDesign.timeCodeSeconds).rounded()) } ?? 0
        let timeline = Timeline(times: frames.map(\.timeSeconds), soft: timeEvidence, frameDuration: d, bitWeight: 1,
                                breaks: Set((1..<n).filter { labels[$0] != labels[$0 - 1] }), refresh: refresh)

        // 3. Runs: marked runs split wherever the offset changes.
        var runs: [Segment] = []
        var start = 0
        for i in 1...n {
            let boundary = i == n || labels[i] != labels[start]
                || (labels[i] == .marked && abs(timeline.offsets[i] - timeline.offsets[start]) > timeline.resolution / 2)
            guard boundary else { continue }
            let kind: SegmentKind
            switch labels[start] {
            case .marked: kind = .intact
            case .partial: kind = .tampered
            case .foreign: kind = .foreign
            case .flat: kind = .unverifiable
            }
            var segment = Segment(kind: kind, startFrame: start, endFrame: i, startSeconds: frames[start].timeSeconds,
                                  endSeconds: endTime(i), confidence: 0)
            var offset: Double? = timeline.offsets[start]
            if kind == .tampered && !(start..<i).contains(where: { frames[$0].detected }) {
                // No frame of it passed alone, so the path crossed it without evidence: its place in
                // the original comes from its own time codes (read clear of the box), pooled.
                offset = Timeline.pooledOffset(times: (start..<i).map { frames[$0].timeSeconds },
                                               soft: (start..<i).map { recovered.contains($0) ? frames[$0].timeSoft : nil },
                                               frameDuration: d, bitWeight: bitWeight,
                                               range: (-frames[i - 1].timeSeconds - 1)...(timeline.offsets.max()! + frames[n - 1].timeSeconds + 1),
                                               refresh: refresh)
            }
            if kind == .intact || kind == .tampered, let o = offset {
                segment.originalStartSeconds = frames[start].timeSeconds + o
                segment.originalEndSeconds = endTime(i) + o
                for f in start..<i { report.frames[f].sourceTimeSeconds = frames[f].timeSeconds + o }
            }
            runs.append(segment)
            start = i
        }

        // A few frames with picture that the tracked read could not place (a splice into the
        // middle of a restart interval leaves them) belong to the marked footage after them: a
        // stretch this short could not be reported as foreign anyway.
        runs = bridgeUnplaced(runs, frames: frames, longest: max(3, Int((minForeignSeconds / d).rounded())),
                                   tolerance: timeline.resolution, report: &report)

        // 4. Order: duplicates, then the longest in-order chain is intact, the rest reordered; cuts between.
        runs = EditOrder.classify(runs, tolerance: max(minCutSeconds, 2 * d), frameDuration: d)
        runs = EditOrder.joinSpeedChanges(runs, tolerance: max(minCutSeconds, 2 * d))
        // A run whose grid the tracked read could not place, right before marked footage of the
        // same shot (`GridPlan.unplaced`: from the shot's start to its first anchor), is that
        // footage's own beginning: the cut, if any, is before it.
        let leadIns = Set(runs.indices.filter { k in
            k + 1 < runs.count && runs[k].kind == .unverifiable && runs[k + 1].kind == .intact
                && runs[k].endFrame == runs[k + 1].startFrame && (runs[k].startFrame..<runs[k].endFrame).allSatisfy { frames[$0].gridUnknown }
        })
        runs = EditOrder.insertCuts(runs, minimum: max(minCutSeconds, 2 * d), leadIns: leadIns)

        // 5. Confidence of each segment's kind.
        let missRate = markedMissRate(labels: labels, frames: frames)
        for k in runs.indices {
            let s = runs[k]
            switch s.kind {
            case .intact, .reordered, .duplicated, .tampered:
                let best = frames[s.startFrame..<s.endFrame].map(\.log10PValue).min() ?? 0
                runs[k].confidence = 1 - min(1, pow(10, best) * Double(s.frameCount))
            case .foreign:
                runs[k].confidence = 1 - pow(missRate, Double(s.frameCount))
            case .unverifiable:
                runs[k].confidence = Double(frames[s.startFrame..<s.endFrame].filter { $0.detail < flatDetail }.count) / Double(max(1, s.frameCount))
            case .cut:
                break
            }
        }
        for k in runs.indices where runs[k].kind == .cut {
            // After a cut may come a lead-in (unplaced frames): the footage after it says what is missing.
            let next = runs[(k + 1)...].first { $0.kind != .unverifiable }
            let before = k > 0 ? runs[k - 1].confidence : 1, after = next?.confidence ?? 1
            runs[k].confidence = min(before, after)
        }

        // 6. Tamper regions inside marked segments.
        if let model, let map = verdict.projectionMap {
            runs = locateTampering(runs, frames: frames, locator: locator ?? TamperLocator(map: map), model: model, frameDuration: d, report: &report)
        }
        report.segments = runs
        return report
    }

    /// The lattice-error model of the clip, fitted on frames that pass their own test.
    static func errorModel(_ frames: [FrameVerdict]) -> ErrorModel? {
        let withErrors = frames.indices.filter { frames[$0].detected && frames[$0].latticeErrors != nil }
        guard !withErrors.isEmpty else { return nil }
        let step = max(1, withErrors.count / 400)
        return ErrorModel(errors: stride(from: 0, to: withErrors.count, by: step).map { frames[withErrors[$0]].latticeErrors! })
    }

    /// A fade: unmarked frames next to flat ones, getting flatter towards them, whose detail is
    /// well under the marked footage's, are the fade's own frames (too dim to keep a mark through
    /// the codec), so unverifiable rather than foreign.
    private func extendFades(_ labels: inout [Label], frames: [FrameVerdict]) {
        let marked = frames.filter(\.detected).map(\.detail).sorted()
        guard !marked.isEmpty else { return }
        let dim = 0.6 * marked[marked.count / 2]
        var changed = true
        while changed {
            changed = false
            for i in labels.indices where labels[i] == .foreign && frames[i].detail < dim {
                let flatBefore = i > 0 && labels[i - 1] == .flat && frames[i - 1].detail <= frames[i].detail
                let flatAfter = i + 1 < labels.count && labels[i + 1] == .flat && frames[i + 1].detail <= frames[i].detail
                if flatBefore || flatAfter { labels[i] = .flat; changed = true }
            }
        }
    }

    /// Unmarked runs too short to be inserted footage become part of the marked footage around
    /// them (a frame the codec hurt); short flat runs likewise. Unmarked frames that touch flat
    /// ones (the edges of a fade) count as flat.
    private func absorbShortRuns(_ labels: inout [Label], minForeign: Int) {
        let n = labels.count
        var i = 0
        while i < n {
            guard labels[i] == .foreign else { i += 1; continue }
            var j = i
            while j < n && labels[j] == .foreign { j += 1 }
            if j - i < minForeign {
                let touchesFlat = (i > 0 && labels[i - 1] == .flat) || (j < n && labels[j] == .flat)
                for k in i..<j { labels[k] = touchesFlat ? .flat : .marked }
            }
            i = j
        }
        i = 0
        while i < n {
            guard labels[i] == .flat else { i += 1; continue }
            var j = i
            while j < n && labels[j] == .flat { j += 1 }
            let between = (i > 0 && labels[i - 1] == .marked) && (j < n && labels[j] == .marked)
            if j - i < minUnverifiableFrames && between { for k in i..<j { labels[k] = .marked } }
            i = j
        }
    }

    /// A run of frames that fail one by one may still carry the mark together (a region painted
    /// over changes the picture's contrast, and so the scale of every projection, in much the
    /// same way from one frame to the next). Pooled over a short window (±6 frames, evaluated
    /// every third frame) at a common gain factor, the known bits' phasors are tested exactly as
    /// the clip is; failing that, once more without the projections of the box where the mark
    /// looks gone. Frames whose window shows the mark are marked footage (`partial` when only
    /// outside a box), their lattice errors re-read at the window's factor; the rest stay foreign.
    private func recoverWeakMarks(_ labels: inout [Label], frames: inout [FrameVerdict], recovered: inout Set<Int>, map: ProjectionMap?,
                                  locator: TamperLocator?, model: ErrorModel?, frameDuration d: Double) {
        guard let offsets = map?.latticeOffsets else { return }
        var i = 0
        while i < labels.count {
            guard labels[i] == .foreign else { i += 1; continue }
            var j = i
            while j < labels.count && labels[j] == .foreign { j += 1 }
            let run = i..<j
            let centres = Array(stride(from: run.lowerBound, to: run.upperBound, by: 3))
            // Windows in parallel. The second test only where the first saw a trace of the mark
            // (raw p ≤ 0.01): inserted footage, which shows none, costs one test per window.
            let results = UnsafeMutableBufferPointer<(log10P: Double, factor: Float, partial: Bool, box: Int?)>.allocate(capacity: centres.count)
            defer { results.deallocate() }
            let slots = SendableBuffer(results)
            let snapshot = frames
            DispatchQueue.concurrentPerform(iterations: centres.count) { w in
                let c = centres[w]
                let window = snapshot[max(run.lowerBound, c - 6)..<min(run.upperBound, c + 7)]
                let whole = Self.pooledTest(window, offsets: offsets)
                guard whole.log10P > ClipAnalyzer.frameLog10Threshold, whole.raw <= -2, let locator, let model else {
                    slots.value[w] = (whole.log10P, whole.factor, false, nil)
                    return
                }
                let outside = Self.pooledTestOutsideEdit(window, offsets: offsets, factor: whole.factor, locator: locator, model: model)
                slots.value[w] = (outside.log10P, outside.factor, true, outside.box)
            }
            let tests = Array(results)
            for k in run {
                let test = tests[min(tests.count - 1, (k - run.lowerBound + 1) / 3)]
                guard test.log10P <= ClipAnalyzer.frameLog10Threshold else { continue }
                labels[k] = test.partial ? .partial : .marked
                if let v = frames[k].latticeCoordinates {
                    let fresh = Self.errors(v, offsets[frames[k].arrangement], factor: test.factor)
                    // Projections outside the frame stay without evidence.
                    frames[k].latticeErrors = frames[k].latticeErrors.map { old in zip(old, fresh).map { $0 == FrameVerdict.outsideError ? $0 : $1 } } ?? fresh
                }
                // The frame's time code, re-read at the window's gain from the projections clear of the box.
                if let v = frames[k].timeCoordinates, let map {
                    let placement = frames[k].gridPlacement
                    frames[k].timeSoft = Self.timeSoft(v, map: map, factor: test.factor,
                                                       clear: { cell in test.box.map { !(locator?.contains(cell: cell, box: $0, placement: placement) ?? false) } ?? true })
                    recovered.insert(k)
                }
            }
            settle(&labels, run, minimum: max(3, Int((0.5 / d).rounded())))
            i = j
        }
    }

    /// Windows overlap, and a busy overlay lets some windows find the mark outside a box and
    /// others not at all: within a run, stretches where the mark was found and where it was not
    /// that are shorter than `minimum` frames join their neighbours (shortest first). A found
    /// stretch with any window that needed the box left out is tampered as a whole.
    private func settle(_ labels: inout [Label], _ run: Range<Int>, minimum: Int) {
        func found(_ l: Label) -> Bool { l == .marked || l == .partial }
        while true {
            var pieces: [Range<Int>] = []
            var start = run.lowerBound
            for k in run.dropFirst() where found(labels[k]) != found(labels[start]) { pieces.append(start..<k); start = k }
            pieces.append(start..<run.upperBound)
            guard pieces.count > 1, let short = pieces.indices.filter({ pieces[$0].count < minimum }).min(by: { pieces[$0].count < pieces[$1].count }) else { break }
            let neighbour = short > 0 ? pieces[short - 1] : pieces[short + 1]
            let label = labels[neighbour.lowerBound]
            for k in pieces[short] { labels[k] = label }
        }
        var start = run.lowerBound
        for k in run.dropFirst() + [run.upperBound] where k == run.upperBound || found(labels[k]) != found(labels[start]) {
            if found(labels[start]), (start..<k).contains(where: { labels[$0] == .partial }) {
                for m in start..<k { labels[m] = .partial }
            }
            start = k
        }
    }

    /// The pooled test once more, leaving out the projections of the box where the mark looks
    /// gone: a region painted over breaks every projection with a cell in it (most of them), and
    /// when it stays put those broken phasors stay put too, which drowns the test. For each fixed
    /// box the test is exact, so × the number of boxes (and of gain factors and hypotheses).
    static func pooledTestOutsideEdit(_ window: ArraySlice<FrameVerdict>, offsets arranged: [[Float]], factor: Float,
                                      locator: TamperLocator, model: ErrorModel) -> (log10P: Double, factor: Float, box: Int) {
        let read = window.compactMap { f in f.latticeCoordinates.map { (v: $0, placement: f.gridPlacement, offsets: arranged[f.arrangement]) } }
        guard !read.isEmpty else { return (0, factor, 0) }
        let count = arranged[0].count
        // The box is found in the frame (each frame's evidence moved there from its grid), and
        // each frame leaves out its own grid's projections that lie in it.
        var evidence = [Float](repeating: 0, count: count)
        for (v, placement, offsets) in read {
            let e = locator.framed(model.evidence(errors(v, offsets, factor: factor)), placement)
            for p in evidence.indices { evidence[p] += e[p] }
        }
        let box = bestBox(locator, evidence).box
        var re = [Double](repeating: 0, count: count), im = re
        for (v, placement, offsets) in read {
            for p in offsets.indices where !locator.touches(p, box: box, placement: placement) {
                let phase = 2 * Float.pi * (factor * v[p] - offsets[p])
                re[p] += Double(cos(phase))
                im[p] += Double(sin(phase))
            }
        }
        let weights = zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }
        let log10p = PhaseTest.log10Tail(statistic: re.reduce(0, +), weights: weights) + log10(Double(locator.boxes.count))
            + log10(Double(ClipAnalyzer.frameGainFactors.count)) + log10(Double(Hypothesis.count))
        return (min(0, log10p), factor, box)
    }

    /// Soft time-code bits (Σ over repeats of cos of the bit phase, positive for a 0) from the
    /// time projections' coordinates at gain factor `factor`, leaving out those with a cell that
    /// is not `clear`.
    static func timeSoft(_ coordinates: [Float], map: ProjectionMap, factor: Float, clear: (Int32) -> Bool) -> [Float] {
        let bits = WatermarkDesign.timeBits, n = map.cellsPerProjection
        var soft = [Float](repeating: 0, count: bits)
        for (i, v) in coordinates.enumerated() {
            guard (0..<n).allSatisfy({ clear(map.timeCells[i * n + $0]) }) else { continue }
            soft[i % bits] += cos(2 * Float.pi * (factor * v - map.timeDithers[i]))
        }
        return soft
    }

    /// Lattice errors (steps × 254) at gain factor `factor`.
    static func errors(_ coordinates: [Float], _ offsets: [Float], factor: Float) -> [Int8] {
        zip(coordinates, offsets).map { v, o in
            let t = factor * v - o
            return Int8(clamping: Int(((t - t.rounded()) * 254).rounded()))
        }
    }

    /// log10 p of "no mark" for frames pooled: Σ Re zᵢ over the known-bit projections' pooled
    /// phasors zᵢ, exact given their lengths (see `PhaseTest`), at the best common gain factor
    /// (chosen on at most 64 of the frames), times the factors and hypotheses tried.
    static func pooledTest(_ frames: ArraySlice<FrameVerdict>, offsets arranged: [[Float]]) -> (log10P: Double, factor: Float, raw: Double) {
        let usable = frames.compactMap { f in f.latticeCoordinates.map { (v: $0, offsets: arranged[f.arrangement]) } }
        guard !usable.isEmpty else { return (0, 1, 0) }
        let count = arranged[0].count
        func phasors(_ set: [(v: [Float], offsets: [Float])], _ f: Float) -> (re: [Double], im: [Double]) {
            var re = [Double](repeating: 0, count: count), im = re
            for (v, offsets) in set {
                for p in offsets.indices {
                    let phase = 2 * Float.pi * (f * v[p] - offsets[p])
                    re[p] += Double(cos(phase))
                    im[p] += Double(sin(phase))
                }
            }
            return (re, im)
        }
        /// Σ cos only: all the search needs.
        func statistic(_ set: [(v: [Float], offsets: [Float])], _ f: Float) -> Float {
            var sum: Float = 0
            for (v, offsets) in set { for p in offsets.indices { sum += cos(2 * Float.pi * (f * v[p] - offsets[p])) } }
            return sum
        }
        let sample = stride(from: 0, to: usable.count, by: max(1, usable.count / 64)).map { usable[$0] }
        let factors = ClipAnalyzer.frameGainFactors
        let best = ClipAnalyzer.bestGainFactor { statistic(sample, $0) }
        let (re, im) = phasors(usable, best.factor)
        let weights = zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }
        let raw = PhaseTest.log10Tail(statistic: re.reduce(0, +), weights: weights)
        return (min(0, raw + log10(Double(factors.count)) + log10(Double(Hypothesis.count))), best.factor, raw)
    }

    /// Frames the tracked read could not place (`gridUnknown`) that have picture, fewer than
    /// `longest` of them and just before an intact run, are that run's footage: joined to it as
    /// its first frames (its original start moved back by as much), or, when the run before
    /// them ends where the original runs on to them (within `tolerance`), joining the two runs.
    /// The frames get their source times.
    func bridgeUnplaced(_ runs: [Segment], frames: [FrameVerdict], longest: Int, tolerance: Double,
                        report: inout ForensicReport) -> [Segment] {
        var out: [Segment] = []
        var k = 0
        while k < runs.count {
            let gap = runs[k]
            guard gap.kind == .unverifiable, gap.frameCount < longest, k + 1 < runs.count, runs[k + 1].kind == .intact,
                  let startAfter = runs[k + 1].originalStartSeconds,
                  (gap.startFrame..<gap.endFrame).allSatisfy({ frames[$0].gridUnknown && !frames[$0].detected && frames[$0].detail >= flatDetail })
            else {
                out.append(gap)
                k += 1
                continue
            }
            var after = runs[k + 1]
            let offset = startAfter - after.startSeconds
            for f in gap.startFrame..<gap.endFrame { report.frames[f].sourceTimeSeconds = frames[f].timeSeconds + offset }
            if let before = out.last, before.kind == .intact, let endBefore = before.originalEndSeconds,
               abs(startAfter - endBefore - (after.startSeconds - before.endSeconds)) <= tolerance {
                out[out.count - 1].endFrame = after.endFrame
                out[out.count - 1].endSeconds = after.endSeconds
                out[out.count - 1].originalEndSeconds = after.originalEndSeconds
            } else {
                after.startFrame = gap.startFrame
                after.startSeconds = gap.startSeconds
                after.originalStartSeconds = gap.startSeconds + offset
                out.append(after)
            }
            k += 2
        }
        return out
    }

    /// Parts of [from, to) that none of `intervals` covers.
    static func uncovered(from: Double, to: Double, by intervals: [(Double, Double)]) -> [(Double, Double)] {
        guard to > from else { return [] }
        var pieces = [(from, to)]
        for (a, b) in intervals {
            pieces = pieces.flatMap { p -> [(Double, Double)] in
                if b <= p.0 || a >= p.1 { return [p] }
                return [(p.0, a), (b, p.1)].filter { $0.1 - $0.0 > 1e-9 }
            }
        }
        return pieces
    }

    /// How often a frame of marked footage with picture enough fails its own test: the chance
    /// that a foreign-looking run is really marked footage the codec hurt.
    private func markedMissRate(labels: [Label], frames: [FrameVerdict]) -> Double {
        var misses = 0, total = 0
        for (l, f) in zip(labels, frames) where l == .marked && f.detail >= flatDetail {
            total += 1
            if !f.detected { misses += 1 }
        }
        return (Double(misses) + 1) / (Double(total) + 2)
    }
}
