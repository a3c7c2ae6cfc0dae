import FrameMarkCore
@testable import FrameMarkForensics
import XCTest

/// The timeline fit on synthetic time codes: noisy soft bits, one frame in ten misread outright.
final class TimelineTests: XCTestCase {
    struct Noise {
        var state: UInt64
        mutating func unit() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        mutating func gaussian() -> Double { (-2 * log(max(unit(), 1e-12))).squareRoot() * cos(2 * .pi * unit()) }
    }

    /// Soft bits of the code a frame at `time` shows when it came from `time + offset`.
    func soft(_ time: Double, offset: Double, noise: inout Noise) -> [Float] {
        let code = Int(((time + offset) / WatermarkDesign.timeCodeSeconds + 1e-6).rounded(.down))
        if noise.unit() < 0.1 { return (0..<WatermarkDesign.timeBits).map { _ in Float(noise.gaussian() * 1.5) } }
        return (0..<WatermarkDesign.timeBits).map { b in
            let bit = (code >> (WatermarkDesign.timeBits - 1 - b)) & 1
            return Float((bit == 0 ? 1.2 : -1.2) + noise.gaussian())
        }
    }

    func testOffsetsChangeWhereTheClipWasCutAndNowhereElse() {
        var noise = Noise(state: 7)
        let times = (0..<200).map { Double($0) / 25 }
        // Frames 0–79 in place; from frame 80 on, 2.3 s of the original are missing.
        let truth = times.indices.map { $0 < 80 ? 0.0 : 2.3 }
        let soft = times.indices.map { f -> [Float]? in f % 17 == 5 ? nil : self.soft(times[f], offset: truth[f], noise: &noise) }
        let timeline = Timeline(times: times, soft: soft, frameDuration: 0.04, bitWeight: 2)
        let changes = times.indices.dropFirst().filter { abs(timeline.offsets[$0] - timeline.offsets[$0 - 1]) > 0.01 }
        XCTAssertEqual(changes.count, 1, "\(changes)")
        XCTAssertEqual(Double(changes.first ?? 0), 80, accuracy: 2)
        XCTAssertEqual(timeline.offsets[10], 0, accuracy: 0.041)
        XCTAssertEqual(timeline.offsets[150], 2.3, accuracy: 0.041)
    }

    /// A grid that follows the picture after a fast encoder: a bit that changed since the last
    /// restart (every fourth code) may still show its old value. Read as if every bit were fresh,
    /// those quarters look like the one before (a false `duplicated`); with the refresh model the
    /// clip is one run in place.
    func testStaleBitsSinceTheLastRefreshAreNoEvidence() {
        var noise = Noise(state: 3)
        let times = (0..<150).map { Double($0) / 25 }
        let soft = times.map { t -> [Float]? in
            let code = Int((t / WatermarkDesign.timeCodeSeconds + 1e-6).rounded(.down))
            let shown = code - code % 4   // nothing since the restart made it through
            return (0..<WatermarkDesign.timeBits).map { b in
                let bit = (shown >> (WatermarkDesign.timeBits - 1 - b)) & 1
                return Float((bit == 0 ? 1.2 : -1.2) + 0.3 * noise.gaussian())
            }
        }
        let fresh = Timeline(times: times, soft: soft, frameDuration: 0.04, bitWeight: 2)
        XCTAssertTrue(times.indices.contains { abs(fresh.offsets[$0]) > 0.01 }, "stale codes read as fresh move the offset")
        let refreshed = Timeline(times: times, soft: soft, frameDuration: 0.04, bitWeight: 2, refresh: 4)
        XCTAssertEqual(refreshed.offsets.map { abs($0) }.max() ?? 1, 0, accuracy: 0.01)
    }

    func testPooledOffsetOfAWeakRun() {
        var noise = Noise(state: 11)
        let times = (0..<30).map { 3 + Double($0) / 25 }
        let soft = times.map { t -> [Float]? in self.soft(t, offset: -1.5, noise: &noise) }
        let found = Timeline.pooledOffset(times: times, soft: soft, frameDuration: 0.04, bitWeight: 2, range: -4...8)
        XCTAssertEqual(found ?? 99, -1.5, accuracy: 0.041)
        // Pure noise: no offset is claimed.
        let junk = times.map { _ in (0..<WatermarkDesign.timeBits).map { _ in Float(noise.gaussian() * 0.3) } as [Float]? }
        XCTAssertNil(Timeline.pooledOffset(times: times, soft: junk, frameDuration: 0.04, bitWeight: 2, range: -4...8))
    }
}
