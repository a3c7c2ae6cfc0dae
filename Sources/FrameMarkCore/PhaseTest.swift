import Foundation

/// The exact null distribution behind every p-value FrameMark reports.
///
/// Under "no mark with this key" each projection's phase against its secret dither is uniform on
/// the circle and independent of every other (the dither is uniform and independent of the
/// picture), whatever the picture is. A statistic S = Σ wᵢ cos Uᵢ with known weights wᵢ therefore
/// has a distribution that depends on the weights only. Its upper tail is computed with the
/// Lugannani–Rice saddlepoint approximation from the cumulant K(λ) = Σ log I₀(λ wᵢ).
public enum PhaseTest {
    /// log10 of P(S ≥ s) for S = Σ wᵢ cos Uᵢ, Uᵢ iid uniform.
    public static func log10Tail(statistic s: Double, weights: [Double]) -> Double {
        let w = weights.filter { $0 > 0 }
        guard !w.isEmpty else { return 0 }
        // n equal weights: every sum below is n times one term.
        if w.allSatisfy({ $0 == w[0] }) {
            return log10Tail(statistic: s / w[0], weights: [1], multiplicity: Double(w.count))
        }
        return log10Tail(statistic: s, weights: w, multiplicity: 1)
    }

    private static func log10Tail(statistic s: Double, weights w: [Double], multiplicity m: Double) -> Double {
        let variance = m * w.reduce(0) { $0 + $1 * $1 } / 2
        let maxS = m * w.reduce(0, +)
        if s >= maxS { return log10Tail(statistic: maxS * 0.999999, weights: w, multiplicity: m) }
        if s <= 0 { return log10(normalUpper(s / variance.squareRoot())) }
        // Solve K'(λ) = s by Newton's method with bisection safeguards (K' is increasing).
        var lo = 0.0, hi = 1.0
        while m * kPrime(hi, w) < s { hi *= 2; if hi > 1e7 { break } }
        var lambda = s / variance
        if lambda <= lo || lambda >= hi { lambda = (lo + hi) / 2 }
        for _ in 0..<100 {
            let f = m * kPrime(lambda, w) - s
            if f > 0 { hi = lambda } else { lo = lambda }
            let step = f / (m * kSecond(lambda, w))
            var candidate = lambda - step
            if !(candidate > lo && candidate < hi) { candidate = (lo + hi) / 2 }
            if abs(candidate - lambda) < 1e-12 * max(1, lambda) { lambda = candidate; break }
            lambda = candidate
        }
        let k = m * w.reduce(0) { $0 + logI0($1 * lambda) }
        let wHat = (2 * (lambda * s - k)).squareRoot()
        let uHat = lambda * (m * kSecond(lambda, w)).squareRoot()
        if wHat < 1e-3 { return log10(normalUpper(s / variance.squareRoot())) }
        // P ≈ φ(ŵ) · (R(ŵ) + 1/û − 1/ŵ), with R the Mills ratio Q(z)/φ(z).
        let bracket = millsRatio(wHat) + 1 / uHat - 1 / wHat
        if bracket <= 0 { return log10(normalUpper(s / variance.squareRoot())) }
        let logPhi = -0.5 * wHat * wHat - 0.5 * log(2 * Double.pi)
        return min(0, (logPhi + log(bracket)) / log(10))
    }

    /// Standard normal upper tail Q(z).
    static func normalUpper(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// Q(z)/φ(z), stable for large z.
    static func millsRatio(_ z: Double) -> Double {
        if z < 6 { return normalUpper(z) / (exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()) }
        // Continued fraction (Laplace) for large z.
        var f = z
        for n in stride(from: 40, through: 1, by: -1) { f = z + Double(n) / f }
        return 1 / f
    }

    // MARK: - Bessel functions of the first kind, modified, orders 0 and 1

    /// log I₀(x) for x ≥ 0 (Abramowitz & Stegun 9.8.1–9.8.2).
    static func logI0(_ x: Double) -> Double {
        if x < 3.75 {
            let t = (x / 3.75) * (x / 3.75)
            let v = 1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))))
            return log(v)
        }
        let t = 3.75 / x
        let v = 0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281
            + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))))
        return x - 0.5 * log(x) + log(v)
    }

    /// I₁(x)/I₀(x) for x ≥ 0.
    static func besselRatio(_ x: Double) -> Double {
        if x < 1e-8 { return x / 2 }
        if x < 3.75 {
            let t = (x / 3.75) * (x / 3.75)
            let i0 = 1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))))
            let i1 = x * (0.5 + t * (0.87890594 + t * (0.51498869 + t * (0.15084934 + t * (0.02658733 + t * (0.00301532 + t * 0.00032411))))))
            return i1 / i0
        }
        let t = 3.75 / x
        let i0s = 0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281
            + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))))
        let i1s = 0.39894228 + t * (-0.03988024 + t * (-0.00362018 + t * (0.00163801 + t * (-0.01031555
            + t * (0.02282967 + t * (-0.02895312 + t * (0.01787654 - t * 0.00420059)))))))
        return i1s / i0s
    }

    private static func kPrime(_ lambda: Double, _ w: [Double]) -> Double {
        w.reduce(0) { $0 + $1 * besselRatio($1 * lambda) }
    }

    private static func kSecond(_ lambda: Double, _ w: [Double]) -> Double {
        w.reduce(0) { acc, wi in
            let x = wi * lambda
            let a = besselRatio(x)
            let derivative = x < 1e-8 ? 0.5 : 1 - a / x - a * a
            return acc + wi * wi * max(derivative, 1e-12)
        }
    }
}
