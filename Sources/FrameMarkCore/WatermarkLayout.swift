import Foundation

/// Fixed choices of the watermark's geometry and payload (see docs/algorithm.md).
public enum WatermarkDesign {
    /// The working grid every frame is resampled to, whatever its size or aspect. Cells are large
    /// (20 px at 720p, 30 px at 1080p) because H.264 keeps low frequencies and drops the rest,
    /// and a coarse pattern shifts little against moving content (fewer bits to code it).
    public static let gridWidth = 64
    public static let gridHeight = 36
    /// Each projection (one carried bit) is a block of neighbouring grid cells, 2 wide and 3 tall:
    /// local, so that damage to part of the picture (clipped shadows, an overlay, a crop) costs
    /// the projections there and leaves the others whole. Measured against 7 cells scattered over
    /// the frame (docs/algorithm.md): mark survives heavy compression better and costs fewer bits.
    public static let blockWidth = 2
    public static let blockHeight = 3
    public static var cellsPerProjection: Int { blockWidth * blockHeight }
    /// Radius of the box the high-pass subtracts (removes the picture's slow variations).
    public static let highPassRadius = 2
    /// The quantisation step Δ at strength 1, in units of the frame's luma standard deviation.
    public static let baseStep: Float = 0.14
    /// A projection within this fraction of a step of its lattice point keeps last frame's mark.
    public static let tolerance: Float = 0.2
    /// A mark further than this (in steps) from the picture's own projection is started afresh.
    public static let retargetLimit: Float = 0.6
    /// Frames with less detail than this (RMS of the high-passed grid, luma levels) are black or
    /// flat: their projections are the dither alone, the same every frame, so they are left out of
    /// the clip's statistics and never reported as marked.
    public static let minimumDetail: Float = 0.5
    /// A cell whose mean is within this many levels of black or white is taken as clipped: the
    /// detector leaves out the projections that contain it (see `FrameDetector.erasures`).
    public static let clippedLevel: Float = 10
    /// A cell with this share of its pixels at black or white (within 2 levels) is taken as
    /// clipped too, whatever its mean (see `FrameDetector.clippedShares`).
    public static let clippedShare: Float = 0.25
    /// Cells are looked at for clipped pixels only when at least this share of the frame is.
    public static let clippedFrameShare: Float = 0.005
    /// How many nearby pilots vouch for a projection (see `WatermarkLayout.nearestPilots`).
    public static let neighbourPilots = 4
    /// Floor of the standard deviation a frame is normalised by (flat frames get a weaker mark).
    public static let scaleFloor: Float = 8
    /// Message bits + CRC-32, convolutionally coded at rate 1/2 with a 6-bit tail: 204 coded bits.
    public static let messageDataBits = 96
    public static var messageCodedBits: Int { ConvolutionalCode.codedLength(forDataBits: messageDataBits) }
    /// Time code: the quarter second of the clip a frame belongs to, modulo 2^14 (68 minutes),
    /// each bit repeated. A quarter second, not a second: two stretches of a clip whose positions in
    /// the original differ by less than a code unit read the same codes, so their boundary cannot
    /// be placed closer than that.
    public static let timeCodeSeconds = 0.25
    public static let timeBits = 14
    public static let timeRepeats = 3
    /// The message's coded bits are laid over its projections in one of `arrangements` key-derived
    /// orders, named in each frame by `arrangementBits` bits repeated `arrangementRepeats` times.
    /// A grid that follows the picture takes the next arrangement whenever it starts its mark
    /// afresh (at a restart of a grid that moved, or a cut), when the whole mark is laid anew
    /// anyway: so a part of the picture that loses the mark for a whole shot (a clipped band of
    /// sky after a tone change) costs each coded bit in some stretches only, instead of the same
    /// third of them throughout. The frame-fixed grid keeps arrangement 0.
    public static let arrangements = 4
    public static let arrangementBits = 2
    public static let arrangementRepeats = 3
}

/// Everything derived from the key: which grid cells form each projection, the ±1 carrier on them
/// and each projection's secret dither. Built once per key, shared read-only between threads.
public final class WatermarkLayout: ProjectionSet {
    public let gridWidth: Int
    public let gridHeight: Int
    public let cellsPerProjection: Int
    public let projectionCount: Int
    /// Cell index (u + v·gridWidth) of each projection's cells, projection after projection.
    let cells: [Int32]
    let signs: [Float]
    /// Dither of each projection as a fraction of the step, uniform in [0, 1).
    let dither: [Float]
    /// For each orientation, `cells` remapped into the transformed grid.
    let orientedCells: [[Int32]]

    /// Bits each projection carries: the coded message, the time code, then key-derived pilots.
    var messageRange: Range<Int> { 0..<WatermarkDesign.messageCodedBits }
    var timeRange: Range<Int> { messageRange.upperBound..<(messageRange.upperBound + WatermarkDesign.timeBits * WatermarkDesign.timeRepeats) }
    var arrangementRange: Range<Int> {
        timeRange.upperBound..<(timeRange.upperBound + WatermarkDesign.arrangementBits * WatermarkDesign.arrangementRepeats)
    }
    var pilotRange: Range<Int> { arrangementRange.upperBound..<projectionCount }
    /// For each arrangement, the coded-message bit that each message projection carries
    /// (`messageRange.lowerBound + j` carries bit `codedOrder[a][j]`); arrangement 0 in order.
    let codedOrder: [[Int]]
    /// The pilots' bits: known to whoever holds the key, so every frame can be tested exactly.
    let pilotBits: [UInt8]
    /// For each projection, the `WatermarkDesign.neighbourPilots` pilot projections nearest to it.
    let nearestPilots: [[Int]]
    /// The same among every projection whose bit is known once the message is (message and
    /// pilots): the blocks right next to a projection.
    let nearestKnown: [[Int]]

    public init(key: WatermarkKey) {
        let w = WatermarkDesign.gridWidth, h = WatermarkDesign.gridHeight, n = WatermarkDesign.cellsPerProjection
        gridWidth = w
        gridHeight = h
        cellsPerProjection = n
        let bw = WatermarkDesign.blockWidth, bh = WatermarkDesign.blockHeight
        precondition(w % bw == 0 && h % bh == 0, "the grid is not a whole number of blocks")
        projectionCount = (w / bw) * (h / bh)
        // Blocks in a key-derived order, so that message, time code and pilots are interleaved
        // over the whole picture.
        var order = Array(0..<projectionCount)
        var rng = key.stream("framemark/v2/blocks")
        for i in stride(from: projectionCount - 1, to: 0, by: -1) {
            order.swapAt(i, rng.next(below: i + 1))
        }
        var cells: [Int32] = []
        cells.reserveCapacity(projectionCount * n)
        for block in order {
            let x0 = (block % (w / bw)) * bw, y0 = (block / (w / bw)) * bh
            for dy in 0..<bh { for dx in 0..<bw { cells.append(Int32((y0 + dy) * w + x0 + dx)) } }
        }
        self.cells = cells
        // Each block's carrier is balanced (as many +1 as −1), so a projection ignores any level
        // shared by the block's cells: the bias a tone curve or a clipped neighbourhood leaves in
        // the high-pass reads as nothing instead of as a shifted lattice point.
        var signRNG = key.stream("framemark/v3/carrier")
        var signs: [Float] = []
        signs.reserveCapacity(cells.count)
        for _ in 0..<projectionCount {
            var block = (0..<n).map { $0 < n / 2 ? Float(1) : -1 }
            for i in stride(from: n - 1, to: 0, by: -1) { block.swapAt(i, signRNG.next(below: i + 1)) }
            signs.append(contentsOf: block)
        }
        self.signs = signs
        var ditherRNG = key.stream("framemark/v2/dither")
        dither = (0..<projectionCount).map { _ in Float(ditherRNG.nextUnit()) }
        var pilotRNG = key.stream("framemark/v2/pilots")
        let pilotCount = projectionCount - WatermarkDesign.messageCodedBits - WatermarkDesign.timeBits * WatermarkDesign.timeRepeats
            - WatermarkDesign.arrangementBits * WatermarkDesign.arrangementRepeats
        precondition(pilotCount >= 32, "payload does not leave room for pilots")
        pilotBits = (0..<pilotCount).map { _ in UInt8(pilotRNG.nextUInt64() & 1) }
        codedOrder = (0..<WatermarkDesign.arrangements).map { a in
            var order = Array(0..<WatermarkDesign.messageCodedBits)
            guard a > 0 else { return order }
            var rng = key.stream("framemark/v4/arrangement/\(a)")
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.next(below: i + 1)) }
            return order
        }
        // The pilots nearest each projection (by block centre), for reading how far a projection
        // can be trusted from how well the pilots around it agree with their bits.
        let count = projectionCount, blockCells = cells
        let centres = (0..<count).map { i -> (Float, Float) in
            let c = Int(blockCells[i * n])
            return (Float(c % w) + Float(bw - 1) / 2, Float(c / w) + Float(bh - 1) / 2)
        }
        // The k nearest by (distance, index), picked without sorting all of them.
        func nearest(_ candidates: [Int]) -> [[Int]] {
            centres.indices.map { i in
                let c = centres[i]
                var picked: [(d: Float, j: Int)] = []
                for j in candidates where j != i {
                    let d = (centres[j].0 - c.0) * (centres[j].0 - c.0) + (centres[j].1 - c.1) * (centres[j].1 - c.1)
                    guard picked.count < WatermarkDesign.neighbourPilots || (d, j) < (picked[picked.count - 1].d, picked[picked.count - 1].j) else { continue }
                    if picked.count == WatermarkDesign.neighbourPilots { picked.removeLast() }
                    let at = picked.firstIndex { (d, j) < ($0.d, $0.j) } ?? picked.count
                    picked.insert((d, j), at: at)
                }
                return picked.map(\.j)
            }
        }
        let pilotStart = count - pilotCount
        nearestPilots = nearest(Array(pilotStart..<count))
        let messageCount = WatermarkDesign.messageCodedBits
        nearestKnown = nearest(Array(0..<messageCount) + Array(pilotStart..<count))
        let cellsCopy = cells
        orientedCells = Orientation.allCases.map { o in
            cellsCopy.map { c in
                let (x, y) = o.map(u: Int(c) % w, v: Int(c) / w, w: w, h: h)
                return Int32(o.swapsAxes ? x + y * h : x + y * w)
            }
        }
    }
}
