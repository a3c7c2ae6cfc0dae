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
            // Fixed unevenness: every fifth item (in a scrambled order) takes 20× longer.
            usleep((index &* 2_654_435_761) % 5 == 0 ? 4000 : 200)
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
