import Foundation
import FrameMarkBatch
import FrameMarkCore
import FrameMarkPipeline
import FrameMarkRegistry
import TestSupport
import XCTest

/// A batch on real files: small clips and a picture made here, marked through FFmpeg, every
/// message in the registry and read back from its output; a broken file recorded as failed
/// while the rest go on; a second run skipping what is done and re-marking, under the same
/// message, an output that changed.
final class BatchRunnerTests: XCTestCase {
    func testABatchMarksRecordsSkipsAndRemarks() throws {
        let clips = try ClipFactory("batch-runner")
        defer { clips.cleanUp() }
        try FileManager.default.createDirectory(atPath: clips.path("in/sub"), withIntermediateDirectories: true)
        try clips.testClip("in/a.mp4", seconds: 1)
        try clips.testClip("in/sub/b.mkv", seconds: 1, filter: "hue=s=0")
        try clips.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", "-vf", "noise=alls=20"], output: "in/photo.png")
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: clips.path("in/broken.mp4")))

        let key = try WatermarkKey(string: "batch-key")
        XCTAssertThrowsError(try SQLiteAssetRegistry(path: clips.path("nowhere/framemark-registry.sqlite"))) {
            XCTAssertTrue("\($0)".contains("nowhere/framemark-registry.sqlite: cannot open the registry"), "\($0)")
        }
        try FileManager.default.createDirectory(atPath: clips.path("out"), withIntermediateDirectories: true)
        let registry = try SQLiteAssetRegistry(path: clips.path("out/framemark-registry.sqlite"))
        let runner = BatchRunner(registry: registry, key: key, settings: BatchSettings(encoder: .init(crf: 18, preset: "veryfast"), jobs: 2),
                                 toolVersion: FrameMarkVersion.string)
        let plan = try BatchPlan(inputs: [clips.path("in")], outputFolder: clips.path("out"))
        XCTAssertEqual(plan.items.map(\.relativeOutput), ["a.mp4", "broken.mp4", "photo.png", "sub/b.mkv"])

        let first = runner.run(plan.items, parallel: 2)
        let byName = Dictionary(uniqueKeysWithValues: first.map { ($0.item.relativeOutput, $0) })
        XCTAssertEqual(byName["a.mp4"]?.outcome, .marked(frames: 25))
        XCTAssertEqual(byName["sub/b.mkv"]?.outcome, .marked(frames: 25))
        XCTAssertEqual(byName["photo.png"]?.outcome, .marked(frames: 1))
        guard case .failed(let reason)? = byName["broken.mp4"]?.outcome else { return XCTFail("the broken file did not fail") }
        XCTAssertTrue(reason.contains("broken.mp4"), reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: clips.path("out/broken.mp4")))

        let assets = try registry.assets()
        XCTAssertEqual(assets.count, 4)
        XCTAssertEqual(Set(assets.map(\.message)).count, 4, "every file its own message")
        for asset in assets {
            XCTAssertEqual(asset.keyFingerprint, key.fingerprint)
            XCTAssertEqual(asset.inputSHA256, try FileDigest.sha256(of: asset.inputPath))
            if asset.outputPath.hasSuffix("broken.mp4") {
                XCTAssertEqual(asset.status, .failed)
                XCTAssertNotNil(asset.error)
                continue
            }
            XCTAssertEqual(asset.status, .done)
            XCTAssertEqual(asset.outputSHA256, try FileDigest.sha256(of: asset.outputPath))
            let read = try WatermarkDetection(jobs: 2, quiet: true).run(input: asset.outputPath, key: key).verdict
            XCTAssertEqual(read.message, asset.message, asset.outputPath)
        }

        // Run again: done files are skipped; an output that changed is marked again, same message.
        let before = try XCTUnwrap(registry.asset(outputPath: clips.path("out/a.mp4")))
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: clips.path("out/a.mp4")))
        let second = Dictionary(uniqueKeysWithValues: runner.run(plan.items).map { ($0.item.relativeOutput, $0) })
        XCTAssertEqual(second["photo.png"]?.outcome, .skipped)
        XCTAssertEqual(second["sub/b.mkv"]?.outcome, .skipped)
        XCTAssertEqual(second["a.mp4"]?.outcome, .marked(frames: 25))
        XCTAssertEqual(second["a.mp4"]?.message, before.message)
        let after = try XCTUnwrap(registry.asset(outputPath: clips.path("out/a.mp4")))
        XCTAssertEqual(after.status, .done)
        XCTAssertEqual(after.outputSHA256, try FileDigest.sha256(of: clips.path("out/a.mp4")))
        XCTAssertEqual(try registry.assets().count, 4, "no new message for a file marked again")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: clips.path("out")).filter { $0.contains(".framemark-") }
        XCTAssertEqual(leftovers, [])
    }
}
