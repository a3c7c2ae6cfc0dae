import Foundation
import FrameMarkBatch
import FrameMarkCore
import XCTest

/// Batch lists as users write them: CSV with quoting and extra columns, JSON Lines, and the
/// mistakes a list can hold, each refused with its line before anything is marked.
final class ListFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("framemark-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func testCSVWithQuotesLineBreaksAndMetadataColumns() throws {
        let path = try write("assets.csv", """
            path,message,asset_id,prompt\r
            clips/a.mp4,0123456789abcdef,A-1,"a cat, sitting"\r
            "clips/b ""two"".mp4",,A-2,"two
            lines"

            clips/c.mp4,,A-3,
            """)
        let entries = try ListFile.read(path)
        XCTAssertEqual(entries.map(\.path), ["clips/a.mp4", "clips/b \"two\".mp4", "clips/c.mp4"])
        XCTAssertEqual(entries[0].message, try Message(hex: "0123456789abcdef"))
        XCTAssertNil(entries[1].message)
        XCTAssertEqual(entries[0].metadata, #"{"asset_id":"A-1","prompt":"a cat, sitting"}"#)
        XCTAssertEqual(entries[1].metadata, #"{"asset_id":"A-2","prompt":"two\nlines"}"#)
        XCTAssertEqual(entries.map(\.origin), ["assets.csv:2", "assets.csv:3", "assets.csv:6"])
    }

    func testJSONLinesKeepTheirValuesAsJSON() throws {
        let path = try write("assets.jsonl", """
            {"path": "a.mp4", "model": "gen-3", "seed": 42}
            {"path": "b.png", "message": "fedcba9876543210", "tags": ["x", "y"]}
            """)
        let entries = try ListFile.read(path)
        XCTAssertEqual(entries.map(\.path), ["a.mp4", "b.png"])
        XCTAssertEqual(entries[0].metadata, #"{"model":"gen-3","seed":42}"#)
        XCTAssertEqual(entries[1].message, try Message(hex: "fedcba9876543210"))
        XCTAssertEqual(entries[1].metadata, #"{"tags":["x","y"]}"#)
    }

    func testBadRowsAreRefusedWithTheirLine() throws {
        let cases: [(String, String, String)] = [
            ("nopath.csv", "file,asset\na.mp4,1\n", "nopath.csv:1: the header has no \"path\" column"),
            ("short.csv", "path,asset\na.mp4,1\nb.mp4\n", "short.csv:3: 1 fields where the header has 2"),
            ("badmsg.csv", "path,message\na.mp4,xyz\n", "badmsg.csv:2: message \"xyz\" is not 16 hex digits"),
            ("open.csv", "path\n\"a.mp4\n", "open.csv:2: a quoted field is not closed"),
            ("empty.csv", "path\n", "the list has no rows"),
            ("bad.jsonl", "{\"path\": \"a.mp4\"}\n{path: b}\n", "bad.jsonl:2: not a JSON object"),
            ("nopath.jsonl", "{\"file\": \"a.mp4\"}\n", "nopath.jsonl:1: no \"path\" string"),
            ("numbermsg.jsonl", "{\"path\": \"a.mp4\", \"message\": 12}\n", "numbermsg.jsonl:1: \"message\" must be a string"),
        ]
        for (name, text, expected) in cases {
            let path = try write(name, text)
            XCTAssertThrowsError(try ListFile.read(path), name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
            }
        }
        XCTAssertThrowsError(try ListFile.read(folder.appendingPathComponent("missing.csv").path)) { error in
            XCTAssertTrue("\(error)".contains("missing.csv: cannot read the list"), "\(error)")
        }
    }
}
