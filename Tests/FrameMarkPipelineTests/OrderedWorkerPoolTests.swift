import FrameMarkPipeline
import Foundation
import Synchronization
import XCTest

final class OrderedWorkerPoolTests: XCTestCase {
    /// A slow, uneven stage must still deliver every item once, in order, with bounded items in flight.
    func testOrderCountAndBoundUnderUnevenStage() throws {
        let inStage = Mutex(0)
        let peak = Mutex(0)
        let pool = OrderedWorkerPool<Int, Int>(width: 4, maxInFlight: 6) { value, index in
            inStage.withLock { $0 += 1; let n = $0; peak.withLock { $0 = max($0, n) } }
            // Seeded unevenness: some items take 20× longer than others.
            var rng = SplitMix(seed: UInt64(index))
            usleep(UInt32(rng.next() % 5 == 0 ? 4000 : 200))
            inStage.withLock { $0 -= 1 }
            XCTAssertEqual(value, index * 10)
            return value
        }
        var out: [Int] = []
        var maxOutstanding = 0
        for i in 0..<300 {
            out += try pool.submit(i * 10)
            maxOutstanding = max(maxOutstanding, i + 1 - out.count)
        }
        out += try pool.finish()
        XCTAssertEqual(out, (0..<300).map { $0 * 10 })
        XCTAssertLessThanOrEqual(maxOutstanding, 6)
        XCTAssertLessThanOrEqual(peak.withLock { $0 }, 4)
        XCTAssertGreaterThan(peak.withLock { $0 }, 1, "the stage should run in parallel")
    }

    func testStageErrorIsRethrownInOrder() {
        struct Boom: Error {}
        let pool = OrderedWorkerPool<Int, Int>(width: 2) { v, _ in
            if v == 7 { throw Boom() }
            return v
        }
        var delivered: [Int] = []
        XCTAssertThrowsError(try {
            for i in 0..<20 { delivered += try pool.submit(i) }
            delivered += try pool.finish()
        }()) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(delivered, Array(delivered.indices), "everything before the error is in order")
        XCTAssertLessThanOrEqual(delivered.count, 7)
    }
}

/// A tiny seeded generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
