/// The video stream a `MediaReader` decodes, as the rest of FrameMark sees it.
public struct VideoInfo: Sendable {
    public var width: Int
    public var height: Int
    /// Time base of the stream's timestamps (and of `Frame.pts`).
    public var timeBase: Rational
    /// Average frame rate, when the container knows it.
    public var frameRate: Rational?
    /// The count the container declares, else duration × frame rate; nil when neither is known.
    public var expectedFrames: Int?
    public var durationSeconds: Double?
    public var sourcePixelFormat: String
    public var rotationDegrees: Double?
    /// Timestamp of the stream's first frame (its `start_time`), 0 when unknown.
    public var startPTS: Int64 = 0

    /// Seconds since the stream's start of a timestamp in this stream.
    public func secondsFromStart(_ pts: Int64) -> Double { seconds(pts - startPTS) }

    /// Seconds of a timestamp in this stream.
    public func seconds(_ pts: Int64) -> Double {
        Double(pts) * Double(timeBase.num) / Double(timeBase.den)
    }
}

/// Limits on what FrameMark accepts, so that a corrupt header cannot make it allocate gigabytes.
public enum MediaLimits {
    public static let maxDimension = 8192
}
