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

    /// Seconds of a timestamp in this stream.
    public func seconds(_ pts: Int64) -> Double {
        Double(pts) * Double(timeBase.num) / Double(timeBase.den)
    }
}

/// Limits on what FrameMark accepts, so that a corrupt header cannot make it allocate gigabytes.
public enum MediaLimits {
    public static let maxDimension = 8192
}
