import FrameMarkCore

/// What a stretch of the examined clip is, as far as the watermark can tell.
public enum SegmentKind: String, Sendable, CaseIterable {
    /// Marked frames in their original order.
    case intact
    /// Frames with picture enough to carry the mark but no mark: inserted or replaced footage.
    case foreign
    /// Frames that cannot carry a mark (black, flat, faded): no evidence either way.
    case unverifiable
    /// Zero length: original content missing here.
    case cut
    /// Marked frames shown out of their original order.
    case reordered
    /// Marked frames showing original content that was already shown earlier in the clip.
    case duplicated
    /// Marked frames whose mark is gone from part of the picture (see `regions`).
    case tampered
}

/// A box in the examined frame, as fractions of its width and height.
public struct Region: Sendable, Equatable, CustomStringConvertible {
    public var x: Double, y: Double, w: Double, h: Double

    public init(x: Double, y: Double, w: Double, h: Double) {
        self.x = x; self.y = y; self.w = w; self.h = h
    }

    public var area: Double { w * h }

    /// Intersection over union with another box.
    public func iou(_ other: Region) -> Double {
        let ix = max(0, min(x + w, other.x + other.w) - max(x, other.x))
        let iy = max(0, min(y + h, other.y + other.h) - max(y, other.y))
        let inter = ix * iy
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    public var description: String {
        "x \(Int((x * 100).rounded()))% y \(Int((y * 100).rounded()))% w \(Int((w * 100).rounded()))% h \(Int((h * 100).rounded()))%"
    }
}

/// One stretch of the examined clip. Frames and seconds are half-open: `endFrame` is the first
/// frame after the segment (a cut has `startFrame == endFrame`).
public struct Segment: Sendable {
    public var kind: SegmentKind
    public var startFrame: Int
    public var endFrame: Int
    public var startSeconds: Double
    public var endSeconds: Double
    /// How sure the detector is of `kind`, in [0, 1].
    public var confidence: Double
    /// For marked kinds: where the segment starts and ends in the original. For a cut: what is missing.
    public var originalStartSeconds: Double?
    public var originalEndSeconds: Double?
    /// For `tampered`: where the mark is gone.
    public var regions: [Region] = []
    /// For an `intact` stretch played faster by dropping frames: seconds of the original shown
    /// per second of the clip (nil at the original speed).
    public var speed: Double?

    public var frameCount: Int { endFrame - startFrame }

    package init(kind: SegmentKind, startFrame: Int, endFrame: Int, startSeconds: Double, endSeconds: Double, confidence: Double,
                 originalStartSeconds: Double? = nil, originalEndSeconds: Double? = nil, regions: [Region] = []) {
        self.kind = kind
        self.startFrame = startFrame
        self.endFrame = endFrame
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.confidence = confidence
        self.originalStartSeconds = originalStartSeconds
        self.originalEndSeconds = originalEndSeconds
        self.regions = regions
    }
}

/// The forensic reading of one frame.
public struct FrameForensics: Sendable {
    /// The time in the original this frame was marked at, when the frame carries the mark.
    public var sourceTimeSeconds: Double?
    /// Where the mark is gone, for frames of a tampered segment.
    public var regions: [Region] = []

    package init(sourceTimeSeconds: Double? = nil, regions: [Region] = []) {
        self.sourceTimeSeconds = sourceTimeSeconds
        self.regions = regions
    }
}

/// Everything edit forensics found in a clip.
public struct ForensicReport: Sendable {
    public var segments: [Segment]
    public var frames: [FrameForensics]
    /// The tamper map's blocks, per frame of a tampered segment: evidence that the mark is gone,
    /// `blockColumns × blockRows` values in nats (> 0: gone), row by row over the examined frame.
    public var heatMaps: [Int: [Float]]
    public var blockColumns: Int
    public var blockRows: Int

    package init(segments: [Segment], frames: [FrameForensics], heatMaps: [Int: [Float]] = [:], blockColumns: Int = 0, blockRows: Int = 0) {
        self.segments = segments
        self.frames = frames
        self.heatMaps = heatMaps
        self.blockColumns = blockColumns
        self.blockRows = blockRows
    }
}
