import Foundation
import FrameMarkCore
import FrameMarkRegistry
import TestSupport
import XCTest

/// The registry on a real PostgreSQL server (`scripts/test` starts one and names it in
/// FRAMEMARK_TEST_POSTGRES): the same rules as SQLite's, plus the shared queue's claims and
/// leases. Each test gets a database of its own.
final class PostgresRegistryTests: XCTestCase {
    var url: String!
    var database: String!

    override func setUpWithError() throws {
        guard let server = ProcessInfo.processInfo.environment["FRAMEMARK_TEST_POSTGRES"] else {
            throw XCTSkip("no PostgreSQL server: scripts/test starts one (scripts/postgres-for-tests) and sets FRAMEMARK_TEST_POSTGRES")
        }
        database = "framemark_\(UUID().uuidString.prefix(8).lowercased())"
        let created = try runCommand("psql", [server, "-q", "-c", "CREATE DATABASE \(database!)"])
        XCTAssertEqual(created.status, 0, created.stderr)
        url = server.replacingOccurrences(of: "/postgres?", with: "/\(database!)?")
    }

    override func tearDownWithError() throws {
        guard let server = ProcessInfo.processInfo.environment["FRAMEMARK_TEST_POSTGRES"], let database else { return }
        _ = try runCommand("psql", [server, "-q", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"])
    }

    private func request(_ output: String, message: Message? = nil) throws -> AssetRequest {
        AssetRequest(inputPath: "in/\(output)", inputSHA256: String(repeating: "a", count: 64), outputPath: "out/\(output)",
                     keyFingerprint: try WatermarkKey(string: "registry-key").fingerprint, strength: 1, settings: #"{"crf":23}"#,
                     toolVersion: "test", message: message, metadata: #"{"asset_id":"A-1"}"#)
    }

    func testTheRegistryKeepsSQLitesRules() throws {
        let registry = try PostgresAssetRegistry(url: url)
        let first = try registry.reserve(try request("a.mp4"))
        XCTAssertEqual(first.status, .pending)
        XCTAssertEqual(try registry.reserve(try request("a.mp4")).message, first.message, "an output keeps its message")
        try registry.finish(first.id, outputSHA256: String(repeating: "b", count: 64))
        let reopened = try PostgresAssetRegistry(url: url)
        let found = try XCTUnwrap(try reopened.asset(message: first.message))
        XCTAssertEqual(found.status, .done)
        XCTAssertEqual(found.outputSHA256, String(repeating: "b", count: 64))
        XCTAssertEqual(found.metadata, #"{"asset_id":"A-1"}"#)

        let chosen = try Message(hex: "00c0ffee00000001")
        _ = try registry.reserve(try request("b.mp4", message: chosen))
        XCTAssertThrowsError(try registry.reserve(try request("c.mp4", message: chosen))) {
            XCTAssertTrue("\($0)".contains("already issued"), "\($0)")
        }
        XCTAssertThrowsError(try registry.reserve(try request("a.mp4", message: chosen))) {
            XCTAssertTrue("\($0)".contains("already reserved"), "\($0)")
        }
        let failed = try registry.reserve(try request("d.mp4"))
        try registry.fail(failed.id, error: "broken input")
        XCTAssertEqual(try registry.asset(outputPath: "out/d.mp4")?.error, "broken input")
        var seen: [String] = []
        try registry.forEachAsset(status: nil) { seen.append($0.outputPath) }
        XCTAssertEqual(seen, ["out/a.mp4", "out/b.mp4", "out/d.mp4"])
        XCTAssertThrowsError(try PostgresAssetRegistry(url: "postgres://postgres@127.0.0.1:1/none?sslmode=disable")) {
            XCTAssertTrue("\($0)".contains("cannot open the registry"), "\($0)")
        }
    }

    func testAClaimIsExclusiveUntilItsLeaseRunsOut() throws {
        let registry = try PostgresAssetRegistry(url: url)
        for name in ["a.mp4", "b.mp4"] { _ = try registry.enqueue(try request(name), queue: "q") }
        _ = try registry.enqueue(try request("other.mp4"), queue: "elsewhere")
        XCTAssertEqual(try registry.pendingCount(queue: "q"), 2)
        let a = try XCTUnwrap(try registry.claim(queue: "q", worker: "w1", lease: .seconds(1)))
        let b = try XCTUnwrap(try registry.claim(queue: "q", worker: "w2", lease: .seconds(30)))
        XCTAssertNotEqual(a.id, b.id)
        XCTAssertNil(try registry.claim(queue: "q", worker: "w3", lease: .seconds(30)), "both rows are leased")
        XCTAssertTrue(try registry.renew(b.id, worker: "w2", lease: .seconds(30)))
        XCTAssertFalse(try registry.renew(b.id, worker: "w3", lease: .seconds(30)), "only the holder renews")
        // w1 dies: its row comes back when the lease runs out, to another worker.
        Thread.sleep(forTimeInterval: 1.3)
        let taken = try XCTUnwrap(try registry.claim(queue: "q", worker: "w3", lease: .seconds(30)))
        XCTAssertEqual(taken.id, a.id)
        XCTAssertEqual(taken.message, a.message, "the file keeps its message")
        XCTAssertEqual(try registry.claims(a.id), 2)
        try registry.finish(a.id, outputSHA256: "x")
        try registry.fail(b.id, error: "broken")
        XCTAssertEqual(try registry.pendingCount(queue: "q"), 0)
        // A new run retries the failed row, under the same message.
        let again = try registry.enqueue(try request("b.mp4"), queue: "q")
        XCTAssertEqual(again.status, .pending)
        XCTAssertEqual(again.message, b.message)
    }
}
