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
    /// Bytes of the input, for the progress estimate.
    public var inputBytes: Int64
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
        func result(_ outcome: BatchResult.Outcome, _ message: Message?) -> BatchResult {
            BatchResult(item: item, outcome: outcome, message: message, seconds: Date().timeIntervalSince(start), inputBytes: bytes)
        }
        var reserved: Asset?
        do {
            TemporaryFiles.removeStale(beside: item.output)
            let existing = try registry.asset(outputPath: item.output)
            if let existing {
                guard existing.inputPath == item.input else {
                    throw BatchError("\(item.output) was issued message \(existing.message.hex) for another input, \(existing.inputPath)")
                }
                if let wanted = item.message, wanted != existing.message {
                    throw BatchError("\(item.output) was issued message \(existing.message.hex) before, not \(wanted.hex) as the list asks")
                }
            }
            let inputHash = try FileDigest.sha256(of: item.input)
            if let existing, existing.status == .done, existing.inputSHA256 == inputHash,
               FileManager.default.fileExists(atPath: item.output), try FileDigest.sha256(of: item.output) == existing.outputSHA256 {
                return result(.skipped, existing.message)
            }
            let asset = try registry.reserve(AssetRequest(
                inputPath: item.input, inputSHA256: inputHash, outputPath: item.output, keyFingerprint: key.fingerprint,
                strength: Double(settings.strength), settings: settings.json, toolVersion: toolVersion,
                message: item.message, metadata: item.metadata))
            reserved = asset
            if existing != nil { try registry.begin(asset.id, inputSHA256: inputHash) }
            try FileManager.default.createDirectory(atPath: (item.output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let frames = try embed(item, message: asset.message)
            try registry.finish(asset.id, outputSHA256: try FileDigest.sha256(of: item.output))
            return result(.marked(frames: frames), asset.message)
        } catch {
            let reason = "\(error)"
            if let reserved { try? registry.fail(reserved.id, error: reason) }
            return result(.failed(reason), reserved?.message)
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
    var all: [BatchResult] { lock.withLock { slots.compactMap { $0 } } }
}
