import Foundation

/// Where the marked frame lies in a copy whose geometry the tiles gave: the tiles repeat, so their
/// geometry places the copy only up to whole tiles, and says nothing of the frame's width. The
/// frame layer covers the whole frame once (its 64 × 36 grid stretched over the frame's width), so
/// its pilots and message bits (the message the tiles read), read under the tiles' geometry moved by whole tiles and stretched over each usual
/// frame shape, say which placement is the true one. From it come the part of the original the
/// copy shows (`crop`) and where the picture sits in the copy (`padding`).
///
/// Both layers lie on one grid (`GlobalMotion` content coordinates, the frame at
/// `GridTracker.home` in a video, on the picture's edges in a still image): the placement is
/// exact for frames whose grid is there (a still shot, the first frame after each restart, which
/// every marked clip starts with; a still image).
public struct FramePlacement: Sendable {
    /// Tile cells across the marked frame (`TileLayout.gridColumns`).
    public var columns: Int
    /// Whole tiles added to the tiles' geometry's reference coordinates to reach the frame's.
    public var tilesX: Int, tilesY: Int
    /// The frame layer's known bits' z-score there (over the frames, at the best gain).
    public var score: Double
    /// How large the grid lies on the frame: `GridTracker.home.scale` for a video's grid, which
    /// leaves a margin unmarked; 1 for a still's, laid on the picture's own edges.
    public var gridScale: Double = GridTracker.home.scale

    /// A rectangle as fractions of a frame.
    public struct Region: Sendable, Equatable {
        public var x: Double, y: Double, w: Double, h: Double

        public init(x: Double, y: Double, w: Double, h: Double) {
            self.x = x; self.y = y; self.w = w; self.h = h
        }
    }

    /// Frame shapes tried (width ÷ height): the usual film, video, photo and social-media ones.
    static let aspects: [Double] = [16.0 / 9, 4.0 / 3, 1, 9.0 / 16, 3.0 / 2, 2.0 / 3, 3.0 / 4, 4.0 / 5, 5.0 / 4, 21.0 / 9, 1.85, 2.39, 2]
    /// The z-score a placement needs. About 13 shapes × a few tile offsets × 111 gains × 4
    /// arrangements are tried (the gains strongly correlated): at 5.5 the chance that noise
    /// alone places a frame is well under 1% (one-sided normal tail 1.9e-8 per hypothesis).
    public static let leastScore = 5.5

    /// The best placement of the frame layer in `planes` (a few frames of one shot) under the
    /// tiles' `geometry`, for a clip whose tiles read `message`, or nil when none reads.
    package static func locate(_ planes: [LumaPlane], geometry: CopyGeometry, layout: WatermarkLayout, message: Message) -> FramePlacement? {
        guard let first = planes.first else { return nil }
        let known = KnownBits(layout: layout, message: message)
        // The reference points of the copy's corners bound the whole-tile shifts worth trying.
        let corners = [(0.0, 0.0), (Double(first.width), 0), (0, Double(first.height)), (Double(first.width), Double(first.height))]
            .map { geometry.referencePoint($0.0, $0.1) }
        let minX = corners.map(\.x).min()!, maxX = corners.map(\.x).max()!, minY = corners.map(\.y).min()!, maxY = corners.map(\.y).max()!
        let tile = SyncTemplate.tilePeriod, height = Double(TileLayout.gridRows) * TileLayout.cellReferencePixels
        var tried: [FramePlacement] = []
        for columns in Set(aspects.map { TileLayout.gridColumns(width: Int(($0 * 720).rounded()), height: 720) }).sorted() {
            let width = Double(columns) * TileLayout.cellReferencePixels
            for ty in Int((-maxY / tile).rounded(.up))...Int(((height - minY) / tile).rounded(.down)) {
                for tx in Int((-maxX / tile).rounded(.up))...Int(((width - minX) / tile).rounded(.down)) {
                    tried.append(FramePlacement(columns: columns, tilesX: tx, tilesY: ty, score: 0))
                }
            }
        }
        let scores = parallelMap(tried.count) { i in known.score(planes.map { tried[i].frameGrid($0, geometry: geometry) }) }
        var best: FramePlacement?
        for (placement, z) in zip(tried, scores) {
            guard let z, z > best?.score ?? -.infinity else { continue }
            best = FramePlacement(columns: placement.columns, tilesX: placement.tilesX, tilesY: placement.tilesY, score: z)
        }
        guard let best, best.score >= leastScore else { return nil }
        return best
    }

    /// The frame layer's bits that a clip whose message is known carries in every frame: the
    /// coded message (in each of its arrangements) and the pilots; the time code is left out.
    struct KnownBits {
        let detector: FrameDetector
        let projections: [Int]
        /// `bits[arrangement][k]`: the bit of `projections[k]`.
        let bits: [[Float]]

        init(layout: WatermarkLayout, message: Message) {
            detector = FrameDetector(layout: layout)
            let known = Array(layout.messageRange) + Array(layout.pilotRange)
            let embedder = Embedder(layout: layout, message: message)
            projections = known
            bits = (0..<WatermarkDesign.arrangements).map { a in
                let all = embedder.bits(timeSeconds: 0, arrangement: a)
                return known.map { Float(all[$0]) }
            }
        }

        /// Σ cos(bit phase − π·bit) over the known projections of every frame that are not
        /// erased, over √(n/2) (about N(0, 1) without the mark), at the best gain and
        /// arrangement; nil when fewer than 48 projections per frame lie in the copy.
        func score(_ grids: [[Float]]) -> Double? {
            let gains = Hypothesis.gains
            var sums = [Double](repeating: 0, count: gains.count * bits.count), n = 0
            for grid in grids {
                let turned = [Float](repeating: GridSampler.outside, count: grid.count)
                let erased = detector.erasures(upright: grid, turned: turned, orientation: 0)
                let p = detector.projections(upright: grid, turned: turned, orientation: 0, tone: 1)
                let kept = projections.indices.filter { !erased[projections[$0]] }
                n += kept.count
                for (g, gain) in gains.enumerated() {
                    for (a, bits) in bits.enumerated() {
                        var sum: Float = 0
                        for k in kept {
                            sum += cos(detector.bitPhase(p[projections[k]], projections[k], gain: gain, sign: 1) - Float.pi * bits[k])
                        }
                        sums[g * self.bits.count + a] += Double(sum)
                    }
                }
            }
            guard n >= 48 * grids.count else { return nil }
            return (sums.max() ?? 0) / (Double(n) / 2).squareRoot()
        }
    }

    /// The frame layer's 64 × 36 cell means in a copy under the tiles' `geometry` at this
    /// placement: each the mean of 4 × 4 bilinear samples spread over the cell;
    /// `GridSampler.outside` where any sample falls outside the copy.
    func frameGrid(_ plane: LumaPlane, geometry: CopyGeometry) -> [Float] {
        let gw = WatermarkDesign.gridWidth, gh = WatermarkDesign.gridHeight, k = 4
        let cellWidth = Double(columns) * TileLayout.cellReferencePixels / Double(gw)
        let cellHeight = Double(TileLayout.gridRows) * TileLayout.cellReferencePixels / Double(gh)
        let tile = SyncTemplate.tilePeriod
        let l = geometry.linear
        let ux = l.apply(cellWidth / Double(k), 0), uy = l.apply(0, cellHeight / Double(k))
        var grid = [Float](repeating: GridSampler.outside, count: gw * gh)
        for v in 0..<gh {
            for u in 0..<gw {
                let r = ((Double(u) + 0.5 / Double(k)) * cellWidth - Double(tilesX) * tile, (Double(v) + 0.5 / Double(k)) * cellHeight - Double(tilesY) * tile)
                let p0 = geometry.copyPoint(r.0, r.1)
                if let samples = plane.latticeSamples(origin: p0, across: ux, down: uy, count: k) { grid[v * gw + u] = samples.sum / Float(k * k) }
            }
        }
        return grid
    }

    /// The frame's point (fractions of the marked frame) of a point in the tiles' reference
    /// coordinates, and back: the grid lies over the frame at `GridTracker.home`.
    func framePoint(_ r: (x: Double, y: Double)) -> (x: Double, y: Double) {
        let w = Double(columns) * TileLayout.cellReferencePixels, h = Double(TileLayout.gridRows) * TileLayout.cellReferencePixels
        let tile = SyncTemplate.tilePeriod, s = gridScale
        let gx = r.x + Double(tilesX) * tile, gy = r.y + Double(tilesY) * tile
        return ((w / 2 + s * (gx - w / 2)) / w, (h / 2 + s * (gy - h / 2)) / h)
    }

    func referencePoint(_ f: (x: Double, y: Double)) -> (x: Double, y: Double) {
        let w = Double(columns) * TileLayout.cellReferencePixels, h = Double(TileLayout.gridRows) * TileLayout.cellReferencePixels
        let tile = SyncTemplate.tilePeriod, s = gridScale
        return (w / 2 + (f.x * w - w / 2) / s - Double(tilesX) * tile, h / 2 + (f.y * h - h / 2) / s - Double(tilesY) * tile)
    }

    /// The part of the marked frame a `width` × `height` copy under `geometry` shows.
    public func crop(geometry: CopyGeometry, width: Int, height: Int) -> Region {
        let corners = [(0.0, 0.0), (Double(width), 0), (0, Double(height)), (Double(width), Double(height))]
        return Self.bounds(corners.map { framePoint(geometry.referencePoint($0.0, $0.1)) }, width: 1, height: 1)
    }

    /// Where the marked frame sits in a `width` × `height` copy under `geometry`.
    public func padding(geometry: CopyGeometry, width: Int, height: Int) -> Region {
        let corners = [(0.0, 0.0), (1.0, 0), (0, 1.0), (1.0, 1.0)]
        return Self.bounds(corners.map { f in let r = referencePoint(f); return geometry.copyPoint(r.x, r.y) },
                           width: Double(width), height: Double(height))
    }

    /// The bounding box of `points` within a `width` × `height` rectangle, as fractions of it.
    static func bounds(_ points: [(x: Double, y: Double)], width: Double, height: Double) -> Region {
        let x0 = min(max(points.map(\.x).min()! / width, 0), 1), x1 = min(max(points.map(\.x).max()! / width, 0), 1)
        let y0 = min(max(points.map(\.y).min()! / height, 0), 1), y1 = min(max(points.map(\.y).max()! / height, 0), 1)
        return Region(x: x0, y: y0, w: x1 - x0, h: y1 - y0)
    }
}
