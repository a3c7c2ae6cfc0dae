import Foundation
import FrameMarkCore
import FrameMarkRegistry
import XCTest

/// The registry of issued messages on a real SQLite file: a message is unique and stays with its
/// output for good (reserved again after a crash, it comes back the same), chosen messages are
/// honoured and never issued twice, and what is written survives closing the file.
final class AssetRegistryTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("framemark-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private var path: String { folder.appendingPathComponent("framemark-registry.sqlite").path }

    private func request(_ output: String, message: Message? = nil) throws -> AssetRequest {
        AssetRequest(inputPath: "in/\(output)", inputSHA256: String(repeating: "a", count: 64), outputPath: "out/\(output)",
                     keyFingerprint: try WatermarkKey(string: "registry-key").fingerprint, strength: 1, settings: #"{"crf":23}"#,
                     toolVersion: "test", message: message, metadata: #"{"asset_id":"A-1"}"#)
    }

    func testAReservedOutputKeepsItsMessageAcrossRunsAndTheFileIsReopened() throws {
        let registry = try SQLiteAssetRegistry(path: path)
        let first = try registry.reserve(try request("clip.mp4"))
        XCTAssertEqual(first.status, .pending)
        XCTAssertNil(first.finishedAt)
        // A batch run again (after a crash, say) finds the same row and the same message.
        XCTAssertEqual(try registry.reserve(try request("clip.mp4")).message, first.message)
        try registry.finish(first.id, outputSHA256: String(repeating: "b", count: 64))

        let reopened = try SQLiteAssetRegistry(path: path)
        let found = try XCTUnwrap(try reopened.asset(message: first.message))
        XCTAssertEqual(found.status, .done)
        XCTAssertEqual(found.outputPath, "out/clip.mp4")
        XCTAssertEqual(found.outputSHA256, String(repeating: "b", count: 64))
        XCTAssertNotNil(found.finishedAt)
        XCTAssertEqual(found.metadata, #"{"asset_id":"A-1"}"#)
        XCTAssertEqual(found.keyFingerprint, try WatermarkKey(string: "registry-key").fingerprint)
        XCTAssertNotEqual(found.keyFingerprint, "registry-key")
        XCTAssertEqual(found.keyFingerprint.count, 16)
    }

    func testDrawnMessagesAreDistinctAndChosenOnesAreNeverIssuedTwice() throws {
        let registry = try SQLiteAssetRegistry(path: path)
        let drawn = try (0..<200).map { try registry.reserve(try request("clip\($0).mp4")).message }
        XCTAssertEqual(Set(drawn).count, 200)

        let chosen = Message(0x00C0_FFEE_1234_5678)
        XCTAssertEqual(try registry.reserve(try request("chosen.mp4", message: chosen)).message, chosen)
        XCTAssertThrowsError(try registry.reserve(try request("other.mp4", message: chosen))) { error in
            XCTAssertTrue("\(error)".contains("already issued"), "\(error)")
        }
        XCTAssertThrowsError(try registry.reserve(try request("chosen.mp4", message: Message(1)))) { error in
            XCTAssertTrue("\(error)".contains("already reserved"), "\(error)")
        }
        XCTAssertNil(try registry.asset(message: Message(1)), "a refused request leaves nothing behind")
        XCTAssertEqual(try registry.assets().count, 201)
    }

    func testAFailureIsRecordedWithItsCauseAndKeepsTheMessage() throws {
        let registry = try SQLiteAssetRegistry(path: path)
        let asset = try registry.reserve(try request("broken.mp4"))
        try registry.fail(asset.id, error: "broken.mp4: not a readable media file")
        let failed = try XCTUnwrap(try registry.asset(message: asset.message))
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.error, "broken.mp4: not a readable media file")
        // Run again, the file keeps its message (it may be marked now); done clears the error.
        let again = try registry.reserve(try request("broken.mp4"))
        XCTAssertEqual(again.message, asset.message)
        try registry.finish(again.id, outputSHA256: String(repeating: "c", count: 64))
        XCTAssertNil(try registry.asset(message: asset.message)?.error)
    }
}
