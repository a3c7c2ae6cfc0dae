import Foundation
import FrameMarkCore
import FrameMarkPipeline
import FrameMarkRegistry
import Synchronization

/// One uploaded file and what became of it.
public struct DetectionJob: Sendable {
    public enum State: String, Sendable { case queued, running, done, failed }

    public let id: String
    /// The token that created it: the only one that sees it.
    public let owner: String
    public var state: State
    /// Frames read of the frames expected, 0–1.
    public var progress: Double
    public let createdAt: Date
    public var finishedAt: Date?
    /// `detect --json`'s object (with `asset` when a registry is configured), as JSON.
    public var result: Data?
    public var error: String?
    let folder: String
    let upload: String
    var detection: FileDetection?
}

/// The detections of a service: a bounded number run at once on their own threads, the rest
/// wait in a queue of bounded length; finished jobs are kept for `retention`, then removed
/// with their files.
public final class DetectionJobs: Sendable {
    public enum SubmitError: Error, Sendable { case full }

    private let jobs = Mutex<[String: DetectionJob]>([:])
    private let slots: DispatchSemaphore
    private let capacity: Int
    private let key: WatermarkKey
    private let registry: (any AssetRegistry)?
    private let retention: Double
    private let jobsPerDetection: Int
    let metrics: ServiceMetrics

    public init(key: WatermarkKey, registry: (any AssetRegistry)?, concurrent: Int, queueLength: Int, retention: Double,
                threadsPerDetection: Int, metrics: ServiceMetrics) {
        self.key = key
        self.registry = registry
        slots = DispatchSemaphore(value: max(1, concurrent))
        capacity = max(1, concurrent) + max(0, queueLength)
        self.retention = retention
        jobsPerDetection = max(1, threadsPerDetection)
        self.metrics = metrics
    }

    /// Jobs queued or running.
    public var inFlight: Int { jobs.withLock { $0.values.filter { $0.state == .queued || $0.state == .running }.count } }

    /// Takes an uploaded file (in its own `folder`, which the job then owns) and queues it.
    public func submit(upload: String, folder: String, owner: String) throws -> DetectionJob {
        let job = DetectionJob(id: UUID().uuidString.lowercased(), owner: owner, state: .queued, progress: 0, createdAt: Date(),
                               folder: folder, upload: upload)
        try jobs.withLock { all in
            guard all.values.filter({ $0.state == .queued || $0.state == .running }).count < capacity else { throw SubmitError.full }
            all[job.id] = job
        }
        metrics.jobStarted()
        DispatchQueue.global().async { [self] in run(job.id) }
        return job
    }

    public func job(_ id: String, owner: String) -> DetectionJob? {
        jobs.withLock { all in all[id].flatMap { $0.owner == owner ? $0 : nil } }
    }

    /// Removes a job and its files; a running detection finishes into nothing.
    public func delete(_ id: String, owner: String) -> Bool {
        let removed: DetectionJob? = jobs.withLock { all in
            guard let job = all[id], job.owner == owner else { return nil }
            all[id] = nil
            return job
        }
        guard let removed else { return false }
        if removed.state == .done || removed.state == .failed { try? FileManager.default.removeItem(atPath: removed.folder) }
        return true
    }

    /// Waits until the job has ended (or `timeout` passed) and returns it.
    public func wait(_ id: String, owner: String, timeout: Double) async -> DetectionJob? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let job = job(id, owner: owner) else { return nil }
            if job.state == .done || job.state == .failed || Date() > deadline { return job }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Removes jobs that ended more than `retention` seconds ago, with their files.
    public func expire(now: Date = Date()) {
        let old: [DetectionJob] = jobs.withLock { all in
            let gone = all.values.filter { ($0.finishedAt.map { now.timeIntervalSince($0) > retention }) ?? false }
            for job in gone { all[job.id] = nil }
            return gone
        }
        for job in old { try? FileManager.default.removeItem(atPath: job.folder) }
    }

    private func update(_ id: String, _ change: (inout DetectionJob) -> Void) -> Bool {
        jobs.withLock { all in
            guard var job = all[id] else { return false }
            change(&job)
            all[id] = job
            return true
        }
    }

    private func run(_ id: String) {
        slots.wait()
        defer { slots.signal() }
        guard let upload = jobs.withLock({ $0[id]?.upload }) else { return }
        _ = update(id) { $0.state = .running }
        let start = Date()
        var outcome: Result<(FileDetection, Data), any Error>
        do {
            var detection = WatermarkDetection(jobs: jobsPerDetection, quiet: true)
            detection.onProgress = { [self] done, total in
                _ = update(id) { $0.progress = total.map { min(0.99, Double(done) / Double(max($0, 1))) } ?? 0 }
            }
            let found = try FileDetection.run(upload, key: key, detection: detection)
            var object = found.object
            object["file"] = nil
            if let registry { object["asset"] = (try found.message.flatMap { try registry.asset(message: $0) }).map(AssetExport.object) ?? NSNull() }
            outcome = .success((found, try FileDetection.data(object)))
        } catch {
            outcome = .failure(error)
        }
        let seconds = Date().timeIntervalSince(start)
        let kept = update(id) { job in
            job.finishedAt = Date()
            job.progress = 1
            switch outcome {
            case .success(let (found, data)): job.state = .done; job.result = data; job.detection = found
            case .failure(let error): job.state = .failed; job.error = "\(error)".replacingOccurrences(of: upload, with: "the upload")
            }
        }
        // The upload is not needed once read (the report decodes it again: keep it while the job is kept).
        if !kept { try? FileManager.default.removeItem(atPath: (upload as NSString).deletingLastPathComponent) }
        metrics.jobFinished(seconds: seconds, failed: (try? outcome.get()) == nil)
    }

    /// The job's report page (written on first request, beside the upload).
    public func report(_ id: String, owner: String) throws -> String? {
        guard let job = job(id, owner: owner), let detection = job.detection else { return nil }
        let path = job.folder + "/report.html"
        if !FileManager.default.fileExists(atPath: path) {
            let asset = try detection.message.flatMap { try registry?.asset(message: $0) }
            try detection.writeReport(to: path, asset: asset.map(AssetExport.facts) ?? [])
        }
        return path
    }
}
