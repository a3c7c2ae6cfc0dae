@testable import FrameMarkForensics
import XCTest

/// The order of marked footage for every structure an editor makes (docs/forensics.md, "What
/// each edit reads as"), on runs as the timeline gives them: no video, exact.
final class EditOrderTests: XCTestCase {
    static let fps = 25.0

    /// A clip described as pieces: marked footage from `original` seconds for `seconds`, or
    /// `nil` original for unmarked (foreign) footage. Consecutive marked frames are one run only
    /// when their original time runs on, as the timeline joins them.
    private func runs(_ pieces: [(original: Double?, seconds: Double)]) -> [Segment] {
        var out: [Segment] = []
        var frame = 0
        for (original, seconds) in pieces {
            let count = Int((seconds * Self.fps).rounded())
            let start = Double(frame) / Self.fps, end = Double(frame + count) / Self.fps
            out.append(Segment(kind: original == nil ? .foreign : .intact, startFrame: frame, endFrame: frame + count,
                               startSeconds: start, endSeconds: end, confidence: 1,
                               originalStartSeconds: original, originalEndSeconds: original.map { $0 + seconds }))
            frame += count
        }
        return out
    }

    private func read(_ pieces: [(original: Double?, seconds: Double)]) -> [Segment] {
        let tolerance = 0.25
        let ordered = EditOrder.classify(runs(pieces), tolerance: tolerance, frameDuration: 1 / Self.fps)
        return EditOrder.insertCuts(EditOrder.joinSpeedChanges(ordered, tolerance: tolerance), minimum: tolerance)
    }

    /// Each segment as "kind start–end (original start–end)", frames and seconds.
    private func describe(_ segments: [Segment]) -> [String] {
        segments.map { s in
            let original = s.originalStartSeconds.map { String(format: " (%.2f–%.2f)", $0, s.originalEndSeconds!) } ?? ""
            return "\(s.kind.rawValue) \(s.startFrame)–\(s.endFrame)\(original)"
        }
    }

    func testUneditedFootageIsIntact() {
        XCTAssertEqual(describe(read([(0, 10)])), ["intact 0–250 (0.00–10.00)"])
        // A short run in order is intact however light it is.
        XCTAssertEqual(describe(read([(0, 6), (6, 0.12)])), ["intact 0–150 (0.00–6.00)", "intact 150–153 (6.00–6.12)"])
    }

    func testASwapReportsBothMovedBlocks() {
        XCTAssertEqual(describe(read([(0, 2), (4, 2), (2, 2), (6, 4)])), [
            "intact 0–50 (0.00–2.00)", "reordered 50–100 (4.00–6.00)", "reordered 100–150 (2.00–4.00)", "intact 150–250 (6.00–10.00)",
        ])
    }

    func testABlockMovedLaterOrEarlierIsTheOneReported() {
        // 1.0–2.2 s moved after 4 s: the block jumped over a longer stretch.
        XCTAssertEqual(describe(read([(0, 1), (2.2, 1.8), (1, 1.2), (4, 2)])), [
            "intact 0–25 (0.00–1.00)", "intact 25–70 (2.20–4.00)", "reordered 70–100 (1.00–2.20)", "intact 100–150 (4.00–6.00)",
        ])
        // 3–4 s moved before 1 s.
        XCTAssertEqual(describe(read([(0, 1), (3, 1), (1, 2), (4, 2)])), [
            "intact 0–25 (0.00–1.00)", "reordered 25–50 (3.00–4.00)", "intact 50–100 (1.00–3.00)", "intact 100–150 (4.00–6.00)",
        ])
    }

    func testARepeatIsDuplicatedOnlyWhereItShowsWhatWasSeen() {
        // [0–5 s][3–10 s]: the second run shows 3–5 s again, then 5–10 s for the first time.
        XCTAssertEqual(describe(read([(0, 5), (3, 7)])), [
            "intact 0–125 (0.00–5.00)", "duplicated 125–175 (3.00–5.00)", "intact 175–300 (5.00–10.00)",
        ])
        // The same block three times.
        XCTAssertEqual(describe(read([(0, 4), (2, 2), (2, 2), (4, 2)])), [
            "intact 0–100 (0.00–4.00)", "duplicated 100–150 (2.00–4.00)", "duplicated 150–200 (2.00–4.00)", "intact 200–250 (4.00–6.00)",
        ])
    }

    func testAFreezeIsDuplicatedAfterItsFirstShowing() {
        // A frame held for a second: the timeline reads the frozen quarter again, ¼ s at a time.
        let held: [(original: Double?, seconds: Double)] = Array(repeating: (2.75, 0.25), count: 4)
        let segments = read([(0, 3)] + held + [(3, 3)])
        XCTAssertEqual(segments.map(\.kind), [.intact, .duplicated, .duplicated, .duplicated, .duplicated, .intact])
        XCTAssertEqual(describe([segments[0]]), ["intact 0–75 (0.00–3.00)"])
        XCTAssertEqual(segments[5].originalStartSeconds, 3)
        XCTAssertTrue(segments[1...4].allSatisfy { $0.originalStartSeconds == 2.75 && abs($0.originalEndSeconds! - 3) <= 1 / Self.fps })
    }

    func testInsertAndReplaceAreForeignWithoutACut() {
        XCTAssertEqual(describe(read([(0, 2), (nil, 1.5), (2, 4)])), [
            "intact 0–50 (0.00–2.00)", "foreign 50–88", "intact 88–188 (2.00–6.00)",
        ])
        XCTAssertEqual(describe(read([(0, 2), (nil, 1.5), (3.5, 2.5)])), [
            "intact 0–50 (0.00–2.00)", "foreign 50–88", "intact 88–151 (3.50–6.00)",
        ])
    }

    func testCutsAtTheStartAndInTheMiddleSayWhatIsMissing() {
        XCTAssertEqual(describe(read([(0, 2), (3.2, 2.8)])), [
            "intact 0–50 (0.00–2.00)", "cut 50–50 (2.00–3.20)", "intact 50–120 (3.20–6.00)",
        ])
        XCTAssertEqual(describe(read([(1.2, 3.8)])), ["cut 0–0 (0.00–1.20)", "intact 0–95 (1.20–5.00)"])
        // A trimmed end cannot be seen: nothing says how long the original was.
        XCTAssertEqual(describe(read([(0, 4)])), ["intact 0–100 (0.00–4.00)"])
    }

    func testASwapWithCutsReportsTheMoveAndWhatIsMissing() {
        // [0–2][4–6][2–3][7–10]: 2–3 s moved later, 3–4 s and 6–7 s missing.
        XCTAssertEqual(describe(read([(0, 2), (4, 2), (2, 1), (7, 3)])), [
            "intact 0–50 (0.00–2.00)", "cut 50–50 (3.00–4.00)", "intact 50–100 (4.00–6.00)", "reordered 100–125 (2.00–3.00)",
            "cut 125–125 (6.00–7.00)", "intact 125–200 (7.00–10.00)",
        ])
    }

    func testASpeedUpByDroppingFramesIsOneIntactStretchWithItsSpeed() {
        // Twice as fast: the timeline reads ¼–½ s stretches, each jumping ahead by as much.
        let segments = read([(0, 0.4), (0.8, 0.4), (1.6, 0.4), (2.4, 0.4), (3.2, 0.4)])
        XCTAssertEqual(describe(segments), ["intact 0–50 (0.00–3.60)"])
        XCTAssertEqual(segments[0].speed ?? 0, 1.8, accuracy: 0.01)
        // One jump is a cut, not a change of speed.
        XCTAssertEqual(describe(read([(0, 2), (3, 0.4), (3.4, 1)])).filter { $0.hasPrefix("cut") }, ["cut 50–50 (2.00–3.00)"])
    }

    func testARepeatAfterAMoveIsDuplicatedNotReordered() {
        // [0–4][1–2][4–6]: 1–2 s shown again after 4 s.
        XCTAssertEqual(describe(read([(0, 4), (1, 1), (4, 2)])), [
            "intact 0–100 (0.00–4.00)", "duplicated 100–125 (1.00–2.00)", "intact 125–175 (4.00–6.00)",
        ])
    }
}
