import FrameMarkCore
import FrameMarkForensics
import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// Edit forensics end to end: mark four seconds of the repository's sample, edit the marked clip
/// with the ffmpeg command line (splice, cut, move, repeat, paint, fade), re-encode each with
/// libx264 CRF 28, detect, and check the segments' kinds, boundaries (±2 frames) and regions.
final class ForensicsTests: XCTestCase {
    static let key = "forensics-key"
    static let message = Message(0x0123_4567_89AB_CDEF)
    nonisolated(unsafe) static var clips: ClipFactory!
    nonisolated(unsafe) static var marked: String!
    nonisolated(unsafe) static var foreign: String!

    static let crf28 = ["-c:v", "libx264", "-preset", "medium", "-crf", "28", "-pix_fmt", "yuv420p", "-an"]

    override class func setUp() {
        super.setUp()
        do {
            clips = try ClipFactory("forensics")
            let source = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "4", "-an", "-c:v", "libx264", "-preset", "veryfast",
                                           "-crf", "16"], output: "source.mp4")
            marked = clips.path("marked.mp4")
            let embedding = WatermarkEmbedding(transcoder: Transcoder(settings: EncoderSettings(crf: 18, preset: "medium"), jobs: 2, quiet: true))
            _ = try embedding.run(input: source, output: marked, key: try WatermarkKey(string: key), message: message)
            foreign = try clips.testClip("foreign.mp4", width: 1280, height: 720, seconds: 1, filter: "noise=alls=12:allf=t")
        } catch {
            XCTFail("could not make the marked clip: \(error)")
        }
    }

    override class func tearDown() {
        clips?.cleanUp()
        super.tearDown()
    }

    // MARK: - Helpers

    /// Concatenates pieces of the marked clip (`(start, end)` seconds) and, where a piece is nil,
    /// the foreign clip; re-encodes at CRF 28.
    private func splice(_ name: String, _ pieces: [(Double, Double)?]) throws -> String {
        var graph: [String] = []
        for (i, piece) in pieces.enumerated() {
            if let (a, b) = piece {
                graph.append("[0:v]trim=\(a):\(b),setpts=PTS-STARTPTS[p\(i)]")
            } else {
                graph.append("[1:v]setpts=PTS-STARTPTS,setsar=1[p\(i)]")
            }
        }
        let inputs = pieces.indices.map { "[p\($0)]" }.joined()
        graph.append("\(inputs)concat=n=\(pieces.count):v=1[v]")
        return try Self.clips.ffmpeg(["-i", Self.marked, "-i", Self.foreign, "-filter_complex", graph.joined(separator: ";"),
                                      "-map", "[v]"] + Self.crf28, output: "\(name).mp4")
    }

    private func filtered(_ name: String, _ filter: String) throws -> String {
        try Self.clips.ffmpeg(["-i", Self.marked, "-vf", filter] + Self.crf28, output: "\(name).mp4")
    }

    private func detect(_ path: String) throws -> DetectionReport {
        try WatermarkDetection(jobs: 2, quiet: true).run(input: path, key: try WatermarkKey(string: Self.key))
    }

    private func describe(_ report: DetectionReport) -> String {
        report.forensics.segments.map { "\($0.kind.rawValue) \($0.startFrame)-\($0.endFrame)" }.joined(separator: ", ")
    }

    /// The clip is ours and the segment list has a `kind` segment starting and ending within ±2 frames of the truth.
    @discardableResult
    private func assertSegment(_ report: DetectionReport, _ kind: SegmentKind, frames: Range<Int>,
                               file: StaticString = #filePath, line: UInt = #line) -> Segment? {
        XCTAssertTrue(report.verdict.detected, "clip not detected", file: file, line: line)
        XCTAssertEqual(report.verdict.message, Self.message, file: file, line: line)
        let match = report.forensics.segments.first {
            $0.kind == kind && abs($0.startFrame - frames.lowerBound) <= 2 && abs($0.endFrame - frames.upperBound) <= 2
        }
        XCTAssertNotNil(match, "no \(kind.rawValue) segment at \(frames): \(describe(report))", file: file, line: line)
        return match
    }

    /// Segments cover every frame, in order, without overlap.
    private func assertCovers(_ report: DetectionReport, file: StaticString = #filePath, line: UInt = #line) {
        var next = 0
        for s in report.forensics.segments {
            XCTAssertEqual(s.startFrame, next, describe(report), file: file, line: line)
            XCTAssertGreaterThanOrEqual(s.endFrame, s.startFrame, file: file, line: line)
            next = s.endFrame
        }
        XCTAssertEqual(next, report.verdict.frames.count, file: file, line: line)
    }

    /// Only `intact` and `unverifiable` segments: no false edits.
    private func assertNoEdits(_ report: DetectionReport, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(report.verdict.detected, "\(label): clip not detected", file: file, line: line)
        let kinds = Set(report.forensics.segments.map(\.kind))
        XCTAssertTrue(kinds.isSubset(of: [.intact, .unverifiable]), "\(label): \(describe(report))", file: file, line: line)
        assertCovers(report, file: file, line: line)
    }

    // MARK: - Edits

    func testInsertedForeignFootageIsFoundAndNothingIsCut() throws {
        let report = try detect(try splice("insert", [(0, 1.5), nil, (1.5, 4)]))
        assertCovers(report)
        assertSegment(report, .foreign, frames: 38..<63)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut }, describe(report))
        // Frames after the insert map back to where they were in the original.
        let after = report.forensics.frames[80].sourceTimeSeconds
        XCTAssertEqual(after ?? -1, 80.0 / 25 - 1, accuracy: 0.09)
    }

    func testReplacedFootageIsForeign() throws {
        let report = try detect(try splice("replace", [(0, 1.5), nil, (2.5, 4)]))
        assertCovers(report)
        assertSegment(report, .foreign, frames: 38..<63)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut }, describe(report))
    }

    func testCutIsFoundWithWhatIsMissing() throws {
        let report = try detect(try splice("cut", [(0, 1.5), (2.6, 4)]))
        assertCovers(report)
        let cut = try XCTUnwrap(assertSegment(report, .cut, frames: 38..<38))
        XCTAssertEqual(cut.originalStartSeconds ?? -1, 1.5, accuracy: 0.09)
        XCTAssertEqual(cut.originalEndSeconds ?? -1, 2.6, accuracy: 0.09)
        XCTAssertEqual(report.forensics.segments.filter { $0.kind != .intact && $0.kind != .cut }.count, 0, describe(report))
    }

    func testMovedBlockIsReordered() throws {
        // A B C D → A C B D, with B (1.0–2.0 s) shorter than C, so A C D is the longest run in order.
        let report = try detect(try splice("move", [(0, 1), (2, 3.2), (1, 2), (3.2, 4)]))
        assertCovers(report)
        let moved = try XCTUnwrap(assertSegment(report, .reordered, frames: 55..<80))
        XCTAssertEqual(moved.originalStartSeconds ?? -1, 1, accuracy: 0.09)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut || $0.kind == .foreign }, describe(report))
    }

    func testRepeatedBlockIsDuplicated() throws {
        let report = try detect(try splice("repeat", [(0, 2.5), (1, 2.2), (2.5, 4)]))
        assertCovers(report)
        let copy = try XCTUnwrap(assertSegment(report, .duplicated, frames: 63..<93))
        XCTAssertEqual(copy.originalStartSeconds ?? -1, 1, accuracy: 0.09)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut || $0.kind == .foreign }, describe(report))
    }

    func testSwappedBlocksAreBothReordered() throws {
        // [0–1][2–3][1–2][3–4]: two 1 s blocks exchanged; both are out of their original order.
        let report = try detect(try splice("swap", [(0, 1), (2, 3), (1, 2), (3, 4)]))
        assertCovers(report)
        let first = try XCTUnwrap(assertSegment(report, .reordered, frames: 25..<50))
        let second = try XCTUnwrap(assertSegment(report, .reordered, frames: 50..<75))
        XCTAssertEqual(first.originalStartSeconds ?? -1, 2, accuracy: 0.09)
        XCTAssertEqual(second.originalStartSeconds ?? -1, 1, accuracy: 0.09)
        XCTAssertEqual(report.forensics.segments.first?.kind, .intact, describe(report))
        XCTAssertEqual(report.forensics.segments.last?.kind, .intact, describe(report))
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut || $0.kind == .foreign }, describe(report))
        // The report plots time in the original against time in the clip.
        XCTAssertTrue(try report.page().html().contains("Time in the original against time in the clip"))
    }

    func testARepeatThatRunsOnIsDuplicatedOnlyWhereItShowsWhatWasSeen() throws {
        // [0–2.5][1.5–4]: 1.5–2.5 s shown again, then 2.5–4 s for the first time.
        let report = try detect(try splice("overlap", [(0, 2.5), (1.5, 4)]))
        assertCovers(report)
        let copy = try XCTUnwrap(assertSegment(report, .duplicated, frames: 63..<88))
        XCTAssertEqual(copy.originalStartSeconds ?? -1, 1.5, accuracy: 0.09)
        let rest = try XCTUnwrap(report.forensics.segments.last)
        XCTAssertEqual(rest.kind, .intact, describe(report))
        XCTAssertEqual(rest.originalStartSeconds ?? -1, 2.5, accuracy: 0.09)
        XCTAssertFalse(report.forensics.segments.contains { $0.kind == .cut || $0.kind == .foreign || $0.kind == .reordered }, describe(report))
    }

    func testPaintedRegionIsTamperedWithItsBox() throws {
        // A filled box over 14% of the picture from 1.5 s to 3 s.
        let report = try detect(try filtered("box", "drawbox=x=iw*0.5:y=ih*0.2:w=iw*0.35:h=ih*0.4:color=0x406080:t=fill:enable='between(t,1.5,2.99)'"))
        assertCovers(report)
        let tampered = try XCTUnwrap(assertSegment(report, .tampered, frames: 38..<75))
        let region = try XCTUnwrap(tampered.regions.first)
        XCTAssertGreaterThanOrEqual(region.iou(Region(x: 0.5, y: 0.2, w: 0.35, h: 0.4)), 0.5, "\(region)")
        XCTAssertEqual(report.forensics.frames[50].regions.first, region)
        XCTAssertNotNil(report.forensics.heatMaps[50])
    }

    func testOverlaidBusyPictureIsTamperedWithItsBox() throws {
        // A busy picture over the lower-left quarter for 1 s. The projections are local blocks,
        // so the rest of the picture keeps its mark and the quarter is where it is gone.
        let path = try Self.clips.ffmpeg(["-i", Self.marked, "-i", Self.foreign, "-filter_complex",
                                          "[1:v]scale=iw/2:ih/2,setpts=PTS-STARTPTS+1/TB[o];[0:v][o]overlay=x=0:y=H/2:eof_action=pass[v]",
                                          "-map", "[v]"] + Self.crf28, output: "overlay.mp4")
        let report = try detect(path)
        assertCovers(report)
        let tampered = try XCTUnwrap(assertSegment(report, .tampered, frames: 25..<50))
        let region = try XCTUnwrap(tampered.regions.first)
        XCTAssertGreaterThanOrEqual(region.iou(Region(x: 0, y: 0.5, w: 0.5, h: 0.5)), 0.5, "\(region)")
        XCTAssertTrue(report.verdict.detected)
    }

    func testReportPageRendersTimelineSegmentsAndThumbnails() throws {
        let report = try detect(try filtered("box-page", "drawbox=x=iw*0.1:y=ih*0.5:w=iw*0.4:h=ih*0.35:color=0x808080:t=fill:enable='between(t,1,2.5)'"))
        let page = try report.page()
        XCTAssertFalse(page.thumbnails.isEmpty)
        for jpeg in page.thumbnails.values { XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8]) }
        let html = page.html()
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("data:image/jpeg;base64,"))
        XCTAssertTrue(html.contains(">tampered<") || html.contains("tampered</td>"), "no tampered row")
        let path = Self.clips.path("page.html")
        try report.writePage(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), html)
    }

    func testShortMarkedPartsOfALongStillClipAreFound() throws {
        // 1.5 s marked, 12 s of a still picture nobody marked, 1.5 s marked: the whole clip's
        // statistics are dominated by the still part; its stretches are not.
        let still = try Self.clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
                                           "-vf", "trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/25/TB", "-frames:v", "300",
                                           "-c:v", "libx264", "-crf", "16"], output: "still.mp4")
        let path = try Self.clips.ffmpeg(["-i", Self.marked, "-i", still, "-filter_complex",
                                          "[0:v]trim=0:1.5,setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS,setsar=1[f];[0:v]trim=1.5:3,setpts=PTS-STARTPTS[b];[a][f][b]concat=n=3:v=1[v]",
                                          "-map", "[v]"] + Self.crf28, output: "long.mp4")
        let report = try detect(path)
        assertCovers(report)
        assertSegment(report, .foreign, frames: 38..<338)
        XCTAssertEqual(report.forensics.segments.first?.kind, .intact, describe(report))
        XCTAssertEqual(report.forensics.segments.last?.kind, .intact, describe(report))
    }

    // MARK: - No false edits

    func testUneditedReencodesAreIntact() throws {
        for (name, filter, crf) in [("crf23", "null", "23"), ("crf33", "null", "33"), ("half", "scale=iw/2:ih/2", "23"), ("hflip", "hflip", "23")] {
            let path = try Self.clips.ffmpeg(["-i", Self.marked, "-vf", filter, "-c:v", "libx264", "-preset", "medium", "-crf", crf, "-an"],
                                             output: "\(name).mp4")
            let report = try detect(path)
            assertNoEdits(report, name)
        }
    }

    func testADimCopyIsNotCut() throws {
        // At a tenth of the contrast a frame's time code reads as little more than noise; the
        // clip must stay in place, not be taken to start minutes into the original.
        for contrast in ["0.1", "0.12"] {
            let path = try Self.clips.ffmpeg(["-i", Self.marked, "-vf", "eq=contrast=\(contrast)"] + Self.crf28, output: "dim\(contrast).mp4")
            assertNoEdits(try detect(path), "contrast \(contrast)")
        }
    }

    func testFadeToBlackIsUnverifiableNotForeign() throws {
        let path = try Self.clips.ffmpeg(["-i", Self.marked, "-filter_complex",
                                          "[0:v]trim=0:2,setpts=PTS-STARTPTS,fade=t=out:st=1:d=0.6[a];[0:v]trim=2:4,setpts=PTS-STARTPTS,fade=t=in:st=0.2:d=0.6[b];[a][b]concat=n=2:v=1[v]",
                                          "-map", "[v]"] + Self.crf28, output: "fade.mp4")
        let report = try detect(path)
        assertNoEdits(report, "fade")
        // The black middle is reported, as unverifiable.
        XCTAssertTrue(report.forensics.segments.contains { $0.kind == .unverifiable && $0.startFrame <= 45 && $0.endFrame >= 55 },
                      describe(report))
    }

    func testSceneCutsInTheMarkedClipAreNotEdits() throws {
        // A source with two hard cuts, marked as one clip, then re-encoded.
        let source = try Self.clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-filter_complex",
                                            "[0:v]trim=0:1.5,setpts=PTS-STARTPTS[a];[0:v]trim=4:5.5,setpts=PTS-STARTPTS,vflip[b];[0:v]trim=2:3,setpts=PTS-STARTPTS,hflip[c];[a][b][c]concat=n=3:v=1[v]",
                                            "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16"], output: "cuts-source.mp4")
        let marked = Self.clips.path("cuts-marked.mp4")
        let embedding = WatermarkEmbedding(transcoder: Transcoder(settings: EncoderSettings(crf: 18, preset: "medium"), jobs: 2, quiet: true))
        _ = try embedding.run(input: source, output: marked, key: try WatermarkKey(string: Self.key), message: Self.message)
        let path = try Self.clips.ffmpeg(["-i", marked] + Self.crf28, output: "cuts.mp4")
        assertNoEdits(try detect(path), "scene cuts")
    }
}
