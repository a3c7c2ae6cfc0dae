import Foundation
import FrameMarkCore
import FrameMarkService
import Hummingbird
import HummingbirdTesting
import TestSupport
import XCTest

/// The detection service on a real socket: a clip made and marked here, uploaded raw and as a
/// form, its job followed to the same JSON `detect --json` gives, its report and its removal;
/// every refusal the design names (401, 403, 404, 413, 422, 429, 503) with its message; the
/// page, its script, the health check and the metrics; no file left behind.
final class ServiceTests: XCTestCase {
    var clips: ClipFactory!
    var marked: String!
    var tokens: TokenStore!
    var token: String!
    let key = try! WatermarkKey(string: "service-key")

    override func setUpWithError() throws {
        clips = try ClipFactory("service")
        let input = try clips.testClip("in.mp4", seconds: 1)
        marked = clips.path("marked.mp4")
        let r = try runCommand(Self.framemark, ["embed", input, "-o", marked, "--key", "service-key", "--message", "00c0ffee00000042",
                                                "--preset", "veryfast", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        tokens = try TokenStore(path: clips.path("tokens.sqlite"))
        token = try tokens.create(name: "analyst", ratePerMinute: 600)
    }

    override func tearDown() { clips.cleanUp() }

    static var framemark: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("framemark").path
    }

    private func configuration(_ change: (inout ServiceConfiguration) -> Void = { _ in }) -> ServiceConfiguration {
        var c = ServiceConfiguration(key: key, tokens: tokens, workFolder: clips.path("work"))
        c.port = 0
        change(&c)
        return c
    }

    private var auth: HTTPFields { [.authorization: "Bearer \(token!)"] }

    private static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any], String(buffer: buffer))
    }

    private func file(_ path: String) throws -> ByteBuffer { ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path))) }

    func testADetectionFromUploadToReportToRemoval() async throws {
        let app = try DetectionService.application(configuration())
        let marked = try file(self.marked)
        let expected = try runCommand(Self.framemark, ["detect", self.marked, "--key", "service-key", "--json", "--quiet"])
        let cli = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(expected.stdout.utf8)) as? [String: Any])
        let work = clips.path("work")
        let auth = auth, tokens = self.tokens!
        try await app.test(.live) { client in
                let created = try await client.execute(uri: "/v1/detections", method: .post, headers: auth, body: marked)
                XCTAssertEqual(created.status, .accepted, String(buffer: created.body))
                let job = try Self.json(created.body)
                let id = try XCTUnwrap(job["id"] as? String)
                XCTAssertEqual(created.headers[.location], "/v1/detections/\(id)")
                var state = job
                for _ in 0..<600 where ["queued", "running"].contains(state["status"] as? String) {
                    try await Task.sleep(for: .milliseconds(50))
                    state = try Self.json(try await client.execute(uri: "/v1/detections/\(id)", method: .get, headers: auth).body)
                }
                XCTAssertEqual(state["status"] as? String, "done", "\(state)")
                XCTAssertEqual(state["progress"] as? Double, 1)
                let result = try XCTUnwrap(state["result"] as? [String: Any])
                // The same JSON as the command line's, but for the file name and the time taken.
                for field in ["detected", "confidence", "log10_p_value", "message", "transform", "segments"] {
                    XCTAssertEqual(result[field] as? NSObject, cli[field] as? NSObject, field)
                }
                XCTAssertEqual(result["message"] as? String, "00c0ffee00000042")
                XCTAssertEqual((result["frames"] as? [Any])?.count, 25)

                let report = try await client.execute(uri: "/v1/detections/\(id)/report", method: .get, headers: auth)
                XCTAssertEqual(report.status, .ok)
                XCTAssertTrue(String(buffer: report.body).contains("00c0ffee00000042"))

                let other = try tokens.create(name: "someone-else", ratePerMinute: 60)
                let hidden = try await client.execute(uri: "/v1/detections/\(id)", method: .get, headers: [.authorization: "Bearer \(other)"])
                XCTAssertEqual(hidden.status, .notFound, "a job is seen only by the token that made it")

                let deleted = try await client.execute(uri: "/v1/detections/\(id)", method: .delete, headers: auth)
                XCTAssertEqual(deleted.status, .noContent)
                let gone = try await client.execute(uri: "/v1/detections/\(id)", method: .get, headers: auth)
                XCTAssertEqual(gone.status, .notFound)
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work), [], "the job's files are removed with it")

                // A form upload, answered at once with ?wait=true.
                let boundary = "framemark-test-boundary"
                var form = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                                      + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.mp4\"\r\nContent-Type: video/mp4\r\n\r\n")
                form.writeImmutableBuffer(marked)
                form.writeString("\r\n--\(boundary)--\r\n")
                var headers = auth
                headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
                let waited = try await client.execute(uri: "/v1/detections?wait=true", method: .post, headers: headers, body: form)
                XCTAssertEqual(waited.status, .ok, String(buffer: waited.body))
                XCTAssertEqual((try Self.json(waited.body)["result"] as? [String: Any])?["message"] as? String, "00c0ffee00000042")
            }
    }

    func testRefusalsSayWhy() async throws {
        let app = try DetectionService.application(configuration { $0.maxUploadBytes = 200_000; $0.concurrentDetections = 1; $0.queueLength = 0 })
        let big = ByteBuffer(repeating: 0, count: 300_000)
        let slow = try tokens.create(name: "slow", ratePerMinute: 2)
        let revoked = try tokens.create(name: "gone", ratePerMinute: 60)
        XCTAssertTrue(try tokens.revoke(name: "gone"))
        let marked = try file(self.marked)
        let auth = auth, token = self.token!
        try await app.test(.live) { client in
                func expect(_ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields, _ body: ByteBuffer?, _ status: HTTPResponse.Status,
                            _ words: String, file: StaticString = #filePath, line: UInt = #line) async throws -> TestResponse {
                    let r = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                    XCTAssertEqual(r.status, status, String(buffer: r.body), file: file, line: line)
                    XCTAssertTrue(String(buffer: r.body).contains(words), String(buffer: r.body), file: file, line: line)
                    return r
                }
                _ = try await expect("/v1/detections", .post, [:], marked, .unauthorized, "bearer token is required")
                _ = try await expect("/v1/detections", .post, [.authorization: "Bearer fm_nonsense"], marked, .unauthorized, "unknown token")
                _ = try await expect("/v1/detections", .post, [.authorization: "Bearer \(revoked)"], marked, .forbidden, "revoked")
                _ = try await expect("/v1/detections", .post, auth, big, .contentTooLarge, "limit of 200000 bytes")
                _ = try await expect("/v1/detections", .post, auth, ByteBuffer(string: "not a video"), .unprocessableContent, "not a video or image")
                _ = try await expect("/v1/detections", .post, auth, nil, .badRequest, "no body")
                _ = try await expect("/v1/detections/nope", .get, auth, nil, .notFound, "no such detection")
                // One detection at a time and no queue: a second upload while the first runs is 503.
                let first = try await client.execute(uri: "/v1/detections", method: .post, headers: auth, body: marked)
                XCTAssertEqual(first.status, .accepted)
                let busy = try await expect("/v1/detections", .post, auth, marked, .serviceUnavailable, "too many detections")
                XCTAssertEqual(busy.headers[.retryAfter], "5")
                let id = try XCTUnwrap(try Self.json(first.body)["id"] as? String)
                let early = try await client.execute(uri: "/v1/detections/\(id)/report", method: .get, headers: auth)
                XCTAssertTrue([.conflict, .ok].contains(early.status), "\(early.status)")
                // Two requests a minute: the third is 429 with the seconds to wait.
                let s: HTTPFields = [.authorization: "Bearer \(slow)"]
                for _ in 0..<2 { _ = try await client.execute(uri: "/v1/detections/\(id)", method: .get, headers: s) }
                let limited = try await expect("/v1/detections/\(id)", .get, s, nil, .tooManyRequests, "rate limit of 2 requests a minute")
                XCTAssertNotNil(limited.headers[.retryAfter].flatMap(Int.init))

                let health = try await client.execute(uri: "/healthz", method: .get)
                XCTAssertEqual(health.status, .ok)
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                for name in ["framemark_http_requests_total{method=\"POST\",route=\"/v1/detections\",status=\"401\"} 2",
                             "framemark_http_requests_total{method=\"POST\",route=\"/v1/detections\",status=\"413\"} 1",
                             "framemark_jobs_total{outcome=\"accepted\"} 1", "framemark_jobs_in_flight", "framemark_upload_bytes_total",
                             "framemark_http_request_duration_seconds_bucket"] {
                    XCTAssertTrue(metrics.contains(name), "\(name) missing from\n\(metrics)")
                }
                XCTAssertFalse(metrics.contains(token), "a token in the metrics")
                let page = try await client.execute(uri: "/", method: .get)
                XCTAssertEqual(page.status, .ok)
                let html = String(buffer: page.body)
                XCTAssertTrue(html.contains("<script src=\"/app.js\"></script>"))
                XCTAssertEqual(html.components(separatedBy: "<script").count, 2, "the page has no inline script")
                XCTAssertTrue(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") ?? false)
                let script = try await client.execute(uri: "/app.js", method: .get)
                XCTAssertEqual(script.status, .ok)
                XCTAssertTrue(String(buffer: script.body).contains("/v1/detections"))
            }
        // Every upload that was refused left nothing behind; the accepted one is still kept.
        XCTAssertLessThanOrEqual(try FileManager.default.contentsOfDirectory(atPath: clips.path("work")).count, 1)
    }
}
