@testable import FrameMarkCore
import XCTest

/// The message laid out in another arrangement from one stretch to the next (a grid that follows
/// the picture takes the next one whenever it starts its mark afresh).
final class ArrangementTests: XCTestCase {
    let message = Message(0x00C0_FFEE_1234_5678)

    func testArrangementsAreOrdersOfTheCodedBitsAndTheFirstIsTheirOwn() throws {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "arrangement-key"))
        XCTAssertEqual(layout.codedOrder.count, WatermarkDesign.arrangements)
        XCTAssertEqual(layout.codedOrder[0], Array(0..<WatermarkDesign.messageCodedBits))
        for order in layout.codedOrder.dropFirst() {
            XCTAssertEqual(order.sorted(), Array(0..<WatermarkDesign.messageCodedBits))
            XCTAssertLessThan(zip(order, layout.codedOrder[0]).filter { $0 == $1 }.count, 10, "another arrangement moves nearly every bit")
        }
        XCTAssertEqual(layout.arrangementRange.count, WatermarkDesign.arrangementBits * WatermarkDesign.arrangementRepeats)
        XCTAssertEqual(layout.pilotRange.lowerBound, layout.arrangementRange.upperBound)
    }

    func testSmoothingKeepsAnArrangementThroughOneWrongFrameAndFindsTheChange() {
        func clean(_ a: Int) -> [Float] { Payload.arrangementScores(Payload.arrangementBits(a).map { $0 == 0 ? 1 : -1 }) }
        var scores: [[Float]?] = Array(repeating: clean(1), count: 10) + Array(repeating: clean(2), count: 10)
        scores[4] = clean(3)      // one frame reads another arrangement
        scores[14] = nil          // a flat frame: no evidence
        scores[15] = scores[15]!.map { $0 * 0.1 }
        XCTAssertEqual(clean(1).indices.max { clean(1)[$0] < clean(1)[$1] }, 1)
        XCTAssertEqual(Payload.smoothArrangements(scores), Array(repeating: 1, count: 10) + Array(repeating: 2, count: 10))
        XCTAssertEqual(Payload.smoothArrangements([]), [])
    }

    func testAPlannedRestartLetsWeakEvidenceTakeTheNextArrangement() {
        func clean(_ a: Int) -> [Float] { Payload.arrangementScores(Payload.arrangementBits(a).map { $0 == 0 ? 1 : -1 }) }
        // Ten clear frames of arrangement 1, then ten that say 2 only faintly (2.4 in all, under
        // what a change costs): a change where nothing says the mark started afresh is not worth it.
        let scores: [[Float]?] = Array(repeating: clean(1), count: 10) + Array(repeating: clean(2).map { $0 * 0.04 }, count: 10)
        XCTAssertEqual(Payload.smoothArrangements(scores), Array(repeating: 1, count: 20))
        // Where the detector's plan restarts the grid, the mark took the next arrangement.
        var afresh = Array(repeating: false, count: 20)
        afresh[0] = true
        afresh[10] = true
        XCTAssertEqual(Payload.smoothArrangements(scores, afresh: afresh), Array(repeating: 1, count: 10) + Array(repeating: 2, count: 10))
        // Only the next one: faint evidence of arrangement 0 after a restart from 1 does not win.
        let other: [[Float]?] = Array(repeating: clean(1), count: 10) + Array(repeating: clean(0).map { $0 * 0.04 }, count: 10)
        XCTAssertEqual(Payload.smoothArrangements(other, afresh: afresh), Array(repeating: 1, count: 10) + Array(repeating: 2, count: 10))
    }

    func testAStretchIsScoredAgainstTheOtherStretchesSoItsSharedErrorsCannotKeepAWrongArrangement() throws {
        let layout = WatermarkLayout(key: try WatermarkKey(string: "arrangement-key"))
        let orders = layout.codedOrder
        let coded = Payload.codedMessage(message).map { Float($0 == 0 ? 1 : -1) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func gaussian() -> Float {   // SplitMix64 and Box–Muller: the same numbers every run
            func next() -> Double {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return (Double((z ^ (z >> 31)) >> 11) + 0.5) / 9_007_199_254_740_992
            }
            return Float((-2 * log(next())).squareRoot() * cos(2 * .pi * next()))
        }
        // Three stretches of 10 frames in arrangements 0, 2 and 3; each stretch lies over one
        // picture, so its frames share an error (σ 2, twice the mark) besides their own (σ 0.1).
        // The middle one was given arrangement 1, wrongly.
        let truth = [0, 2, 3], given = [0, 1, 3]
        var soft: [[Float]?] = [], arrangements: [Int] = [], afresh: [Bool] = []
        for (t, g) in zip(truth, given) {
            let shared = coded.indices.map { _ in 2 * gaussian() }
            for f in 0..<10 {
                soft.append(orders[t].enumerated().map { j, k in coded[k] + shared[j] + 0.1 * gaussian() })
                arrangements.append(g)
                afresh.append(f == 0)
            }
        }
        func best(_ scores: [[Float]?]) -> [Int] { scores.map { s in s!.indices.max { s![$0] < s![$1] }! } }
        let byStretch = best(Payload.estimatedMessageScores(soft, arrangements, afresh: afresh, orders: orders))
        XCTAssertEqual(byStretch, truth.flatMap { Array(repeating: $0, count: 10) })
        // Left out frame by frame instead, the middle stretch's frames agree with one another in
        // the arrangement they were given.
        let byFrame = best(Payload.estimatedMessageScores(soft, arrangements, afresh: soft.map { _ in true }, orders: orders))
        XCTAssertEqual(Array(byFrame[10..<20]), Array(repeating: 1, count: 10))
    }

    func testFramesOfTwoArrangementsReadTheMessageTogether() throws {
        let key = try WatermarkKey(string: "arrangement-key")
        let layout = WatermarkLayout(key: key)
        let embedder = Embedder(layout: layout, message: message)
        let analyzer = ClipAnalyzer(detector: FrameDetector(layout: layout))
        let truth = (0..<16).map { $0 < 8 ? 0 : 3 }
        for (i, arrangement) in truth.enumerated() {
            let plane = TestPlane.textured(width: 320, height: 180, seed: 7, shift: i)
            try plane.withLuma { luma in
                let analysis = try embedder.analyze(luma)
                let field = embedder.decide(analysis, timeSeconds: Double(i) / 25, restart: i == 0 || truth[i - 1] != arrangement,
                                            arrangement: arrangement)
                embedder.apply(field, to: luma)
            }
            analyzer.add(plane.withLuma { analyzer.detector.observe($0) }, index: i, timeSeconds: Double(i) / 25,
                         afresh: i == 0 || truth[i - 1] != arrangement)
        }
        let verdict = analyzer.finish()
        XCTAssertTrue(verdict.detected)
        XCTAssertEqual(verdict.message, message)
        XCTAssertEqual(verdict.frames.map(\.arrangement), truth)
        XCTAssertEqual(verdict.frames.filter(\.detected).count, truth.count)
        // Each frame's lattice errors are against its own arrangement's offsets: small everywhere.
        let map = try XCTUnwrap(verdict.projectionMap)
        XCTAssertEqual(map.latticeOffsets.count, WatermarkDesign.arrangements)
        for frame in verdict.frames {
            let errors = try XCTUnwrap(frame.latticeErrors)
            let large = errors.filter { abs(Int($0)) > 64 }.count
            XCTAssertLessThan(Double(large) / Double(errors.count), 0.1, "frame \(frame.index)")
        }
    }
}
