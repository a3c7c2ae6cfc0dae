import Foundation

/// One frame's verdict in a clip.
public struct FrameVerdict: Sendable {
    public var index: Int
    public var timeSeconds: Double
    public var log10PValue: Double
    public var confidence: Double { 1 - pow(10, log10PValue) }
    public var detected: Bool
    /// The time code read from this frame alone (see `Payload.timeCode`), when it was detected.
    public var timeCode: Int?
    /// The picture's detail at the grid's scale (see `FrameObservation.detail`), in luma levels.
    public var detail: Float = 0
    /// The time code's soft bits, most significant first: Σ over repeats of cos(bit phase),
    /// positive for a 0. Empty before the hypothesis is locked.
    public var timeSoft: [Float] = []
    /// How far each known-bit projection (the coded message, then the pilots; see
    /// `ProjectionMap`) lies from its lattice point, in steps × 254 (±127 = half a step).
    /// Nil while the message is unknown. A projection whose cells were edited lands anywhere; one
    /// with a cell outside the frame (a grid that follows the picture) is `outsideError`.
    public var latticeErrors: [Int8]?
    /// The lattice error of a projection that is not in the picture: no evidence either way
    /// (the errors themselves are −127…127).
    public static let outsideError = Int8.min
    /// The same projections as lattice coordinates at the clip's gain (γ·s·p/Δ, in steps): the
    /// phase at gain factor f is 2π(f·v − offset), with offsets in `ProjectionMap`. Lets a run of
    /// frames be re-read at its own gain. Nil while the message is unknown.
    public var latticeCoordinates: [Float]?
    /// The time-code projections' lattice coordinates, likewise (see `ProjectionMap.timeCells`).
    public var timeCoordinates: [Float]?
    /// Read on a grid that follows the picture, where the grid's place is not known (before the
    /// first anchor of a copy whose start was cut off, see `GridPlan.unplaced`): a frame that
    /// fails its test here is unverifiable, not foreign.
    public var gridUnknown = false
    /// Where the grid the frame was read on lies in it, when that grid follows the picture: the
    /// frame-fixed grid zoomed by `scale` about the frame's centre and shifted by `shift` (fractions
    /// of the frame's width and height). Places what is found on the grid (a tamper box) in the frame.
    public var gridPlacement: GridPlacement?
    /// How the frame's message is laid out (`WatermarkDesign.arrangements`; always 0 on the
    /// frame-fixed grid): which of `ProjectionMap.latticeOffsets` its lattice errors are against.
    public var arrangement = 0
}

/// A grid's place in a frame, as `GlobalMotion` gives it, in fractions of the frame.
public struct GridPlacement: Sendable, Equatable {
    public var scale: Double, shiftX: Double, shiftY: Double

    public init(_ geometry: GlobalMotion, width: Int, height: Int) {
        scale = geometry.scale
        shiftX = geometry.dx / Double(max(width, 1))
        shiftY = geometry.dy / Double(max(height, 1))
    }

    /// Where the frame-fixed grid's point (x, y), in fractions, lies in the frame.
    public func map(x: Double, y: Double) -> (x: Double, y: Double) {
        (0.5 + scale * (x - 0.5) + shiftX, 0.5 + scale * (y - 0.5) + shiftY)
    }

    /// The grid's point that lies at the frame's point (x, y), in fractions: `map` undone.
    public func unmap(x: Double, y: Double) -> (x: Double, y: Double) {
        (0.5 + (x - 0.5 - shiftX) / scale, 0.5 + (y - 0.5 - shiftY) / scale)
    }
}

/// Where the cells of the known-bit projections lie in the examined frame, under the transform
/// the detector found: the link between a projection's lattice error and a place in the picture.
public struct ProjectionMap: Sendable {
    /// The working grid as laid over the examined frame (swapped for quarter turns).
    public let gridWidth: Int
    public let gridHeight: Int
    public let cellsPerProjection: Int
    /// Cell indices (x + y·gridWidth), `cellsPerProjection` per projection, in `latticeErrors` order.
    public let cells: [Int32]
    /// Each projection's lattice offset in steps (its dither plus half a step for a 1), for each
    /// arrangement of the message (`FrameVerdict.arrangement`).
    public let latticeOffsets: [[Float]]
    /// The time code's projections (bit-major within each repeat, as `Payload.timeBits`): their
    /// cells, and their dithers in steps.
    public let timeCells: [Int32]
    public let timeDithers: [Float]
}

/// The clip's verdict: detected or not, how sure, which message, which transform was undone.
public struct ClipVerdict: Sendable {
    public var detected: Bool
    public var log10PValue: Double
    public var confidence: Double { 1 - pow(10, log10PValue) }
    /// The message, or nil when it could not be read with confidence (never a wrong one knowingly).
    public var message: Message?
    public var hypothesis: Hypothesis
    public var frames: [FrameVerdict]
    /// Where each lattice error of `frames` lies in the picture (nil when nothing was locked).
    public var projectionMap: ProjectionMap?
}

/// Aggregates frame observations over a clip.
///
/// 1. Finds the hypothesis (orientation, sign, gain) under which the pilots' phases, pooled over
///    frames, agree best with their known bits.
/// 2. Tests the clip: under "no mark with this key" every pooled pilot phasor has a uniform phase
///    whatever its length, so Σ Re zᵢ has an exactly known distribution given the lengths.
/// 3. Reads the message from the pooled bit phases (soft Viterbi + CRC-32); a message that passes
///    the CRC is evidence of its own, joined to the clip's test.
/// 4. Tests every frame on its own: with the message bits once the message is known, else with
///    the pilots.
/// Every p-value that involves the pilots is multiplied by the number of hypotheses (Bonferroni),
/// so the choice made in step 1 cannot make it too small; the message bits took no part in that
/// choice and have dithers of their own, so a test on them alone needs no such correction.
/// Projections with a clipped cell (see `FrameDetector.erasures`) are left out of every test.
///
/// Memory: each frame keeps its two half-precision working grids (9 KB) until `lockAfter` frames;
/// then the hypothesis and message are fixed and later frames are folded in as they come.
public final class ClipAnalyzer {
    /// Clip-level threshold: a clip is reported as marked when p ≤ 1e-9.
    public static let clipLog10Threshold = -9.0
    /// A frame is reported as marked when its own p ≤ 1e-3.
    public static let frameLog10Threshold = -3.0
    /// A still image has no clip to pool: it is reported as marked when its own p ≤ 1e-6.
    public static let imageLog10Threshold = -6.0

    /// The p-value (log10) at or below which `finish` reports the clip marked and gives its message.
    public var detectionLog10Threshold = ClipAnalyzer.clipLog10Threshold

    let detector: FrameDetector
    let lockAfter: Int
    private var stored: [(index: Int, time: Double, upright: [Float16], turned: [Float16], detail: Float, clipped: [UInt8])] = []
    private var frames: [FrameVerdict] = []
    private var locked: Locked?
    private var tailTables: [Int: UnitTailTable] = [:]
    /// Each frame's `arrangementScores` as first read (nil: too little detail), in clip order.
    private var arrangementEvidence: [[Float]?] = []
    /// Each frame's `messageScores` against the clip's message once it is known (nil before, or
    /// with too little detail): what its neighbours learn of their arrangement from it.
    private var messageEvidence: [[Float]?] = []
    /// The frames where the grid's plan has the mark start afresh (see `add`), in clip order.
    private var afresh: [Bool] = []
    private var layout: WatermarkLayout { detector.layout }

    /// The hypothesis and message fixed once, and the pooled phasors of every frame seen since.
    /// One hypothesis by its indices: orientation, sign, gain and tone (see `Hypothesis`).
    struct Choice: Equatable {
        var o: Int, s: Int, g: Int, t: Int
    }

    private struct Locked {
        var o: Int, s: Int, g: Int, t: Int
        var choice: Choice { Choice(o: o, s: s, g: g, t: t) }
        var message: Message? {
            didSet { codedMessage = message.map { m in Payload.arranged(Payload.codedMessage(m), layout.codedOrder) } }
        }
        let layout: WatermarkLayout
        /// The message's coded bits as each arrangement lays them on the message projections,
        /// once it is known: every later frame is tested with its arrangement's.
        var codedMessage: [[UInt8]]?
        /// Frames folded in after the lock: each arrangement's running score (see `foldArrangement`).
        var arrangementMetric = [Float](repeating: 0, count: WatermarkDesign.arrangements)
        var pilotSum: [(re: Double, im: Double)]
        var bitSum: [(re: Double, im: Double)]
        var count: Int
        /// The best stretch's p-value (log10, corrected for the stretches and hypotheses), when the
        /// clip was scanned stretch by stretch.
        var scanLog10P: Double?
        /// Whether the message read from the whole clip passed its CRC-32: evidence of its own
        /// (see `checkedMessageLog10P`).
        var messageChecked = false
        /// How far each projection can be trusted, from its nearest pilots' pooled agreement (0–1):
        /// a part of the picture that lost the mark (clipped, painted over) reads anything there.
        var reliability: [Float] = []
    }

    /// A message read from phases that are uniform and independent (no mark with this key)
    /// passes the CRC-32 with probability 2⁻³². For each hypothesis the message projections and
    /// the pilots have independent dithers, so the pilot test and the check are independent:
    /// P(pilot p ≤ a and CRC passes) ≤ a · 2⁻³², whichever hypothesis the pilots chose.
    /// Two readings under each of up to `messageHypotheses` hypotheses, and under the chosen one
    /// with each of `otherClippedShares`, are tried (`readMessage`, `readMessageNearby`,
    /// `readMessageErasedOtherwise`): each is one more chance for noise to pass.
    static let checkedMessageLog10P = log10(Double(messageAttempts)) - 32 * log10(2.0)
    static let messageAttempts = 2 * (messageHypotheses + otherClippedShares.count + arrangementRefinements)

    /// Stretches scanned when the whole clip does not show the mark: frames, and step.
    static let scanWindow = 48
    static let scanStep = 24

    /// Whether the message may come in any arrangement (a grid that follows the picture); a
    /// frame-fixed mark is always in arrangement 0, and reading its arrangement bits could only
    /// add errors (on a quarter-size copy it chose wrong ones and lost the message).
    let arranged: Bool

    public init(detector: FrameDetector, lockAfter: Int = 20000, arranged: Bool = true) {
        self.detector = detector
        self.arranged = arranged
        self.lockAfter = max(16, lockAfter)
    }

    /// Adds the next frame (in presentation order). `afresh`: the detector's plan of a grid that
    /// follows the picture has the mark start afresh at this frame, where it takes its next
    /// arrangement (see `Payload.smoothArrangements`).
    public func add(_ observation: FrameObservation, index: Int, timeSeconds: Double, afresh: Bool = false) {
        self.afresh.append(afresh)
        if locked != nil {
            fold(observation.upright, observation.turned, clipped: observation.clipped, index: index, time: timeSeconds, detail: observation.detail)
            return
        }
        stored.append((index, timeSeconds, observation.upright.map { Float16($0) }, observation.turned.map { Float16($0) }, observation.detail,
                       observation.clipped))
        if stored.count >= lockAfter { lock() }
    }

    public func finish() -> ClipVerdict {
        if locked == nil { lock() }
        guard let locked, locked.count > 0 else {
            return ClipVerdict(detected: false, log10PValue: 0, message: nil,
                               hypothesis: Hypothesis(orientationIndex: 0, signIndex: 0, gainIndex: Hypothesis.gains.count / 2), frames: frames,
                               projectionMap: nil)
        }
        // Three tests: the whole clip's pilots, the same joined with the message's CRC, the best
        // stretch; the smallest p-value × 3.
        let whole = clipLog10P(locked) + (locked.messageChecked ? Self.checkedMessageLog10P : 0)
        let log10p = min(0, min(whole, locked.scanLog10P ?? 0) + log10(3))
        let detected = log10p <= detectionLog10Threshold
        return ClipVerdict(detected: detected, log10PValue: log10p, message: detected ? locked.message : nil,
                           hypothesis: Hypothesis(orientationIndex: locked.o, signIndex: locked.s, gainIndex: locked.g, toneIndex: locked.t),
                           frames: frames, projectionMap: projectionMap(orientation: locked.o, coded: locked.codedMessage))
    }

    /// The verdict of one frame read again (on another geometry) after `finish`, under the
    /// clip's hypothesis and message, with its message in `arrangement` (see `arrangements`);
    /// nil before `finish`.
    public func rejudge(_ observation: FrameObservation, index: Int, timeSeconds: Double, arrangement: Int) -> FrameVerdict? {
        guard locked != nil else { return nil }
        var reading = readingOf(observation.upright, observation.turned, clipped: observation.clipped)
        reading.arrangement = arrangement
        let count = frames.count
        judge(reading, index: index, time: timeSeconds, detail: observation.detail)
        guard frames.count > count else { return nil }
        return frames.removeLast()
    }

    /// Every frame's arrangement, found again with the frames at `placed` (positions in the clip)
    /// read from these observations instead: a frame first read on the wrong grid had no say in
    /// it, and the frames after a cut may not share their neighbours'.
    public func arrangements(replacing placed: [Int: FrameObservation]) -> [Int] {
        var scores = arrangementEvidence, message = messageEvidence
        for (i, o) in placed where scores.indices.contains(i) && o.detail >= WatermarkDesign.minimumDetail {
            let soft = arrangementSoft(readingOf(o.upright, o.turned, clipped: o.clipped))
            scores[i] = Payload.arrangementScores(soft.bits)
            if message.indices.contains(i) { message[i] = knownMessageScores(soft.message) }
        }
        return Payload.smoothArrangements(Payload.joined(scores, message), afresh: afresh)
    }

    private func projectionMap(orientation o: Int, coded: [[UInt8]]?) -> ProjectionMap {
        let n = layout.cellsPerProjection
        let swapped = Orientation.allCases[o].swapsAxes
        let oriented = layout.orientedCells[o]
        var cells: [Int32] = []
        for i in knownBitProjections { cells.append(contentsOf: oriented[(i * n)..<((i + 1) * n)]) }
        var timeCells: [Int32] = []
        for i in layout.timeRange { timeCells.append(contentsOf: oriented[(i * n)..<((i + 1) * n)]) }
        return ProjectionMap(gridWidth: swapped ? layout.gridHeight : layout.gridWidth,
                             gridHeight: swapped ? layout.gridWidth : layout.gridHeight,
                             cellsPerProjection: n, cells: cells, latticeOffsets: latticeOffsets(coded),
                             timeCells: timeCells, timeDithers: layout.timeRange.map { layout.dither[$0] })
    }

    /// Dither plus half a step per 1 bit, for the known-bit projections, in each arrangement.
    private func latticeOffsets(_ coded: [[UInt8]]?) -> [[Float]] {
        let pilots = layout.pilotRange.enumerated().map { j, i in layout.dither[i] + 0.5 * Float(layout.pilotBits[j]) }
        return (0..<WatermarkDesign.arrangements).map { a in
            layout.messageRange.map { i in layout.dither[i] + 0.5 * Float(coded?[a][i - layout.messageRange.lowerBound] ?? 0) } + pilots
        }
    }

    /// The projections whose bits are known once the message is: the coded message, then the pilots.
    private var knownBitProjections: [Int] { Array(layout.messageRange) + Array(layout.pilotRange) }

    // MARK: - Steps

    /// Fixes the hypothesis, pools the stored frames, reads the message and judges every stored frame.
    private func lock() {
        let best = stored.isEmpty ? (o: 0, s: 0, g: 0, t: 0) : bestHypothesis()
        let k = layout.projectionCount
        locked = Locked(o: best.o, s: best.s, g: best.g, t: best.t, message: nil, layout: layout,
                        pilotSum: .init(repeating: (0, 0), count: k), bitSum: .init(repeating: (0, 0), count: k), count: 0)
        // Pool the stored frames first, read the message, then give each stored frame its verdict.
        var readings = stored.map { readingOf($0.upright.map { Float($0) }, $0.turned.map { Float($0) }, clipped: $0.clipped) }
        let keep = stored.indices.filter { stored[$0].detail >= WatermarkDesign.minimumDetail }
        arrangementEvidence = stored.indices.map { i in
            stored[i].detail >= WatermarkDesign.minimumDetail ? arrangementScores(readings[i]) : nil
        }
        var arrangements = Payload.smoothArrangements(arrangementEvidence, afresh: afresh)
        messageEvidence = Array(repeating: nil, count: stored.count)
        // Every stored frame's soft values, read again (once) now that the pilots' reliability is
        // known, and its arrangement evidence with them.
        var soft: [(bits: [Float], message: [Float])?] = []
        func readSoft() {
            guard soft.isEmpty else { return }
            soft = stored.indices.map { i in stored[i].detail >= WatermarkDesign.minimumDetail ? arrangementSoft(readings[i]) : nil }
            arrangementEvidence = soft.map { $0.map { Payload.arrangementScores($0.bits) } }
        }
        var usable: [Reading] { keep.map { var r = readings[$0]; r.arrangement = arrangements[$0]; return r } }
        var kept: [Int] { keep.map { arrangements[$0] } }
        let phases = usable.map { phasesOf($0.projections) }
        for (p, r) in zip(phases, usable) { pool(p, r) }
        if let l = locked, l.count > 0 { locked?.reliability = reliability(l.pilotSum, count: l.count) }
        // The message is read from the whole clip whatever the pilots say: a message that passes
        // its CRC is evidence in itself (a heavily compressed clip whose pilots fall just short).
        if let l = locked, l.count > 0 {
            var message = readMessage(usable, under: l.choice, reliability: l.reliability, bitSum: l.bitSum)
            if arranged && clipLog10P(l) <= Self.alternativesLog10P { readSoft() }
            // Weak copies read the 6 arrangement projections wrong over whole seconds; the message's
            // 246, pooled over the frames as arranged so far, say more: each frame's arrangement is
            // found again with the others' agreement with that pooled estimate (each against the
            // estimate without its own stretch's share, see `Payload.estimatedMessageScores`), and the
            // message read again.
            var refined = 0
            while message == nil && !soft.isEmpty && afresh.dropFirst().contains(true) && refined < Self.arrangementRefinements {
                refined += 1
                let estimated = Payload.estimatedMessageScores(soft.map { $0?.message }, arrangements, afresh: afresh, orders: layout.codedOrder)
                let next = Payload.smoothArrangements(Payload.joined(arrangementEvidence, estimated), afresh: afresh)
                if next == arrangements { break }
                arrangements = next
                repool(phases, usable)
                guard let l = locked else { break }
                message = readMessage(usable, under: l.choice, reliability: l.reliability, bitSum: l.bitSum)
            }
            if message == nil && clipLog10P(l) <= Self.alternativesLog10P {
                message = readMessageNearby(keep.map { stored[$0] }, arrangements: kept, around: l.choice)
            }
            if message == nil && clipLog10P(l) <= Self.alternativesLog10P {
                message = readMessageErasedOtherwise(keep.map { stored[$0] }, arrangements: kept, under: l.choice)
            }
            locked?.message = message
            locked?.messageChecked = message != nil
            // With the message known, its bits say each frame's arrangement far more surely than
            // the 6 arrangement projections (which alone chose so far).
            if message != nil && arranged {
                readSoft()
                messageEvidence = soft.map { $0.flatMap { knownMessageScores($0.message) } }
                let next = Payload.smoothArrangements(Payload.joined(arrangementEvidence, messageEvidence), afresh: afresh)
                if next != arrangements {
                    arrangements = next
                    repool(phases, usable)
                }
            }
            if clipLog10P(l) > Self.clipLog10Threshold { scan(phases, usable.map(\.erased), kept) }
        }
        for i in readings.indices { readings[i].arrangement = arrangements[i] }
        for (entry, r) in zip(stored, readings) { judge(r, index: entry.index, time: entry.time, detail: entry.detail) }
        stored = []
    }

    /// Rounds of `lock`'s finding the arrangements again from the pooled message (each one more
    /// reading of the message, in `messageAttempts`).
    static let arrangementRefinements = 3

    /// Pools the frames again from nothing (their arrangements changed), the pilots' reliability with them.
    private func repool(_ phases: [[Float]], _ readings: [Reading]) {
        guard var l = locked else { return }
        l.pilotSum = .init(repeating: (0, 0), count: layout.projectionCount)
        l.bitSum = l.pilotSum
        l.count = 0
        locked = l
        for (p, r) in zip(phases, readings) { pool(p, r) }
        if let l = locked, l.count > 0 { locked?.reliability = reliability(l.pilotSum, count: l.count) }
    }

    /// `messageScores` against the clip's message, once known.
    private func knownMessageScores(_ message: [Float]) -> [Float]? {
        guard arranged, let coded = locked?.codedMessage?[0] else { return nil }
        return Payload.messageScores(message, coded.map { $0 == 0 ? 1 : -1 }, layout.codedOrder)
    }

    /// Reads the message from the pooled phases of the coded bits under `choice`, two ways; the
    /// first that passes the CRC wins (`messageAttempts` counts them).
    /// 1. Each frame at its own gain, weighted by how well its pilots agree: a clip whose contrast
    ///    varies from frame to frame (a contrast change that clips part of the picture, a fade)
    ///    has no single right gain, and frames that lost the mark (heavily quantised B-frames)
    ///    should not outvote the ones that kept it. A frame's own gain is taken only when its
    ///    pilots show the mark clearly there (z ≥ 5), not to chase noise.
    /// 2. The plain sum of the bits' cosines at the clip's gain.
    private func readMessage(_ readings: [Reading], under choice: Choice, reliability trust: [Float],
                             bitSum: [(re: Double, im: Double)]) -> Message? {
        var soft = [Float](repeating: 0, count: layout.messageRange.count)
        let pilots = Array(zip(layout.pilotRange, layout.pilotBits))
        for r in readings {
            let atClipGain = statistic(r, pilots, under: choice, factor: 1)
            guard atClipGain.terms > 0 else { continue }
            let best = Self.bestGainFactor { statistic(r, pilots, under: choice, factor: $0).statistic }
            let clear = best.statistic >= 5 * (Float(atClipGain.terms) / 2).squareRoot()
            let factor = clear ? best.factor : 1
            let weight = max(0, (clear ? best.statistic : atClipGain.statistic) / Float(atClipGain.terms))
            guard weight > 0 else { continue }
            let phases = phasesOf(r.projections, under: choice, factor: factor)
            let order = layout.codedOrder[r.arrangement]
            for (j, i) in layout.messageRange.enumerated() where !r.erased[i] { soft[order[j]] += weight * trust[i] * cos(phases[i]) }
        }
        return Payload.decodeMessage(soft) ?? Payload.decodeMessage(layout.messageRange.map { Float(bitSum[$0].re) })
    }

    /// The pilots choose the hypothesis by a statistic that is nearly flat between neighbouring
    /// tone curves and gains (138 pilots; on a still shot every frame says the same), while the
    /// message's bits are much more demanding of it: after a gamma of 0.7 on a still shot the
    /// pilots preferred the 0.83 curve and the message read only under 0.7. So when the chosen
    /// hypothesis gives no message, its neighbours are tried: the same tone at gains 2 and 4 steps
    /// either side, and the neighbouring tones at those gains and the chosen one
    /// (`messageAlternatives`). Each is one more chance for noise to pass the CRC, so all of them
    /// count in `messageAttempts` whether tried or not.
    private func readMessageNearby(_ entries: [(index: Int, time: Double, upright: [Float16], turned: [Float16], detail: Float, clipped: [UInt8])],
                                   arrangements: [Int], around choice: Choice) -> Message? {
        let grids = entries.map { ($0.upright.map { Float($0) }, $0.turned.map { Float($0) }, $0.clipped) }
        var readings: [Reading] = []
        var tone = -1
        for alternative in Self.messageAlternatives(around: choice) {
            if alternative.t != tone {
                readings = zip(grids, arrangements).map { g, a in
                    var r = readingOf(g.0, g.1, clipped: g.2, under: alternative)
                    r.arrangement = a
                    return r
                }
                tone = alternative.t
            }
            if let message = readMessagePooling(readings, under: alternative) { return message }
        }
        return nil
    }

    /// `readMessage` on readings not pooled yet: pools them under `choice` first.
    private func readMessagePooling(_ readings: [Reading], under choice: Choice) -> Message? {
        var pilotSum = [(re: Double, im: Double)](repeating: (0, 0), count: layout.projectionCount), bitSum = pilotSum
        for r in readings { accumulate(phasesOf(r.projections, under: choice), r, pilotSum: &pilotSum, bitSum: &bitSum) }
        return readMessage(readings, under: choice, reliability: reliability(pilotSum, count: readings.count), bitSum: bitSum)
    }

    /// A tone change that clips part of the picture leaves partly clipped cells, and where the
    /// line between a cell that still carries its projection and one that no longer does lies
    /// depends on the picture: on the pan sample's first 2 s after brightness −0.15, marked
    /// with `--attached`, the message read only with cells a quarter clipped erased; on a still
    /// shot marked frame-fixed, only without. So when the chosen hypothesis gives no message it is
    /// also read with each of `otherClippedShares` deciding (each one more chance for noise, in
    /// `messageAttempts`).
    private func readMessageErasedOtherwise(_ entries: [(index: Int, time: Double, upright: [Float16], turned: [Float16], detail: Float, clipped: [UInt8])],
                                            arrangements: [Int], under choice: Choice) -> Message? {
        guard entries.contains(where: { !$0.clipped.isEmpty }) else { return nil }
        for share in Self.otherClippedShares {
            let readings = zip(entries, arrangements).map { e, a in
                var r = readingOf(e.upright.map { Float($0) }, e.turned.map { Float($0) }, clipped: e.clipped, share: share, under: choice)
                r.arrangement = a
                return r
            }
            if let message = readMessagePooling(readings, under: choice) { return message }
        }
        return nil
    }

    /// The other clipped shares the message is read with: none (the mean alone), and half.
    static let otherClippedShares: [Float?] = [nil, 0.5]

    /// Gains (in `Hypothesis.gainStep`s) and tones next to a chosen hypothesis that the message
    /// is also read under, the chosen tone first.
    static func messageAlternatives(around c: Choice) -> [Choice] {
        let byValue = Hypothesis.tones.indices.sorted { Hypothesis.tones[$0] < Hypothesis.tones[$1] }
        let rank = byValue.firstIndex(of: c.t) ?? 0
        let tones = [c.t] + [rank - 1, rank + 1].filter { byValue.indices.contains($0) }.map { byValue[$0] }
        var out: [Choice] = []
        for t in tones {
            for offset in (t == c.t ? [-2, 2, -4, 4] : [0, -2, 2, -4, 4]) {
                let g = c.g + offset
                if Hypothesis.gains.indices.contains(g) { out.append(Choice(o: c.o, s: c.s, g: g, t: t)) }
            }
        }
        return out
    }

    /// Upper bound on how many hypotheses the message is read under: the chosen one and its
    /// `messageAlternatives`.
    static let messageHypotheses = 1 + 4 + 2 * 5
    /// The neighbours are only read when the clip's pilots already show the mark this clearly (a
    /// clip without the mark is not read 14 more times for nothing).
    static let alternativesLog10P = -6.0

    /// Each projection's reliability: the mean pooled cosine of its nearest pilots, floored at 0.
    private func reliability(_ pilotSum: [(re: Double, im: Double)], count: Int) -> [Float] {
        let n = Double(max(count, 1))
        return layout.nearestPilots.map { near in
            Float(max(0, near.reduce(0.0) { $0 + pilotSum[$1].re / n } / Double(near.count)))
        }
    }

    /// When the whole clip does not show the mark, its stretches may: a short marked part of a
    /// long clip is drowned by the rest, all the more when the rest is still (a still picture's
    /// phasors add up whatever their direction). Each stretch is tested like the clip; the best
    /// is corrected for the number of stretches, and the message is read from the stretches that
    /// show the mark.
    private func scan(_ phases: [[Float]], _ erased: [[Bool]], _ arrangements: [Int]) {
        guard var l = locked, phases.count >= 2 * Self.scanWindow else { return }
        let starts = Array(stride(from: 0, through: phases.count - Self.scanWindow, by: Self.scanStep))
        let correction = log10(Double(starts.count)) + log10(Double(Hypothesis.count))
        var best = 0.0
        var significant: [Int] = []
        for start in starts {
            var re = [Double](repeating: 0, count: layout.pilotRange.count), im = re
            for f in start..<(start + Self.scanWindow) {
                let p = phases[f]
                for (j, i) in layout.pilotRange.enumerated() where !erased[f][i] {
                    let phi = Double(p[i]) - Double.pi * Double(layout.pilotBits[j])
                    re[j] += cos(phi); im[j] += sin(phi)
                }
            }
            let weights = zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }
            let log10p = min(0, PhaseTest.log10Tail(statistic: re.reduce(0, +), weights: weights) + correction)
            best = min(best, log10p)
            if log10p <= Self.clipLog10Threshold { significant.append(start) }
        }
        l.scanLog10P = best
        if l.message == nil && !significant.isEmpty {
            var frames = Set<Int>()
            for start in significant { frames.formUnion(start..<(start + Self.scanWindow)) }
            var soft = [Double](repeating: 0, count: layout.messageRange.count)
            for f in frames {
                let order = layout.codedOrder[arrangements[f]]
                for (j, i) in layout.messageRange.enumerated() where !erased[f][i] { soft[order[j]] += Double(cos(phases[f][i])) }
            }
            l.message = Payload.decodeMessage(soft.map { Float($0) })
        }
        locked = l
    }

    private func fold(_ upright: [Float], _ turned: [Float], clipped: [UInt8], index: Int, time: Double, detail: Float) {
        var r = readingOf(upright, turned, clipped: clipped)
        let soft = detail >= WatermarkDesign.minimumDetail && arranged ? arrangementSoft(r) : nil
        let scores = detail < WatermarkDesign.minimumDetail ? nil : (soft.map { Payload.arrangementScores($0.bits) } ?? arrangementScores(r))
        let message = soft.flatMap { knownMessageScores($0.message) }
        arrangementEvidence.append(scores)
        messageEvidence.append(message)
        r.arrangement = foldArrangement(Payload.joined(scores, message), afresh: afresh.last ?? false)
        if scores != nil { pool(phasesOf(r.projections), r) }
        judge(r, index: index, time: time, detail: detail)
    }

    /// One frame read under the locked orientation and tone curve: its projections, and which of
    /// them are erased (clipped, see `FrameDetector.erasures`).
    struct Reading {
        var projections: [Float]
        var erased: [Bool]
        /// Erased because a cell lies outside the frame (a grid that follows the picture): not
        /// evidence of an edit, so its lattice error is `FrameVerdict.outsideError`.
        var outside: [Bool] = []
        /// How the frame's message is laid out (`WatermarkDesign.arrangements`), once found.
        var arrangement = 0
    }

    private func readingOf(_ upright: [Float], _ turned: [Float], clipped: [UInt8] = [], share: Float? = WatermarkDesign.clippedShare,
                           under choice: Choice? = nil) -> Reading {
        guard let l = choice ?? locked?.choice else { return Reading(projections: [], erased: []) }
        return Reading(projections: detector.projections(upright: upright, turned: turned, orientation: l.o, tone: Hypothesis.tones[l.t]),
                       erased: detector.erasures(upright: upright, turned: turned, orientation: l.o, clipped: clipped, share: share),
                       outside: detector.outside(upright: upright, turned: turned, orientation: l.o))
    }

    /// Bit phases of every projection under the locked sign and gain (or `choice`'s), times `factor`.
    private func phasesOf(_ p: [Float], under choice: Choice? = nil, factor: Float = 1) -> [Float] {
        guard let l = choice ?? locked?.choice else { return [] }
        let gain = Hypothesis.gains[l.g] * factor, sign = Hypothesis.signs[l.s]
        return p.indices.map { detector.bitPhase(p[$0], $0, gain: gain, sign: sign) }
    }

    /// Gain factors a single frame is also read at: a local edit (a box painted over the picture)
    /// changes the frame's contrast and so the scale its projections are measured in.
    /// The factor of `frameGainFactors` with the highest `statistic`: every third factor, then the
    /// best one's neighbours (the statistic is smooth in the factor; 2% apart keeps in phase the
    /// projections that matter). Any p-value from it is still corrected for all the factors.
    public static func bestGainFactor(_ statistic: (Float) -> Float) -> (statistic: Float, factor: Float) {
        let factors = frameGainFactors
        var best = (statistic: -Float.infinity, index: 0)
        for k in stride(from: 0, to: factors.count, by: 3) {
            let s = statistic(factors[k])
            if s > best.statistic { best = (s, k) }
        }
        for k in max(0, best.index - 2)...min(factors.count - 1, best.index + 2) where k != best.index {
            let s = statistic(factors[k])
            if s > best.statistic { best = (s, k) }
        }
        return (best.statistic, factors[best.index])
    }

    public static let frameGainFactors: [Float] = (0...200).map { exp(log(0.5) + Float($0) * (log(2.0) - log(0.5)) / 200) }

    /// The projections whose bits a frame is tested on, with those bits: the coded message's once
    /// it is known (see `judge`), the pilots' before.
    private func knownBits(_ l: Locked, arrangement: Int) -> [(index: Int, bit: UInt8)] {
        if let coded = l.codedMessage { return coded[arrangement].enumerated().map { (layout.messageRange.lowerBound + $0, $1) } }
        return Array(zip(layout.pilotRange, layout.pilotBits)).map { (index: $0, bit: $1) }
    }

    /// Σ cos(bit phase − π·bit) over `bits` not erased in the frame, at the locked gain × `factor`,
    /// and the number of terms. Computed straight from the projections: the gain searches call it
    /// dozens of times a frame.
    private func statistic(_ reading: Reading, _ bits: [(index: Int, bit: UInt8)], under choice: Choice? = nil, factor: Float) -> (statistic: Float, terms: Int) {
        guard let l = choice ?? locked?.choice else { return (0, 0) }
        let scale = Hypothesis.gains[l.g] * factor * Hypothesis.signs[l.s] / detector.step
        var sum: Float = 0, terms = 0
        reading.projections.withUnsafeBufferPointer { p in
            layout.dither.withUnsafeBufferPointer { d in
                for (i, b) in bits where !reading.erased[i] {
                    sum += cos(2 * Float.pi * (scale * p[i] - d[i]) - Float.pi * Float(b))
                    terms += 1
                }
            }
        }
        return (sum, terms)
    }

    private func pool(_ phases: [Float], _ reading: Reading) {
        guard var l = locked else { return }
        accumulate(phases, reading, pilotSum: &l.pilotSum, bitSum: &l.bitSum)
        l.count += 1
        locked = l
    }

    /// Adds one frame's phasors: each pilot's against its bit, and every projection before the
    /// pilots as read (their bits are not known). The message's go to the coded bit they carry
    /// in the frame's arrangement, so `bitSum`'s first `messageRange` entries are by coded bit.
    private func accumulate(_ phases: [Float], _ reading: Reading, pilotSum: inout [(re: Double, im: Double)], bitSum: inout [(re: Double, im: Double)]) {
        let erased = reading.erased
        for (j, i) in layout.pilotRange.enumerated() where !erased[i] {
            let phi = Double(phases[i]) - Double.pi * Double(layout.pilotBits[j])
            pilotSum[i].re += cos(phi); pilotSum[i].im += sin(phi)
        }
        let order = layout.codedOrder[reading.arrangement], first = layout.messageRange.lowerBound
        for (j, i) in layout.messageRange.enumerated() where !erased[i] {
            bitSum[first + order[j]].re += Double(cos(phases[i])); bitSum[first + order[j]].im += Double(sin(phases[i]))
        }
        for i in layout.messageRange.upperBound..<layout.pilotRange.lowerBound where !erased[i] {
            bitSum[i].re += Double(cos(phases[i])); bitSum[i].im += Double(sin(phases[i]))
        }
    }

    /// How well each arrangement explains the frame's arrangement bits (see `arrangementSoft`).
    private func arrangementScores(_ reading: Reading) -> [Float] {
        guard locked != nil, arranged else {
            return (0..<WatermarkDesign.arrangements).map { $0 == 0 ? 1 : 0 }
        }
        return Payload.arrangementScores(arrangementSoft(reading).bits)
    }

    /// The frame's soft values (positive = 0) of its arrangement projections and of its message
    /// projections (by projection): cos(bit phase), each counted as much as the pilots next to it
    /// agree (as the time code's) and as the clip's pilots there do.
    private func arrangementSoft(_ reading: Reading) -> (bits: [Float], message: [Float]) {
        guard let l = locked else { return ([], []) }
        let phases = phasesOf(reading.projections)
        let erased = reading.erased
        var pilotCos = [Float](repeating: 0, count: layout.projectionCount)
        for (j, i) in layout.pilotRange.enumerated() where !erased[i] { pilotCos[i] = cos(phases[i] - Float.pi * Float(layout.pilotBits[j])) }
        func soft(_ i: Int) -> Float {
            guard !erased[i], reading.outside.isEmpty || !reading.outside[i] else { return 0 }
            let near = layout.nearestPilots[i]
            let local = max(0, near.reduce(Float(0)) { $0 + pilotCos[$1] } / Float(near.count))
            return cos(phases[i]) * local * (l.reliability.isEmpty ? 1 : l.reliability[i])
        }
        return (layout.arrangementRange.map(soft), layout.messageRange.map(soft))
    }

    /// A folded frame's arrangement, decided as it comes: the running best of
    /// `Payload.smoothArrangements` without looking back (nil: a frame without evidence).
    private func foldArrangement(_ scores: [Float]?, afresh: Bool) -> Int {
        guard var l = locked else { return 0 }
        let metric = Payload.stepArrangements(l.arrangementMetric, scores, afresh: afresh)
        l.arrangementMetric = metric
        locked = l
        return metric.indices.max { metric[$0] < metric[$1] }!
    }

    /// The frame's own test: on the message's coded bits once the message is known, on the pilots
    /// before. Projections erased in the frame (clipped) are left out.
    /// Once the message is known the frame is also read at its own gain (best of
    /// `frameGainFactors`, so × their count), and the better of the two tests is reported
    /// (so × 2): a frame with part of its picture replaced still shows the mark in the rest.
    private func judge(_ reading: Reading, index: Int, time: Double, detail: Float) {
        let projections = reading.projections, erased = reading.erased
        guard let l = locked else { return }
        guard detail >= WatermarkDesign.minimumDetail else {
            frames.append(FrameVerdict(index: index, timeSeconds: time, log10PValue: 0, detected: false, timeCode: nil, detail: detail))
            return
        }
        var phases = phasesOf(projections)
        let known = knownBits(l, arrangement: reading.arrangement)
        let (clipGainStatistic, terms) = statistic(reading, known, factor: 1)
        let table = tailTable(terms)
        var raw = table.log10Tail(Double(clipGainStatistic))
        // Every frame is searched, however clearly marked at the clip's gain: its lattice errors are
        // the evidence of a local edit, and at the clip's gain a box painted over part of a frame
        // (which changes its contrast) scatters them over the whole picture.
        if l.codedMessage != nil {
            let best = Self.bestGainFactor { statistic(reading, known, factor: $0).statistic }
            let local = table.log10Tail(Double(best.statistic)) + log10(Double(Self.frameGainFactors.count))
            if local < raw { phases = phasesOf(projections, factor: best.factor) }
            raw = min(raw, local) + log10(2)
            // A grid that follows the picture chose the frame's arrangement with its message bits
            // among the evidence (`messageEvidence`): the test is corrected for every arrangement
            // it could have taken, so that choosing the one its bits fit best cannot make it pass.
            if arranged { raw += log10(Double(WatermarkDesign.arrangements)) }
        }
        // The pilots chose the hypothesis; the message's projections took no part in the choice
        // and have dithers of their own, so a test on them alone needs no correction for it.
        let log10p = min(0, raw + (l.codedMessage == nil ? log10(Double(Hypothesis.count)) : 0))
        let detected = log10p <= Self.frameLog10Threshold
        // Each time-code bit counts as much as the known bits next to it agree, in this frame and
        // over the clip: where part of the picture was clipped or painted over, the bits there read
        // anything.
        var knownCos = [Float](repeating: 0, count: layout.projectionCount)
        for (j, i) in layout.pilotRange.enumerated() where !erased[i] { knownCos[i] = cos(phases[i] - Float.pi * Float(layout.pilotBits[j])) }
        if let coded = l.codedMessage?[reading.arrangement] {
            for (k, b) in coded.enumerated() where !erased[k] { knownCos[k] = cos(phases[k] - Float.pi * Float(b)) }
        }
        let neighbours = l.codedMessage == nil ? layout.nearestPilots : layout.nearestKnown
        let outside = reading.outside
        // And as much as the projection holds anything at all: one over a flat patch (a painted
        // box) reads about 0, so its phase is its dither alone, the same wrong bit in every frame,
        // and the known bits next to it may agree by chance just as steadily. Natural picture puts
        // a projection within a quarter step of 0 about one time in ten.
        let toSteps = Hypothesis.gains[l.g] / detector.step
        let timeCos = layout.timeRange.map { i in
            if !outside.isEmpty && outside[i] { return Float(0) }
            let near = neighbours[i]
            let local = max(0, near.reduce(Float(0)) { $0 + knownCos[$1] } / Float(near.count))
            let held = min(1, abs(projections[i] * toSteps) / 0.25)
            return cos(phases[i]) * local * held * (l.reliability.isEmpty ? 1 : l.reliability[i])
        }
        let bits = WatermarkDesign.timeBits
        let timeSoft = (0..<bits).map { b in (0..<WatermarkDesign.timeRepeats).reduce(Float(0)) { $0 + timeCos[$1 * bits + b] } }
        var errors: [Int8]?
        var coordinates: [Float]?
        var timeCoordinates: [Float]?
        if let coded = l.codedMessage?[reading.arrangement] {
            let scale = Hypothesis.gains[l.g] * Hypothesis.signs[l.s] / detector.step
            coordinates = knownBitProjections.map { projections[$0] * scale }
            timeCoordinates = layout.timeRange.map { projections[$0] * scale }
            var e = [Int8]()
            e.reserveCapacity(coded.count + layout.pilotRange.count)
            func add(_ phase: Float, _ i: Int) {
                if !outside.isEmpty && outside[i] { e.append(FrameVerdict.outsideError); return }
                let turns = phase / (2 * Float.pi)
                e.append(Int8(clamping: Int(((turns - turns.rounded()) * 254).rounded())))
            }
            for (i, b) in coded.enumerated() { add(phases[layout.messageRange.lowerBound + i] - Float.pi * Float(b), layout.messageRange.lowerBound + i) }
            for (j, i) in layout.pilotRange.enumerated() { add(phases[i] - Float.pi * Float(layout.pilotBits[j]), i) }
            errors = e
        }
        frames.append(FrameVerdict(index: index, timeSeconds: time, log10PValue: log10p, detected: detected,
                                   timeCode: detected ? Payload.decodeTime(timeCos) : nil,
                                   detail: detail, timeSoft: timeSoft, latticeErrors: errors, latticeCoordinates: coordinates, timeCoordinates: timeCoordinates,
                                   arrangement: reading.arrangement))
    }

    private func clipLog10P(_ l: Locked) -> Double {
        let n = Double(l.count)
        var statistic = 0.0
        var weights: [Double] = []
        for i in layout.pilotRange {
            let re = l.pilotSum[i].re / n, im = l.pilotSum[i].im / n
            statistic += re
            weights.append((re * re + im * im).squareRoot())
        }
        return min(0, PhaseTest.log10Tail(statistic: statistic, weights: weights) + log10(Double(Hypothesis.count)))
    }

    private func tailTable(_ terms: Int) -> UnitTailTable {
        if let t = tailTables[terms] { return t }
        let t = UnitTailTable(terms: terms)
        tailTables[terms] = t
        return t
    }

    /// At most `limit` stored frames with detail enough, evenly spread over `range` of them.
    private func spread(_ limit: Int, in range: Range<Int>? = nil) -> [Int] {
        let usable = (range ?? stored.indices).filter { stored[$0].detail >= WatermarkDesign.minimumDetail }
        if usable.count <= limit { return usable }
        return (0..<limit).map { usable[$0 * usable.count / limit] }
    }

    /// The tone curve, orientation, sign and gain whose pooled pilot phasors agree best with the
    /// pilots' bits (largest z-score). Every (tone, orientation) pair is scored on 16 frames
    /// spread over the clip, and, failing a clear winner, on 16 frames of each of up to 24
    /// stretches (so that a short marked part of a long clip is seen); the best four are scored
    /// again on up to 96 frames (of the stretch that scored best).
    /// However the hypothesis is chosen, the p-values are corrected for all of them.
    private func bestHypothesis() -> (o: Int, s: Int, g: Int, t: Int) {
        let all = (0..<(Hypothesis.tones.count * 8)).map { (t: $0 / 8, o: $0 % 8) }
        // Frames spread over the whole clip first; stretch by stretch only when that finds no
        // clear winner (z under 8), as when a short marked part sits in a long clip.
        let overall = score(all, frames: spread(16)).sorted { $0.z > $1.z }
        if overall[0].z >= 8 || stored.count < 192 {
            let fine = score(overall.prefix(4).map { ($0.t, $0.o) }, frames: spread(96))
            let best = fine.max { $0.z < $1.z }!
            return (best.o, best.s, best.g, best.t)
        }
        // Stretches of the scan's length, at most 24 of them evenly spread: short enough that one
        // lies within a short marked part, whatever surrounds it.
        let length = Self.scanWindow, possible = max(1, stored.count / length)
        let chunks = min(24, possible)
        let ranges = (0..<chunks).map { c -> Range<Int> in
            let start = (c * possible / chunks) * length
            return start..<min(stored.count, start + length)
        }
        var coarse: [(z: Double, t: Int, o: Int, chunk: Int)] = []
        for (c, range) in ranges.enumerated() {
            coarse += score(all, frames: spread(16, in: range)).map { ($0.z, $0.t, $0.o, c) }
        }
        coarse.sort { $0.z > $1.z }
        var pairs: [(t: Int, o: Int)] = []
        for candidate in coarse where !pairs.contains(where: { $0.t == candidate.t && $0.o == candidate.o }) {
            pairs.append((candidate.t, candidate.o))
            if pairs.count == 4 { break }
        }
        // Scored again both over the clip and within the best stretch: a clip marked throughout
        // but weakly (heavy compression) is read best over the clip, a short marked part within.
        let fine = score(pairs, frames: spread(96)) + score(pairs, frames: spread(96, in: ranges[coarse[0].chunk]))
        let best = fine.max { $0.z < $1.z }!
        return (best.o, best.s, best.g, best.t)
    }

    /// For each (tone, orientation), the best sign and gain and its z-score, in parallel.
    private func score(_ pairs: [(t: Int, o: Int)], frames subset: [Int]) -> [(z: Double, t: Int, o: Int, s: Int, g: Int)] {
        let pilots = Array(layout.pilotRange)
        let pilotBits = layout.pilotBits
        let frames = subset.map { (stored[$0].upright.map { Float($0) }, stored[$0].turned.map { Float($0) }, stored[$0].clipped) }
        let results = UnsafeMutableBufferPointer<(z: Double, t: Int, o: Int, s: Int, g: Int)>.allocate(capacity: pairs.count)
        defer { results.deallocate() }
        let slots = UnsafeSendable(results)
        let detector = self.detector
        DispatchQueue.concurrentPerform(iterations: pairs.count) { job in
            let (t, o) = pairs[job]
            let projections = frames.map { detector.projections(upright: $0.0, turned: $0.1, orientation: o, tone: Hypothesis.tones[t]) }
            let erased = frames.map { detector.erasures(upright: $0.0, turned: $0.1, orientation: o, clipped: $0.2) }
            var best = (z: -Double.infinity, t: t, o: o, s: 0, g: 0)
            let gains = Hypothesis.gains.count, n = pilots.count
            // Pooled pilot phasors for every gain: [gain][pilot], pilots 8 to a vector. The
            // phasor at the next gain is the current one times a fixed rotation, so only two
            // sin/cos per pilot and frame. An erased pilot (and the padding after the last) is
            // the zero phasor, which adds nothing.
            let lanes = (n + 7) / 8
            var re = [SIMD8<Float>](repeating: .zero, count: gains * lanes), im = re
            var c = [SIMD8<Float>](repeating: .zero, count: lanes), d = c, rd = c
            var rc = [SIMD8<Float>](repeating: SIMD8(repeating: 1), count: lanes)
            for (s, sign) in Hypothesis.signs.enumerated() {
                for j in re.indices { re[j] = .zero; im[j] = .zero }
                for (p, gone) in zip(projections, erased) {
                    for (j, i) in pilots.enumerated() {
                        let (l, k) = j.quotientAndRemainder(dividingBy: 8)
                        guard !gone[i] else { (c[l][k], d[l][k], rc[l][k], rd[l][k]) = (0, 0, 1, 0); continue }
                        let phase = detector.bitPhase(p[i], i, gain: Hypothesis.gains[0], sign: sign) - Float.pi * Float(pilotBits[j])
                        let turn = 2 * Float.pi * sign * p[i] / detector.step * Hypothesis.gainStep
                        (c[l][k], d[l][k], rc[l][k], rd[l][k]) = (cos(phase), sin(phase), cos(turn), sin(turn))
                    }
                    Self.rotateAndPool(re: &re, im: &im, c: &c, d: &d, rc: rc, rd: rd, gains: gains)
                }
                for g in 0..<gains {
                    var sum = SIMD8<Float>.zero, energy = SIMD8<Float>.zero
                    for l in 0..<lanes {
                        let r = re[g * lanes + l], m = im[g * lanes + l]
                        sum += r
                        energy += r * r + m * m
                    }
                    let z = Double(sum.sum()) / max(Double(energy.sum() / 2).squareRoot(), 1e-12)
                    if z > best.z { best = (z, t, o, s, g) }
                }
            }
            slots.value[job] = best
        }
        return Array(results)
    }
}

extension ClipAnalyzer {
    /// For g in 0..<gains: adds the phasors (c, d) into row g of (re, im), then turns each by its
    /// (rc, rd). A row is `c.count` vectors of pilots.
    static func rotateAndPool(re: inout [SIMD8<Float>], im: inout [SIMD8<Float>], c: inout [SIMD8<Float>], d: inout [SIMD8<Float>],
                              rc: [SIMD8<Float>], rd: [SIMD8<Float>], gains: Int) {
        let lanes = c.count
        re.withUnsafeMutableBufferPointer { re in
            im.withUnsafeMutableBufferPointer { im in
                c.withUnsafeMutableBufferPointer { c in
                    d.withUnsafeMutableBufferPointer { d in
                        rc.withUnsafeBufferPointer { rc in
                            rd.withUnsafeBufferPointer { rd in
                                for g in 0..<gains {
                                    let row = g * lanes
                                    for l in 0..<lanes {
                                        let cl = c[l], dl = d[l]
                                        re[row + l] += cl
                                        im[row + l] += dl
                                        c[l] = cl * rc[l] - dl * rd[l]
                                        d[l] = cl * rd[l] + dl * rc[l]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Lets concurrentPerform's jobs write disjoint slots of one buffer.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// log10 P(Σ cos Uᵢ ≥ s) for `terms` unit weights, tabulated once and interpolated.
struct UnitTailTable {
    let terms: Int
    private let step = 0.25
    private let values: [Double]

    init(terms: Int) {
        self.terms = terms
        let weights = [Double](repeating: 1, count: terms)
        let count = Int(Double(terms) / step) + 1
        values = (0..<count).map { PhaseTest.log10Tail(statistic: Double($0) * 0.25, weights: weights) }
    }

    func log10Tail(_ s: Double) -> Double {
        if s <= 0 { return PhaseTest.log10Tail(statistic: s, weights: [Double](repeating: 1, count: terms)) }
        let x = s / step
        let i = min(Int(x), values.count - 2)
        let t = min(x - Double(i), 1)
        return values[i] * (1 - t) + values[i + 1] * t
    }
}
