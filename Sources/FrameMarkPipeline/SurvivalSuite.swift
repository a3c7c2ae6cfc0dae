import FrameMarkCore
import FrameMarkMedia
import Foundation

/// One attack's outcome.
public struct AttackResult: Sendable {
    public var name: String
    public var detected: Bool
    public var message: Message?
    public var messageOK: Bool
    public var frameDetectionRate: Double
    public var log10PValue: Double
    public var seconds: Double

    public init(name: String, detected: Bool, message: Message?, messageOK: Bool, frameDetectionRate: Double,
                log10PValue: Double, seconds: Double) {
        self.name = name
        self.detected = detected
        self.message = message
        self.messageOK = messageOK
        self.frameDetectionRate = frameDetectionRate
        self.log10PValue = log10PValue
        self.seconds = seconds
    }
}

/// Frame-to-frame change of a video's difference from its source (`TemporalFlicker`).
public struct FlickerFigures: Sendable {
    public var rms: Double
    public var tail: Double

    init(_ f: TemporalFlicker) {
        rms = f.rms
        tail = f.tail
    }
}

/// What `survive` measured for one strength.
public struct SurvivalReport: Sendable {
    public var input: String
    public var strength: Float?
    /// Luma PSNR / SSIM of the marked output against the source (nil with `--marked`).
    public var psnr: Double?
    public var ssim: Double?
    /// Video bytes of the marked output over those of `transcode` at the same settings, minus 1.
    public var bitrateIncrease: Double?
    /// Flicker of the marked output against the source, and of the unmarked control encode
    /// (the codec's own), in luma levels (see `TemporalFlicker`): RMS and 99.9th percentile.
    public var flicker: FlickerFigures?
    public var controlFlicker: FlickerFigures?
    /// The suite embedded with the grid following the picture (`--grid attached`, the default).
    public var attached = true
    /// Embed the geometry layer too (`WatermarkEmbedding.tiles`); copies the frame's own grid
    /// reads nothing in are then read by it, as `detect` does.
    public var tiles = false
    public var attacks: [AttackResult]

    public init(input: String, strength: Float?, psnr: Double? = nil, ssim: Double? = nil, bitrateIncrease: Double? = nil,
                attacks: [AttackResult]) {
        self.input = input
        self.strength = strength
        self.psnr = psnr
        self.ssim = ssim
        self.bitrateIncrease = bitrateIncrease
        self.attacks = attacks
    }
}

/// Embeds (unless the input is already marked), runs attacks on the marked video in-process
/// (libavfilter + libavcodec), and detects each attacked copy.
public struct SurvivalSuite {
    public var settings: EncoderSettings
    public var jobs: Int
    public var quiet: Bool
    /// Embed with the grid following the picture (`WatermarkEmbedding.attached`, the default).
    public var attached = true
    /// Embed the geometry layer too (`WatermarkEmbedding.tiles`); copies the frame's own grid
    /// reads nothing in are then read by it, as `detect` does.
    public var tiles = false

    public init(settings: EncoderSettings = EncoderSettings(), jobs: Int = ProcessInfo.processInfo.activeProcessorCount, quiet: Bool = true) {
        self.settings = settings
        self.jobs = max(1, jobs)
        self.quiet = quiet
    }

    public func run(input: String, key: WatermarkKey, message: Message, strength: Float?, attacks: [Attack]) throws -> SurvivalReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("framemark-survive-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var report = SurvivalReport(input: input, strength: strength, attacks: [])
        report.attached = attached && strength != nil
        var marked = input
        if let strength {
            marked = folder.appendingPathComponent("marked.mp4").path
            let control = folder.appendingPathComponent("control.mp4").path
            let transcoder = Transcoder(settings: settings, jobs: jobs, quiet: quiet, progressLabel: "embed")
            _ = try WatermarkEmbedding(transcoder: transcoder, strength: strength, attached: attached, tiles: tiles)
                .run(input: input, output: marked, key: key, message: message)
            _ = try Transcoder(settings: settings, jobs: jobs, quiet: quiet, progressLabel: "control").run(input: input, output: control)
            let quality = try Self.quality(marked, control: control, against: input)
            report.psnr = quality.picture.psnr
            report.ssim = quality.picture.ssim
            report.flicker = FlickerFigures(quality.flicker)
            report.controlFlicker = FlickerFigures(quality.controlFlicker)
            report.bitrateIncrease = Double(try MediaProbe.videoBytes(marked)) / Double(max(1, try MediaProbe.videoBytes(control))) - 1
        }
        let markedPath = marked
        let video = try MediaReader(path: markedPath).video
        // Two attacks at a time: each encode already uses several threads.
        let results = Mutex<[Int: Result<AttackResult, Error>]>([:])
        let width = min(2, attacks.count)
        DispatchQueue.concurrentPerform(iterations: width) { lane in
            for index in stride(from: lane, to: attacks.count, by: width) {
                let attack = attacks[index]
                let outcome = Result { () throws -> AttackResult in
                    let start = Date()
                    let attacked = folder.appendingPathComponent("attack-\(index).mkv").path
                    try AttackRenderer.render(attack.recipe(video), input: markedPath, output: attacked)
                    let verdict = try WatermarkDetection(jobs: 1, quiet: true).run(input: attacked, key: key).verdict
                    if let g = try GeometryDetection.fallback(after: verdict, input: attacked, key: key) {
                        try? FileManager.default.removeItem(atPath: attacked)
                        return AttackResult(name: attack.name, detected: true, message: g.message, messageOK: g.message == message,
                                            frameDetectionRate: Double(g.frames.filter(\.detected).count) / Double(max(1, g.frames.count)),
                                            log10PValue: g.log10PValue, seconds: Date().timeIntervalSince(start))
                    }
                    try? FileManager.default.removeItem(atPath: attacked)
                    let detectedFrames = verdict.frames.filter(\.detected).count
                    return AttackResult(name: attack.name, detected: verdict.detected, message: verdict.message,
                                        messageOK: verdict.message == message,
                                        frameDetectionRate: Double(detectedFrames) / Double(max(1, verdict.frames.count)),
                                        log10PValue: verdict.log10PValue, seconds: Date().timeIntervalSince(start))
                }
                results.withLock { $0[index] = outcome }
            }
        }
        let collected = results.withLock { $0 }
        report.attacks = try attacks.indices.map { index in
            do { return try collected[index]!.get() } catch {
                throw MediaError("attack \(attacks[index].name): \(error)")
            }
        }
        return report
    }

    /// Luma PSNR, SSIM and flicker of `path` against `reference`, and the flicker of `control`
    /// (the unmarked encode) against it, frame by frame in presentation order: one pass, so the
    /// reference is decoded once.
    static func quality(_ path: String, control: String, against reference: String) throws
        -> (picture: PictureQuality, flicker: TemporalFlicker, controlFlicker: TemporalFlicker) {
        let a = try MediaReader(path: path), c = try MediaReader(path: control), b = try MediaReader(path: reference)
        var quality = PictureQuality()
        var flicker = TemporalFlicker(), controlFlicker = TemporalFlicker()
        func nextFrame(_ r: MediaReader) throws -> Frame? {
            while let item = try r.next() { if case .frame(let f) = item { return f } }
            return nil
        }
        while let fa = try nextFrame(a), let fc = try nextFrame(c), let fb = try nextFrame(b) {
            guard fa.width == fb.width, fa.height == fb.height, fc.width == fb.width, fc.height == fb.height else {
                throw MediaError(path: path, "frame size differs from the source")
            }
            fb.withLuma { lb in
                fa.withLuma { la in quality.add(la, lb); flicker.add(la, lb) }
                fc.withLuma { lc in controlFlicker.add(lc, lb) }
            }
        }
        return (quality, flicker, controlFlicker)
    }
}

import Synchronization
