@testable import FrameMarkCore
import Foundation
import XCTest

/// Per-frame p-values must be calibrated: at nominal α, at most 2α of frames without the key's
/// mark are flagged (checked at α = 1e-2 and 1e-3 over 2,000 frames).
final class CalibrationTests: XCTestCase {
    /// log10 p of one frame's pilot statistic at the identity hypothesis (no search, no correction).
    func rawFrameLog10P(_ detector: FrameDetector, _ observation: FrameObservation, table: UnitTailTable) -> Double {
        let layout = detector.layout
        var s: Float = 0
        let p = detector.projections(upright: observation.upright, turned: observation.turned, orientation: 0, tone: 1)
        for (j, i) in layout.pilotRange.enumerated() {
            s += cos(detector.bitPhase(p[i], i, gain: 1, sign: 1) - Float.pi * Float(layout.pilotBits[j]))
        }
        return table.log10Tail(Double(s))
    }

    func checkCalibration(_ log10ps: [Double], _ label: String) {
        for alpha in [1e-2, 1e-3] {
            let flagged = Double(log10ps.filter { $0 <= log10(alpha) }.count) / Double(log10ps.count)
            XCTAssertLessThanOrEqual(flagged, 2 * alpha, "\(label) at α=\(alpha): \(flagged)")
        }
    }

    func testUnmarkedFramesAndWrongKeyAreCalibrated() throws {
        let detector = FrameDetector(layout: WatermarkLayout(key: try WatermarkKey(string: "calibration")))
        let table = UnitTailTable(terms: detector.layout.pilotRange.count)
        var unmarked: [Double] = []
        var corrected: [Double] = []
        let analyzer = ClipAnalyzer(detector: detector)
        for i in 0..<2000 {
            let plane = TestPlane.textured(width: 128, height: 72, seed: UInt64(1000 + i))
            let observation = plane.withLuma { detector.observe($0) }
            unmarked.append(rawFrameLog10P(detector, observation, table: table))
            analyzer.add(observation, index: i, timeSeconds: Double(i) / 25)
        }
        checkCalibration(unmarked, "unmarked, raw")
        // The raw statistic is not just conservative: about α of frames fall under α.
        let atOnePercent = Double(unmarked.filter { $0 <= -2 }.count) / Double(unmarked.count)
        XCTAssertGreaterThan(atOnePercent, 0.002)

        let verdict = analyzer.finish()
        corrected = verdict.frames.map(\.log10PValue)
        checkCalibration(corrected, "unmarked, as reported")
        XCTAssertFalse(verdict.detected)

        // Marked with another key (a sticky mark over a changing picture), read with this one.
        // 6,000 frames: at α = 1e-3 a calibrated test flags about 6, and the 2α bound is then not
        // at the mercy of a count of 2 versus 4.
        let other = Embedder(layout: WatermarkLayout(key: try WatermarkKey(string: "someone-else")), message: Message(42))
        var wrongKey: [Double] = []
        for i in 0..<6000 {
            let plane = TestPlane.textured(width: 128, height: 72, seed: UInt64(90_000 + i))
            try plane.withLuma { try other.embed(into: $0, timeSeconds: Double(i) / 25) }
            wrongKey.append(rawFrameLog10P(detector, plane.withLuma { detector.observe($0) }, table: table))
        }
        checkCalibration(wrongKey, "wrong key")
    }

    /// Once the message is known, frames are judged on the message bits with no correction for
    /// the hypothesis search: that must still be calibrated for frames without the mark (footage
    /// spliced into a marked clip). 24 marked frames give the message; 3,000 unmarked ones follow.
    func testFramesJudgedOnTheMessageAreCalibrated() throws {
        let key = try WatermarkKey(string: "calibration")
        let layout = WatermarkLayout(key: key)
        let embedder = Embedder(layout: layout, message: Message(0x0123_4567_89AB_CDEF))
        let analyzer = ClipAnalyzer(detector: FrameDetector(layout: layout))
        for i in 0..<24 {
            let plane = TestPlane.textured(width: 128, height: 72, seed: 7, shift: i)
            try plane.withLuma { try embedder.embed(into: $0, timeSeconds: Double(i) / 25) }
            analyzer.add(plane.withLuma { analyzer.detector.observe($0) }, index: i, timeSeconds: Double(i) / 25)
        }
        for i in 24..<3024 {
            let plane = TestPlane.textured(width: 128, height: 72, seed: UInt64(50_000 + i))
            analyzer.add(plane.withLuma { analyzer.detector.observe($0) }, index: i, timeSeconds: Double(i) / 25)
        }
        let verdict = analyzer.finish()
        XCTAssertEqual(verdict.message, Message(0x0123_4567_89AB_CDEF))
        checkCalibration(verdict.frames.dropFirst(24).map(\.log10PValue), "unmarked frames after marked ones")
        XCTAssertEqual(verdict.frames.prefix(24).filter(\.detected).count, 24)
    }
}
