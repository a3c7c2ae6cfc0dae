/// A CMYK JPEG written by hand, as Photoshop stores one (an Adobe APP14 marker, transform 0, ink
/// stored inverted), because FFmpeg cannot write one: baseline, four components without
/// subsampling, every 8 × 8 block of every component flat (a DC coefficient and an end of block),
/// so the entropy coder is one short table. Quantiser 1, so a block's value is exact.
enum CMYKJPEG {
    /// The file for a `width` × `height` picture (multiples of 8) whose component `c` (C, M, Y, K)
    /// has value `value(c, blockX, blockY)` over the block at (blockX, blockY).
    static func bytes(width: Int, height: Int, value: (Int, Int, Int) -> UInt8) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        func segment(_ marker: UInt8, _ payload: [UInt8]) {
            out += [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        segment(0xEE, Array("Adobe".utf8) + [0, 100, 0, 0, 0, 0, 0])
        segment(0xDB, [0] + [UInt8](repeating: 1, count: 64))
        segment(0xC0, [8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 4]
            + (1...4).flatMap { [UInt8($0), 0x11, 0] })
        segment(0xC4, [0x00] + dcCounts + (0...11).map { UInt8($0) })
        segment(0xC4, [0x10, 1] + [UInt8](repeating: 0, count: 15) + [0x00])  // AC: end of block only, code "0"
        segment(0xDA, [4] + (1...4).flatMap { [UInt8($0), 0x00] } + [0, 63, 0])

        var bits = BitWriter()
        var predictor = [0, 0, 0, 0]
        for by in 0..<(height / 8) {
            for bx in 0..<(width / 8) {
                for c in 0..<4 {
                    let dc = 8 * (Int(value(c, bx, by)) - 128)
                    let difference = dc - predictor[c]
                    predictor[c] = dc
                    let category = Int.bitWidth - abs(difference).leadingZeroBitCount
                    let (code, length) = dcCodes[category]
                    bits.put(code, length)
                    if category > 0 { bits.put(difference > 0 ? difference : difference + (1 << category) - 1, category) }
                    bits.put(0, 1)
                }
            }
        }
        out += bits.finished()
        return out + [0xFF, 0xD9]
    }

    /// The standard luminance DC table (ITU T.81 K.3): code lengths, then the codes they make.
    private static let dcCounts: [UInt8] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    private static let dcCodes: [(Int, Int)] = {
        var codes: [(Int, Int)] = []
        var code = 0
        for (index, count) in dcCounts.enumerated() {
            for _ in 0..<count { codes.append((code, index + 1)); code += 1 }
            code <<= 1
        }
        return codes
    }()

    private struct BitWriter {
        var bytes: [UInt8] = []
        var current = 0
        var filled = 0

        mutating func put(_ value: Int, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) {
                current = current << 1 | (value >> shift) & 1
                filled += 1
                if filled == 8 { emit() }
            }
        }

        private mutating func emit() {
            bytes.append(UInt8(current))
            if current == 0xFF { bytes.append(0) }  // byte stuffing
            current = 0
            filled = 0
        }

        /// The bytes, the last one padded with ones.
        mutating func finished() -> [UInt8] {
            while filled != 0 { put(1, 1) }
            return bytes
        }
    }
}
