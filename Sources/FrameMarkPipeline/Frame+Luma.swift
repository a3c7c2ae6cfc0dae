import FrameMarkCore
import FrameMarkMedia

extension Frame {
    /// Calls `body` with the frame's luma plane as the watermark core sees it.
    func withLuma<R>(_ body: (LumaPlane) throws -> R) rethrows -> R {
        try withPlane(0) { rows, stride in
            try body(LumaPlane(pixels: rows, width: width, height: height, stride: stride))
        }
    }
}

extension StillImage {
    /// Calls `body` with the picture's luma as a `LumaPlane`; what it paints is kept (see `withLumaPlane`).
    public func withLuma<R>(_ body: (LumaPlane) throws -> R) rethrows -> R {
        try withLumaPlane { buffer, stride in try body(LumaPlane(pixels: buffer, width: width, height: height, stride: stride)) }
    }
}
