/// The bits each projection carries: the clip's coded message, then the frame's time code.
enum Payload {
    /// 64 message bits + CRC-32, convolutionally coded (306 bits).
    static func codedMessage(_ message: Message) -> [UInt8] {
        ConvolutionalCode.encode(withCRC(message))
    }

    static func withCRC(_ message: Message) -> [UInt8] {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: message.value >> (56 - 8 * UInt64($0))) }
        let crc = CRC32.checksum(bytes)
        return message.bits + (0..<32).map { UInt8((crc >> (31 - UInt32($0))) & 1) }
    }

    /// The message whose coded bits best explain `soft` (positive = 0), or nil when the CRC fails.
    static func decodeMessage(_ soft: [Float]) -> Message? {
        let bits = ConvolutionalCode.decode(soft, dataBits: WatermarkDesign.messageDataBits)
        var value: UInt64 = 0
        for b in bits.prefix(64) { value = value << 1 | UInt64(b) }
        let message = Message(value)
        return withCRC(message) == bits ? message : nil
    }

    /// The time code of a frame shown `seconds` into the clip: its quarter second, mod 2^14.
    public static func timeCode(seconds: Double) -> Int {
        Int((max(0, seconds) / WatermarkDesign.timeCodeSeconds + 1e-6).rounded(.down)) & ((1 << WatermarkDesign.timeBits) - 1)
    }

    /// Time-code bits for code `code`, each repeated, interleaved by repeat.
    static func timeBits(code: Int) -> [UInt8] {
        let t = WatermarkDesign.timeBits
        let code = code & ((1 << t) - 1)
        let once = (0..<t).map { UInt8((code >> (t - 1 - $0)) & 1) }
        return (0..<WatermarkDesign.timeRepeats).flatMap { _ in once }
    }

    /// The time code from soft values of the repeated bits.
    static func decodeTime(_ soft: [Float]) -> Int {
        let t = WatermarkDesign.timeBits
        var code = 0
        for b in 0..<t {
            var s: Float = 0
            for r in 0..<WatermarkDesign.timeRepeats { s += soft[r * t + b] }
            code = code << 1 | (s < 0 ? 1 : 0)
        }
        return code
    }

    /// The bits that name arrangement `a` (see `WatermarkDesign.arrangements`), each repeated,
    /// interleaved by repeat.
    static func arrangementBits(_ a: Int) -> [UInt8] {
        let n = WatermarkDesign.arrangementBits
        let once = (0..<n).map { UInt8((a >> (n - 1 - $0)) & 1) }
        return (0..<WatermarkDesign.arrangementRepeats).flatMap { _ in once }
    }

    /// What a change of arrangement between two frames costs in `smoothArrangements`, in the
    /// units of `arrangementScores` (a clean frame scores its own arrangement 6 above the rest):
    /// to the next one (a mark takes the next at each fresh start), or to any other (only where
    /// the clip was edited: a cut, a splice, a stretch left out). At a frame where the detector's
    /// own plan of the grid has the mark start afresh (`GridPlan.Planner.afresh`), taking the
    /// next arrangement is free and keeping the same one costs `switchCost` instead.
    static let switchCost: Float = 6
    static let jumpCost: Float = 12

    /// What staying in the same arrangement, and taking the next, cost into a frame.
    private static func costs(afresh: Bool) -> (stay: Float, advance: Float) {
        afresh ? (switchCost, 0) : (0, switchCost)
    }

    /// One frame of `smoothArrangements` forward: each arrangement's best score so far, given the
    /// previous frame's (relative to the best, which keeps a long clip's in range). `afresh`: the
    /// frame is a planned fresh start.
    static func stepArrangements(_ metric: [Float], _ score: [Float]?, afresh: Bool = false) -> [Float] {
        let n = metric.count, cost = costs(afresh: afresh)
        let best = metric.max()!
        let next = metric.indices.map { a in
            max(metric[a] - cost.stay, metric[(a + n - 1) % n] - cost.advance, best - jumpCost) + (score?[a] ?? 0)
        }
        let top = next.max()!
        return next.map { $0 - top }
    }

    /// The same step backward: each arrangement's best score from this frame to the clip's end,
    /// given the next frame's (`afresh`: the next frame is a planned fresh start).
    private static func stepArrangementsBack(_ metric: [Float], _ score: [Float]?, afresh: Bool) -> [Float] {
        let n = metric.count, cost = costs(afresh: afresh)
        let best = metric.max()!
        let next = metric.indices.map { a in
            max(metric[a] - cost.stay, metric[(a + 1) % n] - cost.advance, best - jumpCost) + (score?[a] ?? 0)
        }
        let top = next.max()!
        return next.map { $0 - top }
    }

    /// The most likely arrangement of each frame, from their `arrangementScores` (nil: no
    /// evidence, such as a flat frame), by dynamic programming: a frame's arrangement changes
    /// only where it pays (see `switchCost`), since a mark keeps one from one fresh start to
    /// the next (about a second at least) and a single frame's bits may read wrong. `afresh`
    /// marks the frames where the detector's plan has the mark start afresh (empty: none
    /// known). Each frame takes the arrangement of the best path through it (forward and
    /// backward passes).
    static func smoothArrangements(_ scores: [[Float]?], afresh: [Bool] = []) -> [Int] {
        guard !scores.isEmpty else { return [] }
        let n = WatermarkDesign.arrangements
        func fresh(_ f: Int) -> Bool { afresh.indices.contains(f) && afresh[f] }
        var forward: [[Float]] = []
        var metric = [Float](repeating: 0, count: n)
        for f in scores.indices {
            metric = stepArrangements(metric, scores[f], afresh: fresh(f))
            forward.append(metric)
        }
        var back = [Float](repeating: 0, count: n)
        var out = [Int](repeating: 0, count: scores.count)
        for f in stride(from: scores.count - 1, through: 0, by: -1) {
            back = f == scores.count - 1 ? (scores[f] ?? back) : stepArrangementsBack(back, scores[f], afresh: fresh(f + 1))
            // Both passes counted the frame's own score.
            let through = (0..<n).map { a -> Float in forward[f][a] + back[a] - (scores[f]?[a] ?? 0) }
            out[f] = through.indices.max { through[$0] < through[$1] }!
        }
        return out
    }

    /// How well each arrangement (`orders`, see `WatermarkLayout.codedOrder`) lays `estimate`
    /// (one value per coded bit, positive = 0) over a frame's soft message values (by
    /// projection): Σ soft · estimate of the bit the arrangement puts there.
    static func messageScores(_ message: [Float], _ estimate: [Float], _ orders: [[Int]]) -> [Float] {
        orders.map { order in zip(order, message).reduce(Float(0)) { $0 + estimate[$1.0] * $1.1 } }
    }

    /// Each frame's `messageScores` against the coded bits as the frames of the *other*
    /// stretches (from one planned fresh start, `afresh`, to the next) read them, pooled by coded
    /// bit in their `arrangements` (each bit's estimate in −1…1: the pooled value over its root
    /// mean square, clamped). A stretch's own frames are left out: a grid that follows the
    /// picture lies over the same picture all through a stretch, so its frames share their errors
    /// and would agree with one another in whatever arrangement they were given.
    static func estimatedMessageScores(_ soft: [[Float]?], _ arrangements: [Int], afresh: [Bool], orders: [[Int]]) -> [[Float]?] {
        guard let count = orders.first?.count else { return soft.map { _ in nil } }
        var stretch = [Int](repeating: 0, count: soft.count)
        for f in soft.indices.dropFirst() { stretch[f] = stretch[f - 1] + (afresh.indices.contains(f) && afresh[f] ? 1 : 0) }
        var pooled = [[Float]](repeating: [Float](repeating: 0, count: count), count: (stretch.last ?? 0) + 1)
        for (f, s) in soft.enumerated() {
            guard let s else { continue }
            for (j, k) in orders[arrangements[f]].enumerated() { pooled[stretch[f]][k] += s[j] }
        }
        let all = (0..<count).map { k in pooled.reduce(Float(0)) { $0 + $1[k] } }
        let estimates = pooled.map { own -> [Float] in
            let others = zip(all, own).map { $0 - $1 }
            let rms = max((others.reduce(0) { $0 + $1 * $1 } / Float(count)).squareRoot(), .leastNormalMagnitude)
            return others.map { min(1, max(-1, $0 / rms)) }
        }
        return soft.enumerated().map { f, s in s.map { messageScores($0, estimates[stretch[f]], orders) } }
    }

    /// Two kinds of evidence of a frame's arrangement, added (nil where both are).
    static func joined(_ first: [Float]?, _ second: [Float]?) -> [Float]? {
        guard let a = first else { return second }
        guard let b = second else { return a }
        return zip(a, b).map { $0 + $1 }
    }

    /// The same for every frame.
    static func joined(_ first: [[Float]?], _ second: [[Float]?]) -> [[Float]?] {
        first.indices.map { f in joined(first[f], second.indices.contains(f) ? second[f] : nil) }
    }

    /// The coded bits as each arrangement lays them on the message projections (`WatermarkLayout.codedOrder`).
    static func arranged(_ coded: [UInt8], _ orders: [[Int]]) -> [[UInt8]] {
        orders.map { order in order.map { coded[$0] } }
    }

    /// How well each arrangement explains soft values of its repeated bits (positive = 0): the
    /// sum of the soft values, each signed by the arrangement's bit.
    static func arrangementScores(_ soft: [Float]) -> [Float] {
        (0..<WatermarkDesign.arrangements).map { a in
            zip(arrangementBits(a), soft).reduce(Float(0)) { $0 + ($1.0 == 0 ? $1.1 : -$1.1) }
        }
    }
}
