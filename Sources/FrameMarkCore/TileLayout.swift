import Foundation

/// The geometry layer's tile: everything a part of the frame needs to carry the message alone.
///
/// A tile is 36 × 36 cells of 10 reference pixels (a reference pixel is 1/720 of the marked
/// frame's height), cut into 18 × 18 blocks of 2 × 2 cells; each block is one projection with a
/// balanced ±1 carrier, so a tile holds 324 projections: the 204 coded bits of the message (the
/// same code as the frame layer's, interleaved over the tile in a key-derived order) and 120
/// pilots. The tile repeats over the whole frame from its top-left corner and has the period of
/// the synchronisation template, so any window holding a whole tile (a 50% × 50% crop, a
/// full-height 9:16 window of a 16:9 frame) holds the whole payload. Key labels are "v5".
public final class TileLayout: Sendable {
    public static let cellsPerSide = 36
    public static let blockSide = 2
    public static var blocksPerSide: Int { cellsPerSide / blockSide }
    public static var projectionCount: Int { blocksPerSide * blocksPerSide }
    /// Side of a cell in reference pixels; cells × this = `SyncTemplate.tilePeriod`.
    public static let cellReferencePixels = 10.0
    /// Rows of cells over a frame's height (720 reference pixels).
    public static let gridRows = 72

    /// ±1 carrier of each tile projection over its 2 × 2 cells (row-major), two of each sign.
    let signs: [Float]
    let dither: [Float]
    /// `messageProjections[j]` carries coded bit j.
    package let messageProjections: [Int]
    let pilotProjections: [Int]
    let pilotBits: [UInt8]
    public let template: SyncTemplate

    public init(key: WatermarkKey) {
        let count = Self.projectionCount, n = Self.blockSide * Self.blockSide
        var signRNG = key.stream("framemark/v5/tile/carrier")
        var signs: [Float] = []
        for _ in 0..<count {
            var block = (0..<n).map { $0 < n / 2 ? Float(1) : -1 }
            for i in stride(from: n - 1, to: 0, by: -1) { block.swapAt(i, signRNG.next(below: i + 1)) }
            signs += block
        }
        self.signs = signs
        var ditherRNG = key.stream("framemark/v5/tile/dither")
        dither = (0..<count).map { _ in Float(ditherRNG.nextUnit()) }
        var order = Array(0..<count)
        var orderRNG = key.stream("framemark/v5/tile/order")
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, orderRNG.next(below: i + 1)) }
        let coded = WatermarkDesign.messageCodedBits
        messageProjections = Array(order.prefix(coded))
        pilotProjections = Array(order.dropFirst(coded))
        var pilotRNG = key.stream("framemark/v5/tile/pilots")
        pilotBits = pilotProjections.map { _ in UInt8(pilotRNG.nextUInt64() & 1) }
        template = SyncTemplate(key: key)
    }

    /// The bit of every tile projection for a coded message.
    func bits(codedMessage: [UInt8]) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: Self.projectionCount)
        for (j, p) in messageProjections.enumerated() { bits[p] = codedMessage[j] }
        for (j, p) in pilotProjections.enumerated() { bits[p] = pilotBits[j] }
        return bits
    }

    /// Columns of cells over a picture of this size: as many 10-reference-pixel cells as fit its
    /// width, even (whole blocks).
    public static func gridColumns(width: Int, height: Int) -> Int {
        max(2, Int((Double(width) / Double(height) * Double(gridRows) / 2).rounded()) * 2)
    }

    /// The tile laid over a frame's grid from its top-left cell.
    func grid(width: Int, height: Int) -> TileGrid {
        TileGrid(layout: self, gridWidth: Self.gridColumns(width: width, height: height), gridHeight: Self.gridRows)
    }
}

/// A tile layout laid over a frame's grid of cells: every whole block of the grid is a projection
/// of its own (the informed mark places each copy of the tile against the picture under it), with
/// the carrier, dither and bit of the tile projection it repeats.
struct TileGrid: ProjectionSet {
    let gridWidth: Int
    let gridHeight: Int
    let cellsPerProjection = TileLayout.blockSide * TileLayout.blockSide
    let projectionCount: Int
    let cells: [Int32]
    let signs: [Float]
    let dither: [Float]
    /// The tile projection each block repeats.
    let tileProjection: [Int]

    init(layout: TileLayout, gridWidth: Int, gridHeight: Int) {
        let side = TileLayout.blockSide, perTile = TileLayout.blocksPerSide
        self.gridWidth = gridWidth
        self.gridHeight = gridHeight
        let bw = gridWidth / side, bh = gridHeight / side
        projectionCount = bw * bh
        var cells: [Int32] = [], signs: [Float] = [], dither: [Float] = [], tile: [Int] = []
        for by in 0..<bh {
            for bx in 0..<bw {
                let j = (by % perTile) * perTile + bx % perTile
                tile.append(j)
                dither.append(layout.dither[j])
                for dy in 0..<side {
                    for dx in 0..<side {
                        cells.append(Int32((by * side + dy) * gridWidth + bx * side + dx))
                        signs.append(layout.signs[j * side * side + dy * side + dx])
                    }
                }
            }
        }
        self.cells = cells
        self.signs = signs
        self.dither = dither
        tileProjection = tile
    }
}
