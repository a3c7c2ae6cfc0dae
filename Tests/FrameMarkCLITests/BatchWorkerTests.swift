import Foundation
import TestSupport
import XCTest

/// Two `framemark batch --worker` processes sharing one queue on a real PostgreSQL server: one
/// is killed with SIGKILL in the middle of a file; the other finishes every file, the dead
/// worker's once its lease runs out, and every file ends marked once under its own message.
final class BatchWorkerTests: XCTestCase {
    func testTwoWorkersShareFortyFilesAndOneDies() throws {
        guard let server = ProcessInfo.processInfo.environment["FRAMEMARK_TEST_POSTGRES"] else {
            throw XCTSkip("no PostgreSQL server: scripts/test starts one and sets FRAMEMARK_TEST_POSTGRES")
        }
        let database = "framemark_workers_\(UUID().uuidString.prefix(8).lowercased())"
        XCTAssertEqual(try runCommand("psql", [server, "-q", "-c", "CREATE DATABASE \(database)"]).status, 0)
        defer { _ = try? runCommand("psql", [server, "-q", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"]) }
        let url = server.replacingOccurrences(of: "/postgres?", with: "/\(database)?")

        let clips = try ClipFactory("batch-workers")
        defer { clips.cleanUp() }
        try FileManager.default.createDirectory(atPath: clips.path("in"), withIntermediateDirectories: true)
        let count = 40
        for i in 0..<count { try clips.testClip("in/clip\(i).mp4", width: 256, height: 144, seconds: 1.2, filter: "hue=h=\(i * 9)") }
        let framemark = CommandLineTests.executable
        var environment = ProcessInfo.processInfo.environment
        environment["FRAMEMARK_KEY"] = "batch-worker-key"
        let arguments = ["batch", clips.path("in"), "-o", clips.path("out"), "--registry", url, "--worker", "--lease", "2",
                         "--preset", "veryfast", "--jobs", "1", "--parallel", "1", "--quiet"]
        let doomed = try startCommand(framemark, arguments, environment: environment)
        let survivor = try startCommand(framemark, arguments, environment: environment)
        // Kill the first worker while it is writing a file (its temporary file names its pid).
        let mark = ".framemark-\(doomed.processIdentifier)-"
        let deadline = Date().addingTimeInterval(60)
        var caught = false
        while Date() < deadline && doomed.isRunning {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: clips.path("out"))) ?? []
            if files.contains(where: { $0.contains(mark) }) && Date() > deadline.addingTimeInterval(-59.5) {
                kill(doomed.processIdentifier, SIGKILL)
                caught = true
                break
            }
            usleep(5_000)
        }
        doomed.waitUntilExit()
        XCTAssertTrue(caught, "the first worker was never caught writing a file")
        survivor.waitUntilExit()
        XCTAssertEqual(survivor.terminationStatus, 0)

        let export = try runCommand(framemark, ["registry", "export", "--registry", url, "--format", "jsonl"], environment: environment)
        XCTAssertEqual(export.status, 0, export.stderr)
        let assets = try export.stdout.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(assets.count, count)
        XCTAssertEqual(Set(assets.compactMap { $0["message"] as? String }).count, count, "no message issued twice")
        for asset in assets {
            let output = try XCTUnwrap(asset["output_path"] as? String)
            XCTAssertEqual(asset["status"] as? String, "done", output)
            let sha = try runCommand("sha256sum", [output]).stdout.split(separator: " ").first.map(String.init)
            XCTAssertEqual(asset["output_sha256"] as? String, sha, output)
        }
        // Each file claimed once, but the one the dead worker held: claimed again after its lease.
        let claims = try runCommand("psql", [url, "-At", "-c", "SELECT claims FROM asset ORDER BY id"]).stdout.split(separator: "\n").compactMap { Int($0) }
        XCTAssertEqual(claims.count, count)
        XCTAssertEqual(claims.filter { $0 == 2 }.count, 1, "the dead worker's file was taken over once: \(claims)")
        XCTAssertEqual(claims.filter { $0 == 1 }.count, count - 1, "\(claims)")
        // The taken-over file and a few others read their messages.
        let retaken = try runCommand("psql", [url, "-At", "-c", "SELECT output_path, message FROM asset WHERE claims = 2"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        XCTAssertEqual(retaken.count, 2, "no file was taken over")
        let taken = retaken.count == 2 ? [(retaken[0], retaken[1])] : []
        for (output, message) in taken + assets.prefix(3).map({ ($0["output_path"] as! String, $0["message"] as! String) }) {
            let r = try runCommand(framemark, ["detect", output, "--json", "--quiet"], environment: environment)
            let read = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            XCTAssertEqual(read?["message"] as? String, message, output)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: clips.path("out")).filter { $0.contains(".framemark-") }
        XCTAssertEqual(leftovers.count, 0, "\(leftovers)")
    }
}
