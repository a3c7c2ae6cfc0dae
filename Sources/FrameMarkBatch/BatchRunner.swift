import Foundation
import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline
import FrameMarkRegistry

/// How every file of a batch is marked: the same choices as `framemark embed`.
public struct BatchSettings: Sendable {
    public var strength: Float
    public var attached: Bool
    public var tiles: Bool
    public var encoder: EncoderSettings
    /// JPEG and WebP quality of marked images.
    public var quality: Int
    /// Worker threads of each file's per-frame stage.
    public var jobs: Int

    public init(strength: Float = 1, attached: Bool = true, tiles: Bool = false, encoder: EncoderSettings = EncoderSettings(),
                quality: Int = 92, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.strength = strength
        self.attached = attached
        self.tiles = tiles
        self.encoder = encoder
        self.quality = quality
        self.jobs = jobs
    }

    /// What the registry keeps of them, as JSON.
    var json: String {
        let object: [String: Any] = ["grid": attached ? "attached" : "fixed", "tiles": tiles, "crf": encoder.crf,
                                     "preset": encoder.preset, "quality": quality]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// What became of one file.
public struct BatchResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Marked now, with this many frames.
        case marked(frames: Int)
        /// Marked by an earlier run, its output unchanged since.
        case skipped
        case failed(String)
    }

    public var item: BatchItem
    public var outcome: Outcome
    /// The message the output carries (nil when none was issued: a file that could not be read).
    public var message: Message?
    public var seconds: Double
    /// Of `seconds`: in the registry's calls, and hashing the input and output.
    public var registrySeconds: Double
    public var hashSeconds: Double
    /// Bytes of the input, for the progress estimate.
    public var inputBytes: Int64
}

/// Wall time spent in the steps of one file that are not marking.
private struct StepClock {
    var registry = 0.0, hashing = 0.0

    mutating func registry<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { registry += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }

    mutating func hash(_ path: String) throws -> String {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { hashing += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try FileDigest.sha256(of: path)
    }
}

/// Marks the files of a batch, each under its own message from the registry.
///
/// Each file's way: leftovers of a killed run beside its output removed; its row in the
/// registry looked up; skipped when the row is done and both the input and the output still
/// have their recorded hashes; otherwise the input hashed, a message reserved (the row's own
/// when it has one: a file is never marked under two messages), the file marked into a
/// temporary file renamed into place, the output hashed and the row finished. A file that fails
/// is recorded as failed with the cause, and the batch goes on.
public struct BatchRunner: Sendable {
    public var registry: any AssetRegistry
    public var key: WatermarkKey
    public var settings: BatchSettings
    public var toolVersion: String

    public init(registry: any AssetRegistry, key: WatermarkKey, settings: BatchSettings, toolVersion: String) {
        self.registry = registry
        self.key = key
        self.settings = settings
        self.toolVersion = toolVersion
    }

    /// Marks `items`, `parallel` files at a time; `report` is called (serially) as each ends.
    public func run(_ items: [BatchItem], parallel: Int = 1, report: @escaping @Sendable (BatchResult) -> Void = { _ in }) -> [BatchResult] {
        let queue = WorkQueue(count: items.count)
        let results = ResultSlots(count: items.count)
        let reporting = NSLock()
        DispatchQueue.concurrentPerform(iterations: max(1, min(parallel, items.count))) { _ in
            while let i = queue.next() {
                let result = mark(items[i])
                results.set(i, result)
                reporting.withLock { report(result) }
            }
        }
        return results.all
    }

    /// One file, start to end; never throws (a failure is the outcome).
    public func mark(_ item: BatchItem) -> BatchResult {
        let start = Date()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: item.input)[.size] as? Int64) ?? 0
        var clock = StepClock()
        func result(_ outcome: BatchResult.Outcome, _ message: Message?) -> BatchResult {
            BatchResult(item: item, outcome: outcome, message: message, seconds: Date().timeIntervalSince(start),
                        registrySeconds: clock.registry, hashSeconds: clock.hashing, inputBytes: bytes)
        }
        var reserved: Asset?
        do {
            TemporaryFiles.removeStale(beside: item.output)
            let existing = try clock.registry { try registry.asset(outputPath: item.output) }
            if let existing {
                guard existing.inputPath == item.input else {
                    throw BatchError("\(item.output) was issued message \(existing.message.hex) for another input, \(existing.inputPath)")
                }
                if let wanted = item.message, wanted != existing.message {
                    throw BatchError("\(item.output) was issued message \(existing.message.hex) before, not \(wanted.hex) as the list asks")
                }
            }
            let inputHash = try clock.hash(item.input)
            if let existing, existing.status == .done, existing.inputSHA256 == inputHash,
               FileManager.default.fileExists(atPath: item.output), try clock.hash(item.output) == existing.outputSHA256 {
                return result(.skipped, existing.message)
            }
            let request = AssetRequest(
                inputPath: item.input, inputSHA256: inputHash, outputPath: item.output, keyFingerprint: key.fingerprint,
                strength: Double(settings.strength), settings: settings.json, toolVersion: toolVersion,
                message: item.message, metadata: item.metadata)
            let asset = try clock.registry { try registry.reserve(request) }
            reserved = asset
            if existing != nil { try clock.registry { try registry.begin(asset.id, inputSHA256: inputHash) } }
            let frames = try markReserved(item, asset, &clock)
            return result(.marked(frames: frames), asset.message)
        } catch {
            let reason = "\(error)"
            if let reserved { try? clock.registry { try registry.fail(reserved.id, error: reason) } }
            return result(.failed(reason), reserved?.message)
        }
    }

    /// The rest of a file's way once its row is pending: marked into place, hashed, finished.
    private func markReserved(_ item: BatchItem, _ asset: Asset, _ clock: inout StepClock) throws -> Int {
        try FileManager.default.createDirectory(atPath: (item.output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let frames = try embed(item, message: asset.message)
        let outputHash = try clock.hash(item.output)
        try clock.registry { try registry.finish(asset.id, outputSHA256: outputHash) }
        return frames
    }

    /// Marks the files of a queue shared with other workers (`WorkQueueRegistry`, PostgreSQL):
    /// enqueues `items` (rows already there are kept, failed ones retried), then claims pending
    /// rows one at a time under `lease`, renewed while each file is marked, until none is left:
    /// while others still hold leases it waits, so a file whose worker died is taken over once
    /// its lease runs out. Returns what this worker did.
    public func work(_ items: [BatchItem], queue: String, worker: String, lease: Duration, parallel: Int = 1,
                     report: @escaping @Sendable (BatchResult) -> Void = { _ in }) throws -> [BatchResult] {
        guard let shared = registry as? any WorkQueueRegistry else { throw BatchError("a shared queue needs a PostgreSQL registry") }
        for item in items {
            // The input is hashed when its row is claimed, not here by every worker.
            _ = try shared.enqueue(AssetRequest(
                inputPath: item.input, inputSHA256: "", outputPath: item.output, keyFingerprint: key.fingerprint,
                strength: Double(settings.strength), settings: settings.json, toolVersion: toolVersion,
                message: item.message, metadata: item.metadata), queue: queue)
        }
        let byOutput = Dictionary(items.map { ($0.output, $0) }, uniquingKeysWith: { a, _ in a })
        let results = ResultSlots(count: 0)
        let reporting = NSLock()
        let failure = ResultBox()
        DispatchQueue.concurrentPerform(iterations: max(1, parallel)) { slot in
            let name = parallel > 1 ? "\(worker)/\(slot)" : worker
            do {
                while true {
                    guard let asset = try shared.claim(queue: queue, worker: name, lease: lease) else {
                        if try shared.pendingCount(queue: queue) == 0 { return }
                        Thread.sleep(forTimeInterval: min(1, Double(lease.components.seconds) / 4 + 0.05))
                        continue
                    }
                    let item = byOutput[asset.outputPath] ?? BatchItem(input: asset.inputPath, output: asset.outputPath,
                                                                       relativeOutput: (asset.outputPath as NSString).lastPathComponent,
                                                                       message: asset.message, metadata: asset.metadata, origin: asset.inputPath)
                    let result = markClaimed(item, asset, shared: shared, worker: name, lease: lease)
                    results.append(result)
                    reporting.withLock { report(result) }
                }
            } catch {
                failure.set(error)
            }
        }
        if let error = failure.error { throw error }
        return results.all
    }

    /// One claimed file, its lease renewed every third of it meanwhile.
    private func markClaimed(_ item: BatchItem, _ asset: Asset, shared: any WorkQueueRegistry, worker: String, lease: Duration) -> BatchResult {
        let start = Date()
        var clock = StepClock()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: item.input)[.size] as? Int64) ?? 0
        let renewal = DispatchSource.makeTimerSource(queue: .global())
        let period = max(0.2, Double(lease.components.seconds) / 3)
        renewal.schedule(deadline: .now() + period, repeating: period)
        renewal.setEventHandler { _ = try? shared.renew(asset.id, worker: worker, lease: lease) }
        renewal.resume()
        defer { renewal.cancel() }
        func result(_ outcome: BatchResult.Outcome) -> BatchResult {
            BatchResult(item: item, outcome: outcome, message: asset.message, seconds: Date().timeIntervalSince(start),
                        registrySeconds: clock.registry, hashSeconds: clock.hashing, inputBytes: bytes)
        }
        do {
            TemporaryFiles.removeStale(beside: item.output)
            let inputHash = try clock.hash(item.input)
            try clock.registry { try shared.begin(asset.id, inputSHA256: inputHash) }
            return result(.marked(frames: try markReserved(item, asset, &clock)))
        } catch {
            try? clock.registry { try shared.fail(asset.id, error: "\(error)") }
            return result(.failed("\(error)"))
        }
    }

    /// Marks one file (a video or a picture, told by its content) and returns its frame count.
    private func embed(_ item: BatchItem, message: Message) throws -> Int {
        let outputIsImage = StillImage.Format(path: item.output) != nil
        if StillImage.isImage(item.input) {
            guard outputIsImage else { throw BatchError("\(item.input): an image is marked into an image, not \(item.output)") }
            _ = try ImageWatermarking(strength: settings.strength, quality: settings.quality)
                .run(input: item.input, output: item.output, key: key, message: message)
            return 1
        }
        guard !outputIsImage else { throw BatchError("\(item.input): not an image, so it cannot be marked into \(item.output)") }
        let embedding = WatermarkEmbedding(
            transcoder: Transcoder(settings: settings.encoder, jobs: settings.jobs, quiet: true, progressLabel: "batch"),
            strength: settings.strength, attached: settings.attached, tiles: settings.tiles)
        return try embedding.run(input: item.input, output: item.output, key: key, message: message).frames
    }
}

/// Hands out indices 0..<count once each, to whichever worker asks first.
private final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func next() -> Int? {
        lock.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }
}

private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [BatchResult?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: BatchResult) { lock.withLock { slots[i] = r } }
    func append(_ r: BatchResult) { lock.withLock { slots.append(r) } }
    var all: [BatchResult] { lock.withLock { slots.compactMap { $0 } } }
}

/// The first error any worker thread met.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?
    func set(_ e: any Error) { lock.withLock { if first == nil { first = e } } }
    var error: (any Error)? { lock.withLock { first } }
}
