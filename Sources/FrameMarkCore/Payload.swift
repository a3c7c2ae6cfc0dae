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
    /// units of `arrangementScores` (a clean frame scores its own arrangement 6 above the rest).
    static let switchCost: Float = 6

    /// One frame of `smoothArrangements`: each arrangement's best score so far, given the
    /// previous frame's, and which arrangement that best came from.
    static func stepArrangements(_ metric: [Float], _ score: [Float]?, switchCost: Float = switchCost) -> (metric: [Float], from: [Int]) {
        let best = metric.indices.max { metric[$0] < metric[$1] }!
        var next = metric, from = Array(metric.indices)
        for a in metric.indices {
            let stay = metric[a], jump = metric[best] - switchCost
            if jump > stay { from[a] = best }
            next[a] = max(stay, jump) + (score?[a] ?? 0)
        }
        return (next, from)
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

    /// The most likely arrangement of each frame, from their `arrangementScores` (nil: no
    /// evidence, such as a flat frame), by dynamic programming: a frame's arrangement changes
    /// only where it is cheaper than `switchCost`, since a mark keeps one for at least a restart
    /// (about a second) and a single frame's bits may read wrong.
    static func smoothArrangements(_ scores: [[Float]?], switchCost: Float = switchCost) -> [Int] {
        guard !scores.isEmpty else { return [] }
        var metric = [Float](repeating: 0, count: WatermarkDesign.arrangements)
        var from: [[Int]] = []
        for score in scores {
            let step = stepArrangements(metric, score, switchCost: switchCost)
            metric = step.metric
            from.append(step.from)
        }
        var a = metric.indices.max { metric[$0] < metric[$1] }!
        var out = [Int](repeating: 0, count: scores.count)
        for f in stride(from: scores.count - 1, through: 0, by: -1) {
            out[f] = a
            a = from[f][a]
        }
        return out
    }
}
