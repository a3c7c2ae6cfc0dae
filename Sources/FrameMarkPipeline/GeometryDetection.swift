import FrameMarkCore
import FrameMarkMedia
import Foundation

/// Reads the geometry layer of a copy whose frame was cropped, reframed, padded or turned: finds
/// the geometry on the first frames (`GeometrySearch`), then reads every frame's tile there.
/// One geometry per clip: a reframing window that pans, or a copy made of several shots of
/// different geometry, is not followed yet.
public struct GeometryDetection {
    /// Frames the geometry is searched on.
    public static let searchFrames = 6

    public struct FrameReading: Sendable {
        public var index: Int
        public var timeSeconds: Double
        /// The frame's own pilots at the clip's geometry and gain, corrected for the gains tried.
        public var log10PValue: Double
        public var detected: Bool
    }

    public struct Verdict: Sendable {
        public var detected: Bool
        /// The clip's p-value: the message's CRC passing by chance (2⁻³² for the one reading
        /// made), when it reads; else 0 (nothing claimed).
        public var log10PValue: Double
        public var message: Message?
        public var geometry: CopyGeometry
        public var pilotScore: Double
        public var templateScore: Double
        /// Where the marked frame lies in the copy, when its frame layer places it.
        public var placement: FramePlacement?
        public var frames: [FrameReading]
        public var width: Int
        public var height: Int
        /// The scale of the grid on the marked frame (`FramePlacement.gridScale`).
        public var gridScale: Double

        /// How large the marked frame appears in the copy along the copy's axes, relative to a
        /// copy that shows the whole frame at the copy's height: 1 for the frame turned in place,
        /// 2 for a centre crop to half, 0.32 for a 16:9 frame letterboxed into 9:16. (The marked
        /// frame's size in pixels is not recorded in the mark, so this is the only scale a copy tells.)
        public var scale: (x: Double, y: Double) {
            let unit = Double(height) / 720 * (placement?.gridScale ?? gridScale)
            return (geometry.linear.scaleX / unit, geometry.linear.scaleY / unit)
        }

        /// The part of the marked frame the copy shows, as fractions of it.
        public var crop: FramePlacement.Region? { placement?.crop(geometry: geometry, width: width, height: height) }
        /// Where the marked frame sits in the copy, as fractions of the copy.
        public var padding: FramePlacement.Region? { placement?.padding(geometry: geometry, width: width, height: height) }
    }

    public var strength: Float = 1

    public init() {}

    /// The geometry layer's verdict on `input`, or nil when its geometry cannot be found.
    public func run(input: String, key: WatermarkKey) throws -> Verdict? {
        let layout = TileLayout(key: key)
        var first: [Frame] = []
        let firstReader = try MediaReader(path: input)
        var exhausted = false
        while first.count < Self.searchFrames {
            guard let item = try firstReader.next() else { exhausted = true; break }
            if case .frame(let frame) = item { first.append(frame) }
        }
        guard let sample = first.first else { return nil }
        // A large picture is read reduced to about 720 lines: its cells are as well measured
        // there, and the search costs a fraction (the geometry is then in the reduced copy's
        // pixels, and so are the width and height it is reported with).
        let factor = ReducedPlane.factor(height: sample.height)
        let reducedFirst = factor > 1 ? first.map { f in f.withLuma { ReducedPlane($0, factor: factor) } } : []
        func withFirstPlanes<R>(_ body: ([LumaPlane]) -> R) -> R {
            factor > 1 ? withExtendedLifetime(reducedFirst) { body(reducedFirst.map(\.plane)) } : Self.withPlanes(first, body)
        }
        let found = withFirstPlanes { GeometrySearch(layout: layout, strength: strength).locate($0) }
        guard let found else { return nil }
        // Every frame read at the geometry: the clip's phasors, and each frame's own. A clip the
        // search saw whole (a still) is not decoded again.
        let reader = exhausted ? firstReader : try MediaReader(path: input)
        var held = exhausted ? first[...] : []
        func nextFrame() throws -> Frame? {
            if exhausted { return held.popFirst() }
            while let item = try reader.next() { if case .frame(let frame) = item { return frame } }
            return nil
        }
        // A still image is marked on its own edges, a video's grid a little inside them.
        let gridScale = StillImage.containers.contains(reader.containerName) ? 1 : GridTracker.home.scale
        var clip = TileReader(layout: layout, strength: strength)
        var perFrame: [(index: Int, time: Double, readings: [(tile: Int, value: Float)])] = []
        var index = 0
        while let frame = try nextFrame() {
            let readings = frame.withLuma { plane in
                guard factor > 1 else { return clip.projections(TileReader.cells(plane, geometry: found.geometry)) }
                let reduced = ReducedPlane(plane, factor: factor)
                return withExtendedLifetime(reduced) { clip.projections(TileReader.cells(reduced.plane, geometry: found.geometry)) }
            }
            clip.add(readings)
            perFrame.append((index, reader.video.secondsFromStart(frame.pts ?? 0), readings))
            index += 1
        }
        let gain = clip.bestGain
        let message = clip.message(gain: gain)
        // Where the copy lies in the marked frame, from the frame layer and the message just read.
        let placement = message.flatMap { message in
            withFirstPlanes { planes in
                FramePlacement.locate(Array(planes.prefix(3)), geometry: found.geometry, layout: WatermarkLayout(key: key), message: message)
                    .map { var p = $0; p.gridScale = gridScale; return p }
            }
        }
        let frames = perFrame.map { f -> FrameReading in
            var one = TileReader(layout: layout, strength: strength)
            one.add(f.readings)
            // A frame is judged at the gains near the clip's (its own best among 11), corrected for them.
            let near = max(0, gain - 5)...min(TileReader.gains.count - 1, gain + 5)
            let p = near.map { one.pilotLog10P(gain: $0) }.min() ?? 0
            let log10P = min(0, p + log10(Double(near.count)))
            // Frames are claimed only in a clip whose message read: the geometry was chosen by
            // the pilots, so their own test is not calibrated alone.
            return FrameReading(index: f.index, timeSeconds: f.time, log10PValue: log10P,
                                detected: message != nil && log10P <= -3)
        }
        return Verdict(detected: message != nil, log10PValue: message != nil ? -32 * log10(2.0) : 0, message: message,
                       geometry: found.geometry, pilotScore: found.pilotScore, templateScore: found.templateScore, placement: placement,
                       frames: frames, width: sample.width / factor, height: sample.height / factor, gridScale: gridScale)
    }

    private static func withPlanes<R>(_ frames: [Frame], _ body: ([LumaPlane]) -> R) -> R {
        func recurse(_ i: Int, _ acc: [LumaPlane]) -> R {
            guard i < frames.count else { return body(acc) }
            return frames[i].withLuma { recurse(i + 1, acc + [$0]) }
        }
        return recurse(0, [])
    }
}
