import Foundation

/// A square two-dimensional discrete Fourier transform of a power-of-two size, in place on split
/// real and imaginary planes (radix-2, decimation in time). Built once per size: the twiddle
/// factors and the bit-reversal permutation are tabulated. Used by the synchronisation template's
/// detector, which needs a few 512 × 512 transforms per frame and no more.
struct FourierTransform2D: Sendable {
    let size: Int
    private let cosines: [Float]
    private let sines: [Float]
    private let reversed: [Int]

    init(size: Int) {
        precondition(size >= 2 && size & (size - 1) == 0, "the size must be a power of two")
        self.size = size
        cosines = (0..<size / 2).map { Float(cos(-2 * Double.pi * Double($0) / Double(size))) }
        sines = (0..<size / 2).map { Float(sin(-2 * Double.pi * Double($0) / Double(size))) }
        let bits = size.trailingZeroBitCount
        reversed = (0..<size).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
    }

    /// Forward transform of `size × size` row-major planes (e^{-2πi k·x/N}, no scaling).
    func forward(real: inout [Float], imaginary: inout [Float]) {
        precondition(real.count == size * size && imaginary.count == size * size, "planes of the wrong size")
        let n = size
        var rowReal = [Float](repeating: 0, count: n), rowImaginary = [Float](repeating: 0, count: n)
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                for y in 0..<n {
                    transform(re.baseAddress! + y * n, im.baseAddress! + y * n, step: 1)
                }
                // Columns are gathered into a contiguous row, transformed, and scattered back.
                for x in 0..<n {
                    for y in 0..<n { rowReal[y] = re[y * n + x]; rowImaginary[y] = im[y * n + x] }
                    rowReal.withUnsafeMutableBufferPointer { r in
                        rowImaginary.withUnsafeMutableBufferPointer { i in transform(r.baseAddress!, i.baseAddress!, step: 1) }
                    }
                    for y in 0..<n { re[y * n + x] = rowReal[y]; im[y * n + x] = rowImaginary[y] }
                }
            }
        }
    }

    /// One in-place length-`size` transform of `re`/`im` (elements `step` apart).
    private func transform(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>, step: Int) {
        let n = size
        for i in 0..<n {
            let j = reversed[i]
            if j > i {
                swap(&re[i * step], &re[j * step])
                swap(&im[i * step], &im[j * step])
            }
        }
        var half = 1
        while half < n {
            let stride = n / (2 * half)
            var start = 0
            while start < n {
                for k in 0..<half {
                    let wr = cosines[k * stride], wi = sines[k * stride]
                    let a = (start + k) * step, b = (start + k + half) * step
                    let tr = wr * re[b] - wi * im[b]
                    let ti = wr * im[b] + wi * re[b]
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                }
                start += 2 * half
            }
            half *= 2
        }
    }
}
