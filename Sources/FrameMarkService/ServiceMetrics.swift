import Foundation
import Synchronization

/// The service's counters, in Prometheus' text format for `GET /metrics`.
public final class ServiceMetrics: Sendable {
    private struct Counts {
        var requests: [String: Int] = [:]     // "method route status"
        var jobsStarted = 0, jobsDone = 0, jobsFailed = 0
        var bytesReceived = 0
        var detectionSeconds = 0.0
        var requestSeconds: [Double] = Array(repeating: 0, count: ServiceMetrics.bounds.count + 1)
        var requestSecondsSum = 0.0, requestCount = 0
    }
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    private let counts = Mutex(Counts())

    public init() {}

    func request(method: String, route: String, status: Int, seconds: Double) {
        counts.withLock { c in
            c.requests["\(method) \(route) \(status)", default: 0] += 1
            let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
            c.requestSeconds[bucket] += 1
            c.requestSecondsSum += seconds
            c.requestCount += 1
        }
    }

    func received(bytes: Int) { counts.withLock { $0.bytesReceived += bytes } }
    func jobStarted() { counts.withLock { $0.jobsStarted += 1 } }
    func jobFinished(seconds: Double, failed: Bool) {
        counts.withLock { c in
            if failed { c.jobsFailed += 1 } else { c.jobsDone += 1 }
            c.detectionSeconds += seconds
        }
    }

    /// The text exposition, with the queue depth read now.
    func text(inFlight: Int) -> String {
        let c = counts.withLock { $0 }
        var out = "# HELP framemark_http_requests_total HTTP requests by method, route and status.\n# TYPE framemark_http_requests_total counter\n"
        for (k, v) in c.requests.sorted(by: { $0.key < $1.key }) {
            let p = k.split(separator: " ", maxSplits: 2).map(String.init)
            out += "framemark_http_requests_total{method=\"\(p[0])\",route=\"\(p[1])\",status=\"\(p[2])\"} \(v)\n"
        }
        out += "# HELP framemark_http_request_duration_seconds Time to answer a request.\n# TYPE framemark_http_request_duration_seconds histogram\n"
        var cumulative = 0.0
        for (i, b) in Self.bounds.enumerated() {
            cumulative += c.requestSeconds[i]
            out += "framemark_http_request_duration_seconds_bucket{le=\"\(b)\"} \(Int(cumulative))\n"
        }
        out += "framemark_http_request_duration_seconds_bucket{le=\"+Inf\"} \(c.requestCount)\n"
        out += "framemark_http_request_duration_seconds_sum \(c.requestSecondsSum)\nframemark_http_request_duration_seconds_count \(c.requestCount)\n"
        out += "# HELP framemark_jobs_total Detection jobs by outcome.\n# TYPE framemark_jobs_total counter\n"
        out += "framemark_jobs_total{outcome=\"accepted\"} \(c.jobsStarted)\nframemark_jobs_total{outcome=\"done\"} \(c.jobsDone)\nframemark_jobs_total{outcome=\"failed\"} \(c.jobsFailed)\n"
        out += "# HELP framemark_jobs_in_flight Detection jobs queued or running.\n# TYPE framemark_jobs_in_flight gauge\nframemark_jobs_in_flight \(inFlight)\n"
        out += "# HELP framemark_upload_bytes_total Bytes of uploads received.\n# TYPE framemark_upload_bytes_total counter\nframemark_upload_bytes_total \(c.bytesReceived)\n"
        out += "# HELP framemark_detection_seconds_total Time spent detecting.\n# TYPE framemark_detection_seconds_total counter\nframemark_detection_seconds_total \(c.detectionSeconds)\n"
        return out
    }
}
