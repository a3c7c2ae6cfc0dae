@testable import FrameMarkCore
import TestSupport
import Foundation
import XCTest

/// The null distribution the p-values rest on, checked against simulation.
final class PhaseTestTests: XCTestCase {
    private func simulateTail(weights: [Double], threshold: Double, trials: Int, seed: UInt64) -> Double {
        var rng = SeededRandom(seed)
        var hits = 0
        for _ in 0..<trials {
            var s = 0.0
            for w in weights { s += w * cos(2 * Double.pi * Double(rng.unit())) }
            if s >= threshold { hits += 1 }
        }
        return Double(hits) / Double(trials)
    }

    func testSaddlepointMatchesSimulationForUnitWeights() {
        let weights = [Double](repeating: 1, count: 83)
        for target in [-1.0, -2.0, -3.0] {
            // Find the threshold the approximation puts at 10^target, then simulate it.
            var lo = 0.0, hi = 83.0
            for _ in 0..<60 {
                let mid = (lo + hi) / 2
                if PhaseTest.log10Tail(statistic: mid, weights: weights) > target { lo = mid } else { hi = mid }
            }
            let simulated = simulateTail(weights: weights, threshold: lo, trials: 100_000, seed: UInt64(-target))
            let nominal = pow(10, target)
            XCTAssertEqual(simulated / nominal, 1, accuracy: target == -3 ? 0.35 : 0.12, "tail at \(target)")
        }
    }

    func testUnequalWeightsAndExtremes() {
        var rng = SeededRandom(3)
        let weights = (0..<120).map { _ in Double(rng.unit()) }
        let s = 12.0
        let simulated = simulateTail(weights: weights, threshold: s, trials: 100_000, seed: 5)
        XCTAssertEqual(pow(10, PhaseTest.log10Tail(statistic: s, weights: weights)) / simulated, 1, accuracy: 0.2)
        XCTAssertEqual(PhaseTest.log10Tail(statistic: -50, weights: weights), 0, accuracy: 1e-6)
        XCTAssertLessThan(PhaseTest.log10Tail(statistic: 110, weights: [Double](repeating: 1, count: 120)), -30)
        XCTAssertTrue(PhaseTest.log10Tail(statistic: 500, weights: [Double](repeating: 1, count: 120)).isFinite)
    }
}
