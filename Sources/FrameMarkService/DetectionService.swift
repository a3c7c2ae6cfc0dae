import Foundation
import FrameMarkMedia
import Hummingbird
import Logging
import ServiceLifecycle

/// `framemark serve`: the detection API and its page.
///
/// `POST /v1/detections` streams the upload to a file of its own and queues a job (202 with its
/// id; `?wait=true` answers with the result when it comes within `waitSeconds`);
/// `GET /v1/detections/{id}` gives its state, progress and, when done, `detect --json`'s object;
/// `GET …/report` the HTML report; `DELETE …` removes it and its files. `/healthz`, `/metrics`
/// and the page at `/` need no token; everything under `/v1` does.
public enum DetectionService {
    public static func application(_ configuration: ServiceConfiguration) throws -> some ApplicationProtocol {
        try prepare(folder: configuration.workFolder)
        let metrics = ServiceMetrics()
        let jobs = DetectionJobs(key: configuration.key, registry: configuration.registry, concurrent: configuration.concurrentDetections,
                                 queueLength: configuration.queueLength, retention: configuration.retentionSeconds,
                                 threadsPerDetection: max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, configuration.concurrentDetections)),
                                 metrics: metrics)
        let router = Router(context: ServiceContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: ServicePage.policy],
                     body: .init(byteBuffer: ByteBuffer(string: ServicePage.html)))
        }
        router.get("app.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ServicePage.script)))
        }
        router.get("healthz") { _, _ in ServiceResponse.json(.ok, ["status": "ok", "jobs_in_flight": jobs.inFlight]) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text(inFlight: jobs.inFlight))))
        }
        let api = router.group("v1/detections").add(middleware: AccessMiddleware(tokens: configuration.tokens, limiter: RateLimiter()))
        api.post { request, context in
            try await Self.create(request, context, jobs: jobs, configuration: configuration, metrics: metrics)
        }
        api.get(":id") { _, context in
            guard let job = jobs.job(try context.parameters.require("id"), owner: context.tokenName ?? "") else {
                return ServiceResponse.error(.notFound, "no such detection")
            }
            return ServiceResponse.json(.ok, try Self.describe(job))
        }
        api.get(":id/report") { _, context in
            let id = try context.parameters.require("id")
            guard let job = jobs.job(id, owner: context.tokenName ?? "") else { return ServiceResponse.error(.notFound, "no such detection") }
            guard job.state == .done, let path = try jobs.report(id, owner: context.tokenName ?? "") else {
                return ServiceResponse.error(.conflict, "the detection is \(job.state.rawValue): its report comes when it is done")
            }
            let html = try Data(contentsOf: URL(fileURLWithPath: path))
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: html)))
        }
        api.delete(":id") { _, context in
            jobs.delete(try context.parameters.require("id"), owner: context.tokenName ?? "")
                ? Response(status: .noContent) : ServiceResponse.error(.notFound, "no such detection")
        }
        let sweeper = Sweeper(jobs: jobs, every: min(60, max(1, configuration.retentionSeconds / 4)))
        return Application(router: router,
                           server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)))),
                           configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "framemark"),
                           services: [sweeper],
                           logger: Self.logger)
    }

    /// The access log leaves out headers (tokens) and bodies; errors only.
    static let logger: Logger = {
        var l = Logger(label: "framemark.serve")
        l.logLevel = .error
        return l
    }()

    /// The work folder, emptied of a previous run's files (a restart leaves none behind).
    static func prepare(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("job-") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    static func create(_ request: Request, _ context: ServiceContext, jobs: DetectionJobs, configuration: ServiceConfiguration,
                       metrics: ServiceMetrics) async throws -> Response {
        let limit = configuration.maxUploadBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            return ServiceResponse.error(.contentTooLarge, "the upload is \(length) bytes; the limit is \(limit)")
        }
        let folder = configuration.workFolder + "/job-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(atPath: folder) } }
        let upload = folder + "/upload"
        guard FileManager.default.createFile(atPath: upload, contents: nil), let file = FileHandle(forWritingAtPath: upload) else {
            return ServiceResponse.error(.internalServerError, "cannot store the upload")
        }
        var received = 0
        do {
            defer { try? file.close() }
            for try await buffer in request.body {
                received += buffer.readableBytes
                guard received <= limit else {
                    metrics.received(bytes: received)
                    return ServiceResponse.error(.contentTooLarge, "the upload is larger than the limit of \(limit) bytes")
                }
                try file.write(contentsOf: buffer.readableBytesView)
            }
        }
        metrics.received(bytes: received)
        guard received > 0 else { return ServiceResponse.error(.badRequest, "the request has no body: send the video or image as the body") }
        if let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data") {
            do { try Multipart.extractFirstFile(upload, contentType: type) } catch {
                return ServiceResponse.error(.badRequest, "\(error)")
            }
        }
        // Refuse what cannot be read, or is too long, before it takes a place in the queue.
        do {
            let info = try MediaProbe.probe(upload)
            guard info.videoStream != nil else { throw ServiceError("no picture in it") }
            if let seconds = info.durationSeconds, seconds > configuration.maxSeconds {
                return ServiceResponse.error(.contentTooLarge, String(format: "the video is %.0f s long; the limit is %.0f s", seconds, configuration.maxSeconds))
            }
        } catch {
            return ServiceResponse.error(.unprocessableContent, "not a video or image FrameMark can read: " + "\(error)".replacingOccurrences(of: upload, with: "the upload"))
        }
        let job: DetectionJob
        do { job = try jobs.submit(upload: upload, folder: folder, owner: context.tokenName ?? "") } catch {
            return ServiceResponse.error(.serviceUnavailable, "too many detections waiting; retry shortly", headers: [.retryAfter: "5"])
        }
        keep = true
        if request.uri.queryParameters["wait"] == "true", let done = await jobs.wait(job.id, owner: job.owner, timeout: configuration.waitSeconds),
           done.state == .done || done.state == .failed {
            return ServiceResponse.json(.ok, try describe(done))
        }
        return ServiceResponse.json(.accepted, try describe(job), headers: [.location: "/v1/detections/\(job.id)"])
    }

    static func describe(_ job: DetectionJob) throws -> [String: Any] {
        var o: [String: Any] = ["id": job.id, "status": job.state.rawValue, "progress": (job.progress * 1000).rounded() / 1000,
                                "created_at": job.createdAt.formatted(.iso8601), "report": "/v1/detections/\(job.id)/report"]
        if let f = job.finishedAt { o["finished_at"] = f.formatted(.iso8601) }
        if let e = job.error { o["error"] = e }
        if let r = job.result { o["result"] = try JSONSerialization.jsonObject(with: r) }
        return o
    }
}

/// Removes expired jobs in the background while the service runs.
struct Sweeper: Service {
    let jobs: DetectionJobs
    let every: Double

    func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(every))
            jobs.expire()
        }
    }
}
