import Foundation
import FrameMarkBatch
import FrameMarkCore
import XCTest

/// Which files a batch takes and where their copies go: trees mirrored, patterns applied, lists
/// read from their own folder, collisions and overwrites refused, shards disjoint and complete.
final class BatchPlanTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("framemark-plan-\(UUID().uuidString)")
        for file in ["in/a.mp4", "in/sub/b.mov", "in/sub/deeper/c.webm", "in/photo.jpg", "in/notes.txt", "in/.hidden.mp4",
                     "in/.cache/d.mp4", "list/x/e.mp4"] {
            let url = folder.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func path(_ p: String) -> String { folder.appendingPathComponent(p).path }

    func testADirectoryIsWalkedAndItsTreeMirrored() throws {
        let plan = try BatchPlan(inputs: [path("in")], outputFolder: path("out"))
        XCTAssertEqual(plan.items.map(\.relativeOutput), ["a.mp4", "photo.jpg", "sub/b.mov", "sub/deeper/c.mp4"])
        XCTAssertEqual(plan.items.map(\.output), plan.items.map { path("out/" + $0.relativeOutput) })
        XCTAssertEqual(plan.items[3].input, path("in/sub/deeper/c.webm"), "a container that cannot be written becomes .mp4")
        let mp4 = try BatchPlan(inputs: [path("in")], include: ["*.mp4", "sub/*.mov"], outputFolder: path("out"), namePattern: "{stem}-marked.{ext}")
        XCTAssertEqual(mp4.items.map(\.relativeOutput), ["a-marked.mp4", "sub/b-marked.mov"])
    }

    func testTheOutputFolderInsideAnInputIsNotWalked() throws {
        let first = try BatchPlan(inputs: [path("in")], outputFolder: path("in/marked"))
        for item in first.items {
            try FileManager.default.createDirectory(atPath: (item.output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("y".utf8).write(to: URL(fileURLWithPath: item.output))
        }
        let again = try BatchPlan(inputs: [path("in")], outputFolder: path("in/marked"))
        XCTAssertEqual(again.items.map(\.input), first.items.map(\.input))
    }

    func testAListIsReadFromItsOwnFolder() throws {
        try "path,message,asset_id\nx/e.mp4,0123456789abcdef,E\n\(path("in/a.mp4")),,A\n".write(toFile: path("list/assets.csv"), atomically: false, encoding: .utf8)
        let plan = try BatchPlan(inputs: [], list: path("list/assets.csv"), outputFolder: path("out"))
        XCTAssertEqual(plan.items.map(\.input), [path("list/x/e.mp4"), path("in/a.mp4")])
        XCTAssertEqual(plan.items.map(\.relativeOutput), ["x/e.mp4", "a.mp4"])
        XCTAssertEqual(plan.items[0].message, try Message(hex: "0123456789abcdef"))
        XCTAssertEqual(plan.items[0].metadata, #"{"asset_id":"E"}"#)
        XCTAssertEqual(plan.items[0].origin, "assets.csv:2")
    }

    func testCollisionsOverwritesAndRepeatedMessagesAreRefused() throws {
        try FileManager.default.createDirectory(atPath: path("two"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("two/a.mp4")))
        XCTAssertThrowsError(try BatchPlan(inputs: [path("in/a.mp4"), path("two/a.mp4")], outputFolder: path("out"))) {
            XCTAssertTrue("\($0)".contains("would both be written to \(self.path("out/a.mp4"))"), "\($0)")
        }
        XCTAssertThrowsError(try BatchPlan(inputs: [path("in/a.mp4")], outputFolder: path("in"))) {
            XCTAssertTrue("\($0)".contains("the output would overwrite the input"), "\($0)")
        }
        try "path,message\nx/e.mp4,0123456789abcdef\n\(path("in/a.mp4")),0123456789ABCDEF\n".write(toFile: path("list/dup.csv"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try BatchPlan(inputs: [], list: path("list/dup.csv"), outputFolder: path("out"))) {
            XCTAssertTrue("\($0)".contains("ask for the same message 0123456789abcdef"), "\($0)")
        }
        XCTAssertThrowsError(try BatchPlan(inputs: [path("nowhere")], outputFolder: path("out"))) {
            XCTAssertTrue("\($0)".contains("nowhere: no such file or directory"), "\($0)")
        }
        XCTAssertThrowsError(try BatchPlan(inputs: [path("in")], outputFolder: path("out"), namePattern: "marked.mp4")) {
            XCTAssertTrue("\($0)".contains("must contain {stem} or {name}"), "\($0)")
        }
    }

    func testShardsAreDisjointCompleteAndStable() throws {
        var files: [String] = []
        for i in 0..<40 {
            let p = path("many/clip\(i).mp4")
            try FileManager.default.createDirectory(atPath: path("many"), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: p))
            files.append(p)
        }
        let plan = try BatchPlan(inputs: [path("many")], outputFolder: path("out"))
        let shards = (0..<4).map { plan.shard($0, of: 4) }
        XCTAssertEqual(shards.flatMap { $0 }.map(\.output).sorted(), plan.items.map(\.output).sorted())
        XCTAssertEqual(Set(shards.flatMap { $0 }.map(\.output)).count, 40)
        for shard in shards { XCTAssertGreaterThan(shard.count, 3, "a hash split this uneven would leave machines idle") }
        // The same file lands in the same shard when others are added.
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("many/zzz.mp4")))
        let grown = try BatchPlan(inputs: [path("many")], outputFolder: path("out"))
        for k in 0..<4 {
            XCTAssertEqual(Set(grown.shard(k, of: 4).map(\.output)).subtracting([path("out/zzz.mp4")]), Set(shards[k].map(\.output)))
        }
    }
}
