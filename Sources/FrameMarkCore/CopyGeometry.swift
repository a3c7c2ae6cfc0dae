import Foundation

/// A 2 × 2 linear map `[[a, b], [c, d]]` acting on column vectors (x, y).
public struct LinearMap: Sendable, Equatable {
    public var a: Double, b: Double, c: Double, d: Double

    public init(a: Double, b: Double, c: Double, d: Double) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    public static let identity = LinearMap(a: 1, b: 0, c: 0, d: 1)

    /// Stretch by `x` and `y` along the copy's axes after turning by `radians` (counter-clockwise
    /// in a picture whose y axis points down, as `rotate` with a positive angle turns it clockwise
    /// on screen).
    public init(scaleX x: Double, scaleY y: Double, radians: Double) {
        let cs = cos(radians), sn = sin(radians)
        self.init(a: x * cs, b: -x * sn, c: y * sn, d: y * cs)
    }

    public static func * (l: LinearMap, r: LinearMap) -> LinearMap {
        LinearMap(a: l.a * r.a + l.b * r.c, b: l.a * r.b + l.b * r.d, c: l.c * r.a + l.d * r.c, d: l.c * r.b + l.d * r.d)
    }

    public static func * (l: LinearMap, s: Double) -> LinearMap { LinearMap(a: l.a * s, b: l.b * s, c: l.c * s, d: l.d * s) }

    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) { (a * x + b * y, c * x + d * y) }

    public var determinant: Double { a * d - b * c }

    public var inverse: LinearMap {
        let det = determinant
        return LinearMap(a: d / det, b: -b / det, c: -c / det, d: a / det)
    }

    public var transposed: LinearMap { LinearMap(a: a, b: c, c: b, d: d) }

    /// The map M with `to ≈ M · from` in weighted least squares (no offset), or nil when the
    /// points do not span the plane (the normal equations' determinant under `degenerate`).
    static func fitted(_ pairs: [(from: (x: Double, y: Double), to: (x: Double, y: Double), weight: Double)],
                       degenerate: Double) -> LinearMap? {
        var sxx = 0.0, sxy = 0.0, syy = 0.0, bx = (0.0, 0.0), by = (0.0, 0.0)
        for (f, t, w) in pairs {
            sxx += w * f.x * f.x; sxy += w * f.x * f.y; syy += w * f.y * f.y
            bx.0 += w * f.x * t.x; bx.1 += w * f.y * t.x
            by.0 += w * f.x * t.y; by.1 += w * f.y * t.y
        }
        // Each row of M from the normal equations [sxx sxy; sxy syy] m = b.
        let det = sxx * syy - sxy * sxy
        guard abs(det) > degenerate else { return nil }
        let row = { (b: (Double, Double)) in ((syy * b.0 - sxy * b.1) / det, (sxx * b.1 - sxy * b.0) / det) }
        let r0 = row(bx), r1 = row(by)
        return LinearMap(a: r0.0, b: r0.1, c: r1.0, d: r1.1)
    }

    /// The scale along the copy's x and y axes (lengths of the rows).
    public var scaleX: Double { (a * a + b * b).squareRoot() }
    public var scaleY: Double { (c * c + d * d).squareRoot() }
    /// The turn, in degrees, of a map that does not mirror (the angle of its second row).
    public var degrees: Double { atan2(c, d) * 180 / .pi }
    public var mirrors: Bool { determinant < 0 }
}

/// Where the marked picture lies in a copy: the copy's pixel `x' = linear · r + offset`, where
/// `r` is a point of the marked frame in reference pixels (1/720 of the marked frame's height),
/// both measured at pixel centres (the top-left pixel's centre is (0.5, 0.5)).
public struct CopyGeometry: Sendable, Equatable {
    public var linear: LinearMap
    public var offsetX: Double
    public var offsetY: Double

    public init(linear: LinearMap, offsetX: Double, offsetY: Double) {
        self.linear = linear
        self.offsetX = offsetX
        self.offsetY = offsetY
    }

    /// The copy's point of a reference point.
    public func copyPoint(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let p = linear.apply(x, y)
        return (p.x + offsetX, p.y + offsetY)
    }

    /// The reference point of a copy's point.
    public func referencePoint(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        linear.inverse.apply(x - offsetX, y - offsetY)
    }
}
