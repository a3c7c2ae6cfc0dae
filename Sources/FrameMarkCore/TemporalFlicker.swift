/// How much a processed video's difference from its source changes from one frame to the next:
/// the flicker a mark (or a codec) adds. A change that holds still is not flicker, however large;
/// one that comes and goes is. Measured on 8 × 8 block means of the luma difference, because the
/// eye sees flicker over areas, not in single pixels, and because a block mean ignores the grain
/// that any encode re-draws in every frame.
///
/// Frames are added in presentation order, each paired with its source frame.
public struct TemporalFlicker: Sendable {
    public static let block = 8
    /// Histogram of block changes, 1/16 level per bin up to 64 levels (the tail figure).
    private static let binsPerLevel = 16
    private static let bins = 64 * binsPerLevel

    private var previous: [Float] = []
    private var squaredChange: Double = 0
    private var changes = 0
    private var largest: Float = 0
    private var histogram = [Int](repeating: 0, count: TemporalFlicker.bins + 1)

    public init() {}

    /// Adds frame `a` and its source `b` (same size; the same size as every earlier pair).
    public mutating func add(_ a: LumaPlane, _ b: LumaPlane) {
        precondition(a.width == b.width && a.height == b.height, "pictures differ in size")
        let n = Self.block
        let bw = a.width / n, bh = a.height / n
        var means = [Float](repeating: 0, count: bw * bh)
        for by in 0..<bh {
            for bx in 0..<bw {
                var sum = 0
                for y in (by * n)..<(by * n + n) {
                    let ra = y * a.stride + bx * n, rb = y * b.stride + bx * n
                    for x in 0..<n { sum += Int(a.pixels[ra + x]) - Int(b.pixels[rb + x]) }
                }
                means[by * bw + bx] = Float(sum) / Float(n * n)
            }
        }
        precondition(previous.isEmpty || previous.count == means.count, "frame size changed")
        if !previous.isEmpty {
            for (m, p) in zip(means, previous) {
                let change = abs(m - p)
                squaredChange += Double(change * change)
                largest = max(largest, change)
                histogram[min(Self.bins, Int(change * Float(Self.binsPerLevel)))] += 1
            }
            changes += means.count
        }
        previous = means
    }

    /// RMS of the block-mean change between consecutive frames, in 8-bit luma levels.
    public var rms: Double { changes > 0 ? (squaredChange / Double(changes)).squareRoot() : 0 }

    /// The block change that 99.9% of changes stay under, in levels (to 1/16 level).
    public var tail: Double {
        guard changes > 0 else { return 0 }
        let limit = Int((Double(changes) * 0.999).rounded(.up))
        var seen = 0
        for (bin, count) in histogram.enumerated() {
            seen += count
            if seen >= limit { return min(Double(bin + 1) / Double(Self.binsPerLevel), Double(largest)) }
        }
        return Double(largest)
    }

    /// The largest block change seen, in levels.
    public var peak: Double { Double(largest) }
}
