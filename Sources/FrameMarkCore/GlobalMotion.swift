/// The motion of the picture between two frames: a zoom about the frame centre plus a shift, no
/// rotation (what a pan and a zoom do). With c = ((w − 1)/2, (h − 1)/2), the current frame at
/// `c + scale·(p − c) + (dx, dy)` shows what the previous frame showed at `p`. Shifts are in pixels
/// of the full-resolution frame.
public struct GlobalMotion: Sendable, Equatable {
    public var scale: Double
    public var dx: Double
    public var dy: Double

    public static let identity = GlobalMotion(scale: 1, dx: 0, dy: 0)

    /// Pixel `p`'s centre along an axis of `size` pixels, in the coordinates of a grid laid by
    /// `geometry` (zoom about the centre `(size − 1)/2`, then `shift`): the frame point undone, as
    /// `GridSampler` lays the cells. Without a geometry, the pixel's own centre.
    static func content(_ p: Int, size: Int, shift: Double, under geometry: GlobalMotion?) -> Double {
        guard let g = geometry else { return Double(p) + 0.5 }
        let centre = Double(size - 1) / 2
        return centre + (Double(p) + 0.5 - centre - shift) / g.scale
    }

    public init(scale: Double, dx: Double, dy: Double) {
        self.scale = scale
        self.dx = dx
        self.dy = dy
    }

    /// This motion followed by `next`: a geometry tracked from the first frame, moved on by one
    /// more frame's motion (`next` acts on this one's output, about the same centre).
    public func then(_ next: GlobalMotion) -> GlobalMotion {
        GlobalMotion(scale: scale * next.scale, dx: next.scale * dx + next.dx, dy: next.scale * dy + next.dy)
    }

    /// Where `point` of the previous frame is in the current one, for a `width` × `height` frame.
    public func map(x: Double, y: Double, width: Int, height: Int) -> (x: Double, y: Double) {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        return (cx + scale * (x - cx) + dx, cy + scale * (y - cy) + dy)
    }
}

/// A small float copy of a luma plane for motion estimation: box means over f × f blocks, with f
/// the smallest integer that makes it at most 320 pixels wide, and a coarser level of 2 × 2 means
/// of those. Blocks that do not fit at the right and bottom edges are left out.
public struct MotionPlane: Sendable {
    /// One level: box means over `factor` × `factor` pixels of the frame.
    struct Level: Sendable {
        var width: Int, height: Int, factor: Int
        var pixels: [Float]
    }

    public let width: Int
    public let height: Int
    /// Pixels of the frame per pixel of the fine level, along each axis.
    public var factor: Int { fine.factor }
    let fine: Level, coarse: Level

    public init(_ plane: LumaPlane) {
        width = plane.width
        height = plane.height
        let f = max(1, (plane.width + 319) / 320)
        let w = plane.width / f, h = plane.height / f
        var means = [Float](repeating: 0, count: w * h)
        // Column sums of the f rows of one block row, 16 pixels at a time in 16-bit lanes (f is
        // at most a few dozen rows of 255), then f columns at a time.
        let span = w * f, norm = 1 / Float(f * f), lanes = 16
        let sums = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: max(span, 1))
        defer { sums.deallocate() }
        means.withUnsafeMutableBufferPointer { out in
            let base = UnsafeRawPointer(plane.pixels.baseAddress!)
            let total = UnsafeMutableRawPointer(sums.baseAddress!)
            let blocks = span / lanes
            for by in 0..<h {
                sums.update(repeating: 0)
                for k in 0..<f {
                    let row = (by * f + k) * plane.stride
                    for b in 0..<blocks {
                        let v = SIMD16<UInt16>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: row + b * lanes, as: SIMD16<UInt8>.self))
                        let a = total.loadUnaligned(fromByteOffset: b * 2 * lanes, as: SIMD16<UInt16>.self)
                        total.storeBytes(of: a &+ v, toByteOffset: b * 2 * lanes, as: SIMD16<UInt16>.self)
                    }
                    for x in (blocks * lanes)..<span { sums[x] &+= UInt16(plane.pixels[row + x]) }
                }
                for bx in 0..<w {
                    var s: UInt32 = 0
                    for k in 0..<f { s &+= UInt32(sums[bx * f + k]) }
                    out[by * w + bx] = Float(s) * norm
                }
            }
        }
        let w2 = w / 2, h2 = h / 2
        var half = [Float](repeating: 0, count: w2 * h2)
        half.withUnsafeMutableBufferPointer { out in
            means.withUnsafeBufferPointer { a in
                for y in 0..<h2 {
                    let r0 = 2 * y * w, r1 = r0 + w
                    for x in 0..<w2 {
                        out[y * w2 + x] = (a[r0 + 2 * x] + a[r0 + 2 * x + 1] + a[r1 + 2 * x] + a[r1 + 2 * x + 1]) * 0.25
                    }
                }
            }
        }
        fine = Level(width: w, height: h, factor: f, pixels: means)
        coarse = Level(width: w2, height: h2, factor: 2 * f, pixels: half)
    }
}

/// Global motion between two frames by Gauss–Newton on intensities (the model of
/// `scripts/bitrate-study`'s `register`), coarse level first, then the fine one.
///
/// The residual it reports is robust: 1.4826 × the median absolute residual on the fine level
/// (the RMS for normal residuals), so what decides "another shot" is how well the motion explains
/// most of the picture, not its worst part. A box painted in, a caption or an overlay appearing
/// over a pan is then not a scene cut. Measured on a 720p pan where a flat box covers 14% of the
/// picture from 1.5 s: the frame it appears on fitted to a plain RMS residual above
/// `GridTracker.cutResidual`, and the tracked read restarted its grid there, lost it until the
/// next anchor, and missed the box.
public enum GlobalMotionEstimator {
    static let iterations = 8
    /// Stop when an update moves no pixel of the level by more than this (its zoom taken at the
    /// level's edge), on the coarse level and on the fine one. Each step shrinks the error 10–20
    /// times (measured on the 1080p pan: fine-level steps of 0.02, 0.0013, 0.0001 px), so the fine
    /// level stops after its second step, about 10⁻⁴ px off; the coarse level only brings the
    /// fine one within its reach. Before, 10⁻⁴ on both took 4 and 3–4 steps: 45% more work.
    static let tolerance = (coarse: 0.05, fine: 0.003)
    /// A level smaller than this on either axis says too little to fit three parameters to.
    static let smallest = 8

    /// The motion from `previous` to `current` (same frame size), starting at `initial`, and the RMS
    /// residual (luma levels, on the fine level's block means) of the last fit: small for a true
    /// match, large across a scene cut. A flat picture (or one that determines no shift along an
    /// axis) leaves the estimate where it is. The residual is infinite when nothing overlapped.
    public static func estimate(from previous: MotionPlane, to current: MotionPlane,
                                initial: GlobalMotion = .identity) -> (motion: GlobalMotion, residual: Double) {
        precondition(previous.width == current.width && previous.height == current.height, "frames differ in size")
        var motion = initial, residual = Double.infinity
        for (a, b) in [(previous.coarse, current.coarse), (previous.fine, current.fine)]
        where a.width >= smallest && a.height >= smallest {
            let centre = (x: Double(a.factor * a.width - 1) / 2 - Double(previous.width - 1) / 2,
                          y: Double(a.factor * a.height - 1) / 2 - Double(previous.height - 1) / 2)
            let isFine = a.factor == previous.fine.factor
            let fitted = fit(a, b, initial: level(motion, a.factor, centre), tolerance: isFine ? tolerance.fine : tolerance.coarse, robust: isFine)
            motion = full(fitted.motion, a.factor, centre)
            residual = fitted.residual
        }
        return (motion, residual)
    }

    /// A frame motion in level pixels: the level's centre lies `offset` frame pixels from the
    /// frame's (blocks cut off at the edges), and a zoom about one centre is a zoom about another
    /// plus the shift (1 − s)·offset.
    private static func level(_ m: GlobalMotion, _ f: Int, _ offset: (x: Double, y: Double)) -> GlobalMotion {
        GlobalMotion(scale: m.scale, dx: (m.dx - (1 - m.scale) * offset.x) / Double(f),
                     dy: (m.dy - (1 - m.scale) * offset.y) / Double(f))
    }

    private static func full(_ m: GlobalMotion, _ f: Int, _ offset: (x: Double, y: Double)) -> GlobalMotion {
        GlobalMotion(scale: m.scale, dx: m.dx * Double(f) + (1 - m.scale) * offset.x,
                     dy: m.dy * Double(f) + (1 - m.scale) * offset.y)
    }

    /// The fit on one level; `robust`: the residual is the robust one at the fitted motion.
    private static func fit(_ a: MotionPlane.Level, _ b: MotionPlane.Level, initial: GlobalMotion,
                            tolerance: Double, robust: Bool) -> (motion: GlobalMotion, residual: Double) {
        a.pixels.withUnsafeBufferPointer { p in
            b.pixels.withUnsafeBufferPointer { q in
                func finish(_ m: GlobalMotion, _ plain: Double) -> (motion: GlobalMotion, residual: Double) {
                    guard robust, plain.isFinite else { return (m, plain) }
                    return (m, robustResidual(p, q, width: a.width, height: a.height, at: m) ?? plain)
                }
                var m = initial
                for _ in 0..<iterations {
                    let e = equations(p, q, width: a.width, height: a.height, at: m)
                    guard let d = e.solve() else { return finish(m, e.rms) }
                    let next = GlobalMotion(scale: m.scale + d.0, dx: m.dx + d.1, dy: m.dy + d.2)
                    // A step out of any plausible zoom is a fit that has lost the picture.
                    guard next.scale > 0.5, next.scale < 2, abs(next.dx) < Double(a.width), abs(next.dy) < Double(a.height)
                    else { return finish(m, e.rms) }
                    m = next
                    if max(abs(d.0) * Double(a.width) / 2, abs(d.1), abs(d.2)) < tolerance { return finish(m, e.rms) }
                }
                return finish(m, equations(p, q, width: a.width, height: a.height, at: m).rms)
            }
        }
    }

    /// The normal equations JᵀJ·d = −Jᵀr of one Gauss–Newton step, and the residual's size.
    struct Equations {
        var a00 = 0.0, a01 = 0.0, a02 = 0.0, a11 = 0.0, a12 = 0.0, a22 = 0.0
        var b0 = 0.0, b1 = 0.0, b2 = 0.0, squares = 0.0
        var count = 0

        var rms: Double { count > 0 ? (squares / Double(count)).squareRoot() : .infinity }

        /// The step d, by Cramer's rule; nil when the system is (nearly) singular: for a positive
        /// semidefinite matrix det ≤ a00·a11·a22, and a tiny ratio means a direction with no gradient.
        func solve() -> (Double, Double, Double)? {
            let c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11
            let det = a00 * c00 + a01 * c01 + a02 * c02
            guard det.isFinite, det > 1e-9 * a00 * a11 * a22, det > 0 else { return nil }
            let r0 = -b0, r1 = -b1, r2 = -b2
            let d0 = (r0 * c00 + r1 * c01 + r2 * c02) / det
            let d1 = (r0 * c01 + r1 * (a00 * a22 - a02 * a02) + r2 * (a01 * a02 - a00 * a12)) / det
            let d2 = (r0 * c02 + r1 * (a01 * a02 - a00 * a12) + r2 * (a00 * a11 - a01 * a01)) / det
            return (d0, d1, d2)
        }
    }

    /// Accumulates over the interior pixels p of `prev` whose q = c + s(p − c) + t falls in
    /// [1, w − 2] × [1, h − 2] of `cur`: r = cur(q) − prev(p) (bilinear), J = [g·(p − c), gx, gy]
    /// with g the central-difference gradient of `prev` at p (the numpy model's choice: a row of J
    /// depends on p alone). A row is summed in Float (at most a few hundred terms; the fit on the
    /// 1080p bench clip came out the same) and the rows in Double. (Every other row on the fine
    /// level cost 10% of an attached detect's CPU less, but the 1080p bench clip marked and read
    /// that way had its median frame log10 p 3.5% weaker: the grid follows the embedder's less
    /// closely.)
    static func equations(_ prev: UnsafeBufferPointer<Float>, _ cur: UnsafeBufferPointer<Float>,
                          width w: Int, height h: Int, at m: GlobalMotion) -> Equations {
        var e = Equations()
        let s = m.scale, cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        guard let (rows, columns) = overlap(width: w, height: h, at: m) else { return e }
        let firstX = Float(Double(columns.lowerBound) - cx)
        // q's column in Float (exact to 10⁻⁵ px on a 320-wide level): a Double per pixel cost
        // a third of the loop.
        let firstQx = Float(cx + s * (Double(columns.lowerBound) - cx) + m.dx), scale = Float(s)
        let lastColumn = Int32(w - 2)
        for y in rows {
            let Y = Float(Double(y) - cy)
            let qy = cy + s * Double(Y) + m.dy
            let y0 = min(Int(qy), h - 2), fy = Float(qy - Double(y0))
            let r0 = y0 * w, r1 = r0 + w, row = y * w
            var a00: Float = 0, a01: Float = 0, a02: Float = 0, a11: Float = 0, a12: Float = 0, a22: Float = 0
            var b0: Float = 0, b1: Float = 0, b2: Float = 0, squares: Float = 0
            for (k, x) in columns.enumerated() {
                let X = firstX + Float(k)
                let qx = firstQx + scale * Float(k)
                let x0i = min(Int32(qx), lastColumn), x0 = Int(x0i), fx = qx - Float(x0i)
                let r = bilinear(cur, r0 + x0, r1 + x0, fx, fy) - prev[row + x]
                let gx = (prev[row + x + 1] - prev[row + x - 1]) * 0.5
                let gy = (prev[row + x + w] - prev[row + x - w]) * 0.5
                let j0 = gx * X + gy * Y
                a00 += j0 * j0; a01 += j0 * gx; a02 += j0 * gy
                a11 += gx * gx; a12 += gx * gy; a22 += gy * gy
                b0 += j0 * r; b1 += gx * r; b2 += gy * r
                squares += r * r
            }
            e.a00 += Double(a00); e.a01 += Double(a01); e.a02 += Double(a02)
            e.a11 += Double(a11); e.a12 += Double(a12); e.a22 += Double(a22)
            e.b0 += Double(b0); e.b1 += Double(b1); e.b2 += Double(b2)
            e.squares += Double(squares)
            e.count += columns.count
        }
        return e
    }

    /// `cur` between the pixels at `top` and `top + 1` and the row below (`bottom`), `fx` and `fy` of the way.
    @inline(__always)
    static func bilinear(_ cur: UnsafeBufferPointer<Float>, _ top: Int, _ bottom: Int, _ fx: Float, _ fy: Float) -> Float {
        let upper = cur[top] + fx * (cur[top + 1] - cur[top])
        let lower = cur[bottom] + fx * (cur[bottom + 1] - cur[bottom])
        return upper + fy * (lower - upper)
    }

    /// The interior pixels p whose q = c + s(p − c) + t falls in [1, w − 2] × [1, h − 2], solved
    /// for per axis (s > 0), not tested per pixel.
    static func overlap(width w: Int, height h: Int, at m: GlobalMotion) -> (rows: ClosedRange<Int>, columns: ClosedRange<Int>)? {
        let s = m.scale, cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        func range(_ n: Int, _ c: Double, _ t: Double) -> ClosedRange<Int>? {
            let lo = max(1, (c + (1 - c - t) / s).rounded(.up))
            let hi = min(Double(n - 2), (c + (Double(n - 2) - c - t) / s).rounded(.down))
            return lo <= hi ? Int(lo)...Int(hi) : nil
        }
        guard s > 0, s.isFinite, m.dx.isFinite, m.dy.isFinite, let rows = range(h, cy, m.dy), let columns = range(w, cx, m.dx) else { return nil }
        return (rows, columns)
    }

    /// 1.4826 × the median |r| over the overlap (the RMS for normal residuals, and unmoved by
    /// anything under half of the picture), from a histogram of 1/16-level bins; nil when the
    /// median is past 64 levels (the plain RMS says as much) or nothing overlaps. Bins are read at
    /// their lower edge, so a perfect match is 0.
    static func robustResidual(_ prev: UnsafeBufferPointer<Float>, _ cur: UnsafeBufferPointer<Float>,
                               width w: Int, height h: Int, at m: GlobalMotion) -> Double? {
        guard let (rows, columns) = overlap(width: w, height: h, at: m) else { return nil }
        let bins = 1024, perLevel: Float = 16
        var histogram = [Int](repeating: 0, count: bins + 1)
        let s = m.scale, cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        let firstQx = Float(cx + s * (Double(columns.lowerBound) - cx) + m.dx), scale = Float(s)
        let lastColumn = Int32(w - 2)
        // Every other row: a median of tens of thousands of residuals needs no more.
        var counted = 0
        for y in Swift.stride(from: rows.lowerBound, through: rows.upperBound, by: 2) {
            let qy = cy + s * (Double(y) - cy) + m.dy
            let y0 = min(Int(qy), h - 2), fy = Float(qy - Double(y0))
            let r0 = y0 * w, r1 = r0 + w, row = y * w
            for (k, x) in columns.enumerated() {
                let qx = firstQx + scale * Float(k)
                let x0i = min(Int32(qx), lastColumn), x0 = Int(x0i), fx = qx - Float(x0i)
                histogram[min(Int(abs(bilinear(cur, r0 + x0, r1 + x0, fx, fy) - prev[row + x]) * perLevel), bins)] += 1
            }
            counted += columns.count
        }
        let half = (counted + 1) / 2
        var seen = 0
        for (bin, n) in histogram.enumerated() {
            seen += n
            if seen >= half { return bin == bins ? nil : 1.4826 * Double(bin) / Double(perLevel) }
        }
        return nil
    }
}
