import Foundation

/// A copy's frames as the template's detector sees them: reduced, whitened, and their power
/// spectrum averaged over windows and frames, each bin a z-score against its neighbourhood.
struct TemplateSpectrum {
    /// Side of the transform: the spectrum's bins are `1/size` cycles per analysis pixel apart.
    static let size = 512
    /// Z-scores of the amplitude spectrum, `size × size`, row-major (`[y * size + x]`), with
    /// negative frequencies at the far end as a DFT leaves them.
    let values: [Float]
    /// One analysis pixel is `reduction × reduction` pixels of the copy.
    let reduction: Int

    /// A picture of the copy reduced by `reduction` (box average), then whitened: each pixel less
    /// the mean of its 3 × 3 neighbourhood, divided by the mean magnitude of that residue around
    /// it (plus one level). The residue flattens the picture's steep spectrum; the division keeps
    /// strong edges from speaking for the whole frame.
    struct Whitened {
        let width: Int, height: Int, reduction: Int
        let values: [Float]

        init(_ plane: LumaPlane, reduction: Int) {
            let w = plane.width / reduction, h = plane.height / reduction
            var reduced = [Float](repeating: 0, count: w * h)
            let norm = 1 / Float(reduction * reduction)
            for y in 0..<h {
                for dy in 0..<reduction {
                    let row = plane.pixels.baseAddress! + (y * reduction + dy) * plane.stride
                    for x in 0..<w {
                        var s: Float = 0
                        for dx in 0..<reduction { s += Float(row[x * reduction + dx]) }
                        reduced[y * w + x] += s * norm
                    }
                }
            }
            let local = BoxFilter.mean(reduced, width: w, height: h, radius: 1, wrap: false)
            var residue = [Float](repeating: 0, count: w * h)
            for i in 0..<(w * h) { residue[i] = reduced[i] - local[i] }
            let magnitude = BoxFilter.mean(residue.map { abs($0) }, width: w, height: h, radius: 4, wrap: false)
            for i in 0..<(w * h) { residue[i] /= magnitude[i] + 1 }
            width = w
            height = h
            self.reduction = reduction
            values = residue
        }
    }

    init(_ frames: [Whitened], transform: FourierTransform2D) {
        precondition(!frames.isEmpty, "no frames")
        let n = Self.size
        reduction = frames[0].reduction
        var power = [Float](repeating: 0, count: n * n)
        var windows = 0
        var re = [Float](repeating: 0, count: n * n), im = [Float](repeating: 0, count: n * n)
        for frame in frames {
            // Windows at about half overlap, the last one ending at the edge, so all of it is read.
            for y0 in Self.starts(frame.height, n) {
                for x0 in Self.starts(frame.width, n) {
                    let ph = min(n, frame.height - y0), pw = min(n, frame.width - x0)
                    let hannY = Self.hann(ph), hannX = Self.hann(pw)
                    for i in 0..<(n * n) { re[i] = 0; im[i] = 0 }
                    for y in 0..<ph {
                        for x in 0..<pw { re[y * n + x] = frame.values[(y0 + y) * frame.width + x0 + x] * hannY[y] * hannX[x] }
                    }
                    transform.forward(real: &re, imaginary: &im)
                    for i in 0..<(n * n) { power[i] += re[i] * re[i] + im[i] * im[i] }
                    windows += 1
                }
            }
        }
        let amplitude = power.map { ($0 / Float(windows)).squareRoot() }
        // Each bin against its 17 × 17 neighbourhood: the whitened spectrum still slopes, most
        // near DC, and a peak is what stands above its own surroundings.
        let mean = BoxFilter.mean(amplitude, width: n, height: n, radius: 8, wrap: true)
        let meanSquare = BoxFilter.mean(amplitude.map { $0 * $0 }, width: n, height: n, radius: 8, wrap: true)
        var z = [Float](repeating: 0, count: n * n)
        for i in 0..<(n * n) {
            z[i] = (amplitude[i] - mean[i]) / max(meanSquare[i] - mean[i] * mean[i], 1e-12).squareRoot()
        }
        values = z
    }

    static func starts(_ length: Int, _ window: Int) -> [Int] {
        let span = max(length - window, 0)
        let count = Int((Double(span) / Double(window / 2)).rounded(.up)) + 1
        return (0..<count).map { count == 1 ? 0 : Int((Double(span) * Double($0) / Double(count - 1)).rounded()) }
    }

    static func hann(_ n: Int) -> [Float] {
        (0..<n).map { n > 1 ? Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1))) : 1 }
    }

    /// The spectrum's value at a bin (wrapping), nearest bin.
    func at(_ x: Int, _ y: Int) -> Float {
        let n = Self.size
        return values[((y % n + n) % n) * n + (x % n + n) % n]
    }
}

/// Separable box means over planes of floats, by running sums: `wrap` treats the plane as
/// periodic (a spectrum), otherwise the window is cut at the edges.
enum BoxFilter {
    static func mean(_ src: [Float], width w: Int, height h: Int, radius r: Int, wrap: Bool) -> [Float] {
        var rows = [Float](repeating: 0, count: w * h)
        for y in 0..<h { run(src, start: y * w, step: 1, count: w, radius: r, wrap: wrap, into: &rows) }
        var out = [Float](repeating: 0, count: w * h)
        for x in 0..<w { run(rows, start: x, step: w, count: h, radius: r, wrap: wrap, into: &out) }
        return out
    }

    private static func run(_ src: [Float], start: Int, step: Int, count n: Int, radius r: Int, wrap: Bool, into out: inout [Float]) {
        func value(_ i: Int) -> Float {
            if wrap { return src[start + ((i % n + n) % n) * step] }
            return src[start + i * step]
        }
        var sum: Float = 0, len = 0
        if wrap {
            for i in -r...r { sum += value(i) }
            for i in 0..<n {
                out[start + i * step] = sum / Float(2 * r + 1)
                sum += value(i + r + 1) - value(i - r)
            }
        } else {
            for i in 0..<min(r, n) { sum += value(i); len += 1 }
            for i in 0..<n {
                if i + r < n { sum += value(i + r); len += 1 }
                if i - r - 1 >= 0 { sum -= value(i - r - 1); len -= 1 }
                out[start + i * step] = sum / Float(len)
            }
        }
    }
}
