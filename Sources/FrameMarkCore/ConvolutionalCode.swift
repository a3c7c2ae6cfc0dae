/// The rate-1/2, constraint-length-7 convolutional code (generators 171, 133 octal, as in 802.11)
/// with a soft-decision Viterbi decoder. Six zero tail bits return the encoder to state 0.
enum ConvolutionalCode {
    static let constraint = 7
    static let generators: [UInt32] = [0o171, 0o133]
    static let states = 1 << (constraint - 1)

    static func codedLength(forDataBits n: Int) -> Int { (n + constraint - 1) * generators.count }

    private static func outputs(register: UInt32) -> [UInt8] {
        generators.map { UInt8(($0 & register).nonzeroBitCount & 1) }
    }

    /// Encodes `bits` (0/1), appending the tail.
    static func encode(_ bits: [UInt8]) -> [UInt8] {
        var register: UInt32 = 0
        var out: [UInt8] = []
        out.reserveCapacity(codedLength(forDataBits: bits.count))
        for b in bits + [UInt8](repeating: 0, count: constraint - 1) {
            register = ((register << 1) | UInt32(b)) & 0x7F
            out += outputs(register: register)
        }
        return out
    }

    /// Decodes soft values (positive means 0 is likelier, negative means 1; magnitude is confidence)
    /// into `dataBits` bits, choosing the path that ends in state 0.
    static func decode(_ soft: [Float], dataBits: Int) -> [UInt8] {
        let steps = dataBits + constraint - 1
        precondition(soft.count == steps * generators.count, "soft input length does not match the code")
        // For each 7-bit register value, the sign (+1 for a 0 bit, −1 for a 1) of each output.
        let rate = generators.count
        let table: [[Float]] = (0..<128).map { r in outputs(register: UInt32(r)).map { $0 == 0 ? 1 : -1 } }
        var metric = [Float](repeating: -.infinity, count: states)
        metric[0] = 0
        var next = [Float](repeating: 0, count: states)
        var decisions = [UInt8](repeating: 0, count: steps * states)  // which predecessor won
        for t in 0..<steps {
            let symbols = soft[(rate * t)..<(rate * t + rate)]
            for state in 0..<states {
                // state = last six input bits; predecessors differ in the bit that fell off.
                let bit = state & 1
                var best: Float = -.infinity
                var choice: UInt8 = 0
                for oldest in 0..<2 {
                    let prev = (state >> 1) | (oldest << 5)
                    guard metric[prev] > -.infinity else { continue }
                    let reg = (prev << 1) | bit
                    let o = table[reg]
                    var m = metric[prev]
                    for (j, value) in symbols.enumerated() { m += o[j] * value }
                    if m > best { best = m; choice = UInt8(oldest) }
                }
                next[state] = best
                decisions[t * states + state] = choice
            }
            swap(&metric, &next)
        }
        var state = 0
        var bits = [UInt8](repeating: 0, count: steps)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            bits[t] = UInt8(state & 1)
            let oldest = Int(decisions[t * states + state])
            state = (state >> 1) | (oldest << 5)
        }
        return Array(bits.prefix(dataBits))
    }
}
