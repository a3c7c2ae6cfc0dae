/// Marks one picture on its own with both layers, as the first frame of a clip is marked: the
/// frame layer and the geometry layer's template and tiles, all on the grid at
/// `GridTracker.home`, the message in arrangement 0. A still has no neighbours to pool with, so
/// it carries everything a single frame can: the frame layer for compression, scaling, flips and
/// tone; the tiles and template for crops and turns.
public struct StillMarker: Sendable {
    public let frame: Embedder
    public let tiles: TileEmbedder

    public init(key: WatermarkKey, message: Message, strength: Float = 1) {
        frame = Embedder(layout: WatermarkLayout(key: key), message: message, strength: strength)
        tiles = TileEmbedder(layout: TileLayout(key: key), message: message, strength: strength)
    }

    public func mark(_ plane: LumaPlane) throws {
        let home: GlobalMotion? = nil
        let analysis = try frame.analyze(plane, geometry: home)
        tiles.addTemplate(to: plane, maskedBy: analysis, geometry: home)
        frame.apply(frame.decide(analysis, timeSeconds: 0, restart: true, arrangement: 0), to: plane, geometry: home)
        let tileAnalysis = tiles.analyze(plane, geometry: home)
        tiles.apply(tiles.decide(tileAnalysis, width: plane.width, height: plane.height, restart: true), to: plane, geometry: home)
    }
}
