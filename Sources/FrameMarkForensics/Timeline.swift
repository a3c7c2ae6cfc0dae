import Foundation
import FrameMarkCore

/// Where each frame of an examined clip came from in the marked original.
///
/// Every marked frame carries the quarter second of the original it was shown in (its time code).
/// A frame at time t that came from original time t + o reads ⌊(t + o)/u⌋, so each frame narrows
/// the offset o to one code unit u, and frames just after a unit boundary narrow it to a frame. Edits change o: a cut
/// moves it forward, an insert back, a reorder anywhere. The fit is a Viterbi path over candidate
/// offsets: a frame pays the log-likelihood of the time-code bits it contradicts (capped, so that
/// one bad frame cannot outvote a run), and changing the offset costs a fixed penalty, so a change
/// needs several frames of consistent evidence.
struct Timeline {
    /// The offset (original time − frame time, seconds) of every frame on the fitted path.
    let offsets: [Double]
    /// Candidate offsets are multiples of this (half a frame of the examined clip).
    let resolution: Double

    /// Codes between the points where the mark is made afresh (see `contradiction`), or 0.
    let refresh: Int

    /// Cost of changing the offset (nats).
    static let switchPenalty: Float = 15
    /// At most this much cost per frame (nats): a frame whose code is wrong cannot force a change alone.
    static let frameCap: Float = 10

    /// `soft` holds each frame's soft time bits (nil: no evidence, the frame passes at no cost);
    /// `bitWeight` turns a soft bit into its log-likelihood ratio (see `bitWeight(cosines:)`).
    /// `breaks` are frames where a stretch of marked footage starts or ends (foreign or flat
    /// frames between): short runs are only merged within a stretch.
    /// `refresh`: when not 0, a bit may still show an old value (see `contradiction`) until the
    /// next code that is a multiple of it, where the mark was made afresh.
    init(times: [Double], soft: [[Float]?], frameDuration: Double, bitWeight: Float, breaks: Set<Int> = [], refresh: Int = 0) {
        let resolution = frameDuration / 2
        self.resolution = resolution
        self.refresh = refresh
        let bits = WatermarkDesign.timeBits
        let period = 1 << bits
        // Candidate offsets: every half frame of the code unit that a short stretch of frames
        // reads (with a unit of slack either side). One frame's code is often misread at high
        // compression, so codes are read from soft bits pooled over about one code unit.
        let unit = WatermarkDesign.timeCodeSeconds
        var support: [Int: Int] = [:]
        let evidenceFrames = soft.indices.filter { soft[$0] != nil }
        let window = max(1, Int((unit / frameDuration).rounded()))
        var windows = 0
        var w = 0
        while w < evidenceFrames.count {
            let group = evidenceFrames[w..<min(evidenceFrames.count, w + window)]
            var pooled = [Float](repeating: 0, count: bits)
            for f in group { for b in 0..<bits { pooled[b] += soft[f]![b] } }
            let t = times[group[group.startIndex + group.count / 2]]
            let start = Double(Self.hardDecode(pooled)) * unit
            let low = Int(((start - t - unit) / resolution).rounded(.down))
            let high = Int(((start + 2 * unit - t) / resolution).rounded(.up))
            for m in low..<high { support[m, default: 0] += 1 }
            windows += 1
            w += max(1, window / 2)
        }
        // A misread window proposes a random code; two rarely agree.
        let need = windows > 20 ? 2 : 1
        // The offsets of an unedited clip are always candidates: when the codes of a dim or
        // heavily compressed clip are misread everywhere, the path must still be able to say
        // "as in the original" rather than take the best of the misreadings.
        let unedited = Set(Int((-unit / resolution).rounded(.down))..<Int((2 * unit / resolution).rounded(.up)))
        let candidates = Set(support.filter { $0.value >= need }.keys).union(windows > 0 ? unedited : []).sorted()
        guard !candidates.isEmpty else {
            offsets = [Double](repeating: 0, count: times.count)
            return
        }
        let m = candidates.count
        // Viterbi: the best previous state is either the same offset or the overall best + penalty.
        // The clip is taken to start where the original starts unless its codes say otherwise:
        // any other first offset pays the switch penalty, as if from offset 0. Without this, a
        // code bit that reads nothing in every frame (its projections all clipped, say) leaves
        // two offsets equal and the path may take the one that reports a cut at the start.
        var cost = candidates.map { $0 == 0 ? 0 : Self.switchPenalty }
        var switched = [Bool](repeating: false, count: times.count * m)
        var bestBefore = [Int](repeating: 0, count: times.count)
        var emission = [Float](repeating: 0, count: m)
        for f in times.indices {
            let (bestIndex, bestCost) = cost.indices.reduce((0, Float.infinity)) { cost[$1] < $0.1 ? ($1, cost[$1]) : $0 }
            bestBefore[f] = bestIndex
            if let s = soft[f] {
                for (k, c) in candidates.enumerated() {
                    let predicted = Self.code(at: times[f], offset: Double(c) * resolution, period: period)
                    emission[k] = min(bitWeight * Self.contradiction(s, predicted, refresh: refresh), Self.frameCap)
                }
            } else {
                for k in 0..<m { emission[k] = 0 }
            }
            for k in 0..<m {
                let stay = cost[k], jump = bestCost + Self.switchPenalty
                if f > 0 && jump < stay {
                    cost[k] = jump + emission[k]
                    switched[f * m + k] = true
                } else {
                    cost[k] = stay + emission[k]
                }
            }
        }
        var state = cost.indices.min { cost[$0] < cost[$1] }!
        var path = [Int](repeating: 0, count: times.count)
        for f in times.indices.reversed() {
            path[f] = state
            if switched[f * m + state] { state = bestBefore[f] }
        }
        // Within a run of one offset every offset of the run's feasible window costs the same, and
        // the path may hold any of them. A window that holds an offset other runs use takes it
        // (a block moved whole keeps its frames' alignment); otherwise the window's lowest, the
        // tightest bound: a frame that reads code c at time t puts o at least c·u − t, exactly so
        // for the frame just after a boundary when the clip's frames line up with the original's.
        // Runs shorter than a quarter second are the path changing its mind at the edge of a
        // stretch without evidence: they join the run before them (or after, at the start).
        let minRun = max(2, Int((0.25 / frameDuration).rounded()))
        func runsOf(_ path: [Int]) -> [Range<Int>] {
            var out: [Range<Int>] = []
            var start = 0
            for f in 1...path.count where f == path.count || path[f] != path[start] || breaks.contains(f) { out.append(start..<f); start = f }
            return out
        }
        var merged = true
        while merged {
            merged = false
            let ranges = runsOf(path)
            guard ranges.count > 1 else { break }
            for (i, r) in ranges.enumerated() where r.filter({ soft[$0] != nil }).count < minRun {
                let before = i > 0 && !breaks.contains(r.lowerBound) ? path[ranges[i - 1].lowerBound] : nil
                let after = i + 1 < ranges.count && !breaks.contains(r.upperBound) ? path[ranges[i + 1].lowerBound] : nil
                guard let neighbour = before ?? after, neighbour != path[r.lowerBound] else { continue }
                for g in r { path[g] = neighbour }
                merged = true
                break
            }
        }
        var runs: [(range: Range<Int>, lo: Int, hi: Int, costs: [Float])] = []
        for run in runsOf(path) {
            var costs = [Float](repeating: 0, count: m)
            for (k, c) in candidates.enumerated() {
                for g in run {
                    if let s = soft[g] {
                        costs[k] += min(bitWeight * Self.contradiction(s, Self.code(at: times[g], offset: Double(c) * resolution, period: period), refresh: refresh), Self.frameCap)
                    }
                }
            }
            let state = path[run.lowerBound]
            let limit = costs[state] + 1e-3
            var lo = state, hi = state
            while lo > 0, costs[lo - 1] <= limit, candidates[lo - 1] == candidates[lo] - 1 { lo -= 1 }
            while hi < m - 1, costs[hi + 1] <= limit, candidates[hi + 1] == candidates[hi] + 1 { hi += 1 }
            runs.append((run, lo, hi, costs))
        }
        var fitted = [Double](repeating: 0, count: times.count)
        for (i, r) in runs.enumerated() {
            var chosen = r.lo
            if r.hi - r.lo > 2 {
                // Not pinned by a code boundary: take an offset a pinned run uses if this run's
                // evidence barely objects to it (3 nats), the longest such run first.
                let best = r.costs.min()!
                let shared = runs.enumerated()
                    .filter { $0.offset != i && $0.element.hi - $0.element.lo <= 2 && r.costs[$0.element.lo] <= best + 3 }
                    .max { $0.element.range.count < $1.element.range.count }
                if let shared { chosen = shared.element.lo }
            }
            for g in r.range { fitted[g] = Double(candidates[chosen]) * resolution }
        }
        offsets = fitted
    }

    /// The one offset in `range` that best explains a run's soft time bits, or nil when another
    /// offset with different codes explains them almost as well (within 10 nats).
    static func pooledOffset(times: [Double], soft: [[Float]?], frameDuration: Double, bitWeight: Float,
                             range: ClosedRange<Double>, refresh: Int = 0) -> Double? {
        let resolution = frameDuration / 2, period = 1 << WatermarkDesign.timeBits
        guard soft.contains(where: { $0 != nil }) else { return nil }
        var costs: [(offset: Double, cost: Float)] = []
        var m = Int((range.lowerBound / resolution).rounded(.down))
        while Double(m) * resolution <= range.upperBound {
            let o = Double(m) * resolution
            var cost: Float = 0
            for (t, s) in zip(times, soft) { if let s { cost += bitWeight * contradiction(s, code(at: t, offset: o, period: period), refresh: refresh) } }
            costs.append((o, cost))
            m += 1
        }
        guard let best = costs.min(by: { $0.cost < $1.cost }) else { return nil }
        // Offsets within a code unit of the best read mostly the same codes; any other rival counts.
        let rival = costs.filter { abs($0.offset - best.offset) >= WatermarkDesign.timeCodeSeconds }.map(\.cost).min() ?? .infinity
        guard rival - best.cost >= 10 else { return nil }
        // The lowest offset of the best window, as the path does.
        let window = costs.filter { abs($0.offset - best.offset) < WatermarkDesign.timeCodeSeconds && $0.cost <= best.cost + 1e-3 }
        return window.map(\.offset).min() ?? best.offset
    }

    /// A bit's soft value y is a sum of cosines cᵢ of its repeats' phases; with cᵢ ≈ N(±m, v) for
    /// a 0 or a 1, its log-likelihood ratio is (2m/v)·y. m and v are measured on the clip's
    /// known bits (the same projections, the same codec damage).
    static func bitWeight(cosines: [Float]) -> Float {
        guard cosines.count > 1 else { return 1 }
        let mean = cosines.reduce(0, +) / Float(cosines.count)
        let variance = cosines.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / Float(cosines.count - 1)
        return min(max(2 * mean / max(variance, 1e-3), 0.5), 20)
    }

    /// The time code's value from its soft bits (most significant first, positive reads 0).
    static func hardDecode(_ soft: [Float]) -> Int {
        soft.reduce(0) { $0 << 1 | ($1 < 0 ? 1 : 0) }
    }

    /// The time code a frame at `time` carries under `offset`, as the embedder wrote it.
    static func code(at time: Double, offset: Double, period: Int) -> Int {
        let s = Int(((time + offset) / WatermarkDesign.timeCodeSeconds + 1e-6).rounded(.down))
        return ((s % period) + period) % period
    }

    /// A stale bit's disagreement counts this much (see `contradiction`): enough to place a
    /// boundary between two stretches that both explain a frame, too little to outweigh a switch.
    static let staleWeight: Float = 0.25

    /// Soft bits that disagree with code `second`, weighted by how sure each was. With a
    /// `refresh`, a bit that changed since the last code that is a multiple of it counts
    /// `staleWeight` as much: it may still show its old value. That is what a grid that follows
    /// the picture looks like after an encoder that drops small residuals (x264's faster presets):
    /// the mark moves with the picture, so motion compensation carries last quarter's mark forward
    /// for free, and the half-step change of a time-code bit is a residual of a level or two that
    /// the dead zone quantises to nothing, until the grid's restart makes the whole mark afresh.
    /// A copy at `-preset veryfast -crf 23` kept a fifth of such a change, one at `medium` half or
    /// more (docs/forensics.md). The bits that did not change since still place the frame.
    static func contradiction(_ soft: [Float], _ second: Int, refresh: Int = 0) -> Float {
        var cost: Float = 0
        let n = soft.count
        // The bits that changed since the last multiple of `refresh` (never past 0: k ≤ second).
        var stale = 0
        if refresh > 1 {
            for k in stride(from: 1, through: second % refresh, by: 1) { stale |= second ^ (second - k) }
        }
        for (b, y) in soft.enumerated() {
            let bit = (second >> (n - 1 - b)) & 1
            if (bit == 0) != (y >= 0) { cost += (stale >> (n - 1 - b)) & 1 == 1 ? staleWeight * abs(y) : abs(y) }
        }
        return cost
    }
}
