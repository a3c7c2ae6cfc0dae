/// A borrowed 8-bit luma plane: `height` rows of `width` samples, `stride` bytes apart.
public struct LumaPlane {
    public var pixels: UnsafeMutableBufferPointer<UInt8>
    public var width: Int
    public var height: Int
    public var stride: Int

    public init(pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, stride: Int) {
        precondition(width > 0 && height > 0 && stride >= width, "bad plane geometry")
        precondition(pixels.count >= stride * (height - 1) + width, "plane buffer too small")
        self.pixels = pixels
        self.width = width
        self.height = height
        self.stride = stride
    }
}
