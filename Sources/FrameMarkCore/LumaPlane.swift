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

extension LumaPlane {
    /// k × k bilinear samples of the plane on a lattice: the first at `origin` (pixel centres at
    /// half-integers, as `CopyGeometry` puts them), then `across` apart along a row and `down`
    /// apart from row to row. Their sum, least and greatest value, or nil when any falls outside
    /// the plane. A cell's mean made this way moves smoothly as the lattice moves.
    @inline(__always)
    func latticeSamples(origin: (x: Double, y: Double), across: (x: Double, y: Double), down: (x: Double, y: Double),
                        count k: Int) -> (sum: Float, low: Float, high: Float)? {
        let limitX = Double(width - 1), limitY = Double(height - 1), last = Double(k - 1)
        // The lattice is a parallelogram, inside the plane when its four corners are.
        for (i, j) in [(0.0, 0.0), (last, 0), (0, last), (last, last)] {
            let px = origin.x + i * across.x + j * down.x - 0.5, py = origin.y + i * across.y + j * down.y - 0.5
            guard px >= 0, py >= 0, px < limitX, py < limitY else { return nil }
        }
        let base = pixels.baseAddress!, stride = self.stride
        let ax = Float(across.x), ay = Float(across.y)
        var sum: Float = 0, low = Float.infinity, high = -Float.infinity
        for j in 0..<k {
            var px = Float(origin.x + Double(j) * down.x - 0.5), py = Float(origin.y + Double(j) * down.y - 0.5)
            for _ in 0..<k {
                let ix = Int(px), iy = Int(py)
                let fx = px - Float(ix), fy = py - Float(iy)
                let top = base + iy * stride + ix, bottom = top + stride
                let t0 = Float(top[0]), b0 = Float(bottom[0])
                let a = t0 + (Float(top[1]) - t0) * fx
                let b = b0 + (Float(bottom[1]) - b0) * fx
                let v = a + (b - a) * fy
                sum += v
                low = min(low, v)
                high = max(high, v)
                px += ax
                py += ay
            }
        }
        return (sum, low, high)
    }
}

/// A plane reduced by a whole factor (box average of `factor × factor` pixels), owning its
/// pixels. The geometry layer reads its cells (10 reference pixels: 42 pixels in a 3000-line
/// picture) as well from a copy reduced to about 720 lines, at a fraction of the cost.
public final class ReducedPlane {
    public let factor: Int
    private let storage: UnsafeMutableBufferPointer<UInt8>
    /// The reduced picture; valid while this object lives.
    public let plane: LumaPlane

    /// The factor that brings `height` lines down to no fewer than `lines` (1: none).
    public static func factor(height: Int, lines: Int = 720) -> Int { max(1, height / lines) }

    public init(_ source: LumaPlane, factor: Int) {
        self.factor = factor
        let width = source.width / factor, height = source.height / factor
        storage = .allocate(capacity: width * height)
        let area = factor * factor, half = area / 2
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0
                for dy in 0..<factor {
                    let row = source.pixels.baseAddress! + (y * factor + dy) * source.stride + x * factor
                    for dx in 0..<factor { sum += Int(row[dx]) }
                }
                storage[y * width + x] = UInt8((sum + half) / area)
            }
        }
        plane = LumaPlane(pixels: storage, width: width, height: height, stride: width)
    }

    deinit { storage.deallocate() }
}
