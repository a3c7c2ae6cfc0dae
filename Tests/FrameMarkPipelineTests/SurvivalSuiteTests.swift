import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline
import TestSupport
import XCTest

/// The in-process attacks mean what the ffmpeg command line means by them, and `survive` reports
/// every row it was asked for.
final class SurvivalSuiteTests: XCTestCase {
    /// Every attack against the ffmpeg command line running the same filter and encoder. Two
    /// encodes of the same pictures need not be bit-identical (x264's threads), so picture
    /// attacks are compared losslessly (x264 at CRF 0: identical pictures expected) and codec
    /// attacks by their fidelity to the input and their size.
    func testEveryAttackMatchesTheCommandLine() throws {
        let clips = try ClipFactory("attacks")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "1.2", "-vf", "scale=640:360",
                                      "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-an"], output: "in.mp4")
        let video = try MediaReader(path: input).video
        for attack in AttackCatalogue.all {
            var recipe = attack.recipe(video)
            let isCodecAttack = recipe.filter == "null"
            if !isCodecAttack { recipe.crf = 0; recipe.options["preset"] = "ultrafast" }
            let ours = clips.path("\(attack.name)-ours.mkv")
            try AttackRenderer.render(recipe, input: input, output: ours)
            let reference = try clips.ffmpeg(["-i", input] + recipe.commandLineArguments + ["-an"], output: "\(attack.name)-cli.mkv")
            XCTAssertEqual(try Oracle.videoStreamEntry(ours, "codec_name"), try Oracle.videoStreamEntry(reference, "codec_name"), attack.name)
            XCTAssertEqual(try Oracle.videoFrameTimes(ours).count, try Oracle.videoFrameTimes(reference).count, attack.name)
            XCTAssertEqual(try Oracle.videoStreamEntry(ours, "width"), try Oracle.videoStreamEntry(reference, "width"), attack.name)
            XCTAssertEqual(try Oracle.videoStreamEntry(ours, "height"), try Oracle.videoStreamEntry(reference, "height"), attack.name)
            if isCodecAttack {
                let a = try Oracle.lumaPSNR(ours, reference: input), b = try Oracle.lumaPSNR(reference, reference: input)
                XCTAssertEqual(a, b, accuracy: 0.5, "\(attack.name): fidelity to the input")
                let sa = try FileManager.default.attributesOfItem(atPath: ours)[.size] as! Int
                let sb = try FileManager.default.attributesOfItem(atPath: reference)[.size] as! Int
                XCTAssertEqual(Double(sa) / Double(sb), 1, accuracy: 0.1, "\(attack.name): size")
            } else {
                XCTAssertGreaterThan(try Oracle.lumaPSNR(ours, reference: reference), 50, attack.name)
            }
            try? FileManager.default.removeItem(atPath: ours)
            try? FileManager.default.removeItem(atPath: reference)
        }
    }

    func testUnknownAttackIsAClearError() {
        XCTAssertThrowsError(try AttackCatalogue.select("crf23,warp9")) { error in
            XCTAssertTrue("\(error)".contains("unknown attack 'warp9'"), "\(error)")
        }
        XCTAssertEqual(try AttackCatalogue.select("all").count, AttackCatalogue.all.count)
        XCTAssertGreaterThanOrEqual(AttackCatalogue.all.count, 35)
    }

    func testSurviveReportsEveryRequestedRowWithQualityFigures() throws {
        let clips = try ClipFactory("survive")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-t", "1.2", "-c:v", "libx264", "-preset", "veryfast",
                                      "-crf", "16", "-c:a", "copy"], output: "in.mp4")
        let attacks = try AttackCatalogue.select("crf28,hflip,vp9_crf40")
        let message = Message(0x0123_4567_89AB_CDEF)
        let report = try SurvivalSuite(settings: EncoderSettings(crf: 18, preset: "veryfast"), jobs: 2)
            .run(input: input, key: try WatermarkKey(string: "suite"), message: message, strength: 1, attacks: attacks)
        XCTAssertEqual(report.attacks.map(\.name), ["crf28", "hflip", "vp9_crf40"])
        XCTAssertGreaterThan(report.psnr ?? 0, 38)
        XCTAssertGreaterThan(report.ssim ?? 0, 0.95)
        XCTAssertNotNil(report.bitrateIncrease)
        XCTAssertNotNil(report.flicker)
        XCTAssertNotNil(report.controlFlicker)
        for row in report.attacks {
            XCTAssertTrue(row.detected, row.name)
            XCTAssertTrue(row.messageOK, row.name)
            XCTAssertGreaterThan(row.frameDetectionRate, 0, row.name)
            XCTAssertLessThan(row.log10PValue, -9, row.name)
        }
    }
}

extension SurvivalSuiteTests {
    /// The design's "no flicker" on a still shot: the sticky mark holds still, so the delivered
    /// file's difference from the source changes from frame to frame no more than the unmarked
    /// encode's does (the codec re-draws the grain of every frame either way).
    func testStillShotMarkAddsNoFlickerOverTheCodecsOwn() throws {
        let clips = try ClipFactory("still-flicker")
        defer { clips.cleanUp() }
        let input = try clips.ffmpeg(["-i", RepositorySamples.astronautPan, "-vf",
                                      "select=eq(n\\,0),loop=loop=49:size=1:start=0,setpts=N/25/TB,scale=640:360,noise=alls=4:allf=t,format=yuv420p",
                                      "-frames:v", "50", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16"], output: "still.mp4")
        let report = try SurvivalSuite(settings: EncoderSettings(crf: 18, preset: "veryfast"), jobs: 2)
            .run(input: input, key: try WatermarkKey(string: "still"), message: Message(0x0123_4567_89AB_CDEF), strength: 1, attacks: [])
        let marked = try XCTUnwrap(report.flicker), control = try XCTUnwrap(report.controlFlicker)
        XCTAssertGreaterThan(control.rms, 0, "the grain changes every frame")
        XCTAssertLessThan(marked.rms, control.rms * 1.2 + 0.05, "marked \(marked.rms), unmarked \(control.rms) levels")
        XCTAssertLessThan(report.psnr ?? .infinity, 50, "the frames carry a mark")
    }

    func testReportPageHasAChartPerStrengthAndTheSweepCurve() {
        func report(_ strength: Float, _ psnr: Double, survived: Int) -> SurvivalReport {
            var rows: [AttackResult] = []
            for i in 0..<4 {
                let name = i == 0 ? "crop<75>" : "attack\(i)"
                let rate = Double(i) / 4
                let log10p = -10.0 * Double(i)
                rows.append(AttackResult(name: name, detected: i < survived, message: nil, messageOK: i < survived,
                                         frameDetectionRate: rate, log10PValue: log10p, seconds: 1))
            }
            return SurvivalReport(input: "/x/clip.mp4", strength: strength, psnr: psnr, ssim: 0.99, bitrateIncrease: 0.1, attacks: rows)
        }
        let html = SurvivalReport.html([report(0.7, 45.1, survived: 1), report(1, 44, survived: 3)])
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3, "two matrix charts and the sweep curve")
        XCTAssertTrue(html.contains("Strength sweep"))
        XCTAssertTrue(html.contains("crop&lt;75&gt;"), "names are escaped")
        XCTAssertFalse(html.contains("crop<75>"))
        XCTAssertTrue(html.contains("3/4 attacks survived"))
        XCTAssertFalse(html.contains("<script"), "no scripts")
        XCTAssertNil(html.range(of: #"(src|href)\s*=\s*"(https?:)?//"#, options: .regularExpression), "self-contained: no remote files")
    }
}
