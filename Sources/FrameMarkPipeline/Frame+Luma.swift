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
