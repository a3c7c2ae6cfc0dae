internal import CFFmpeg

/// The luma of a packed RGB(A) or grey picture as the detector will read it, and the way back: a
/// change of that luma added equally to the colour channels, at 8 or 16 bits a sample.
struct PackedSamples {
    let base: UnsafeMutablePointer<UInt8>
    let stride: Int
    let layout: StillImage.PackedLayout
    let width: Int
    let height: Int

    init(frame: UnsafeMutablePointer<AVFrame>, layout: StillImage.PackedLayout, width: Int, height: Int) {
        base = fm_frame_data(frame, 0)!
        stride = Int(fm_frame_linesize(frame, 0))
        self.layout = layout
        self.width = width
        self.height = height
    }

    /// Studio-range BT.601 luma, as FFmpeg's conversion to yuv420p makes it, one byte a pixel.
    func readLuma(into plane: inout [UInt8]) {
        for y in 0..<height {
            let row = base + y * stride
            for x in 0..<width { plane[y * width + x] = luma(row, x) }
        }
    }

    /// Adds to every pixel the difference between `plane` and the luma its colours have now:
    /// d levels of studio-range luma are 255/219 · d levels of each colour (× 257 at 16 bits);
    /// grey takes d levels as they are, as an 8-bit grey plane marked in place does.
    func addChange(from plane: [UInt8]) {
        for y in 0..<height {
            let row = base + y * stride
            for x in 0..<width {
                let d = Int(plane[y * width + x]) - Int(luma(row, x))
                guard d != 0 else { continue }
                if layout.wide {
                    let change = layout.channels == 1 ? d * 257 : Self.rounded(d * 255 * 257, over: 219)
                    let p = row + x * layout.channels * 2
                    for c in 0..<min(3, layout.channels) {
                        let q = p + 2 * c
                        let value = min(65535, max(0, (Int(q[0]) << 8 | Int(q[1])) + change))
                        q[0] = UInt8(value >> 8)
                        q[1] = UInt8(value & 0xFF)
                    }
                } else {
                    let change = Self.rounded(d * 255, over: 219)
                    let p = row + x * layout.channels
                    for c in 0..<3 { p[c] = UInt8(clamping: Int(p[c]) + change) }
                }
            }
        }
    }

    private static func rounded(_ value: Int, over divisor: Int) -> Int {
        value >= 0 ? (value + divisor / 2) / divisor : -((-value + divisor / 2) / divisor)
    }

    @inline(__always) private func luma(_ row: UnsafeMutablePointer<UInt8>, _ x: Int) -> UInt8 {
        if !layout.wide {
            // Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, in 1/65536ths.
            let p = row + x * layout.channels
            let r: Int = 16829 * Int(p[0]), g: Int = 33039 * Int(p[1]), b: Int = 6416 * Int(p[2])
            return UInt8((1_081_344 + r + g + b) >> 16)
        }
        let p = row + x * layout.channels * 2
        @inline(__always) func sample(_ c: Int) -> Int { Int(p[2 * c]) << 8 | Int(p[2 * c + 1]) }
        if layout.channels == 1 { return UInt8((sample(0) + 128) / 257) }
        // The same weights on 16-bit samples (one 8-bit level is 257 of them).
        let r: Int = 16829 * sample(0), g: Int = 33039 * sample(1), b: Int = 6416 * sample(2)
        let sum: Int = 1_081_344 * 257 + r + g + b
        return UInt8(sum / (257 << 16))
    }
}
