import FrameMarkCore
import FrameMarkMedia
import Foundation

/// `survive` on a still picture: marks it (losslessly, as PNG), attacks the marked picture
/// in-process (libavfilter, then FFmpeg's image encoders) and reads each copy as `detect` does.
public struct ImageSurvivalSuite {
    public init() {}

    public func run(input: String, key: WatermarkKey, message: Message, strength: Float?, attacks: [ImageAttack]) throws -> SurvivalReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("framemark-survive-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var report = SurvivalReport(input: input, strength: strength, attacks: [])
        report.attached = false
        report.tiles = true
        var marked = input
        if let strength {
            marked = folder.appendingPathComponent("marked.png").path
            _ = try ImageWatermarking(strength: strength).run(input: input, output: marked, key: key, message: message)
            var quality = PictureQuality()
            let source = try StillImage(path: input), copy = try StillImage(path: marked)
            source.withLuma { a in copy.withLuma { b in quality.add(b, a) } }
            report.psnr = quality.psnr
            report.ssim = quality.ssim
        }
        let original = try StillImage(path: marked)
        report.attacks = try attacks.enumerated().map { index, attack in
            let start = Date()
            let copy = folder.appendingPathComponent("attack-\(index).\(attack.format == .jpeg ? "jpg" : attack.format.rawValue)").path
            do {
                try original.filtered(attack.filter).write(to: copy, format: attack.format, quality: attack.quality)
            } catch {
                throw MediaError("attack \(attack.name): \(error)")
            }
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let verdict = try WatermarkDetection(jobs: 2, quiet: true).run(input: copy, key: key).verdict
            var detected = verdict.detected, read = verdict.message, log10p = verdict.log10PValue
            if let g = try GeometryDetection.fallback(after: verdict, input: copy, key: key) {
                detected = true
                read = g.message
                log10p = g.log10PValue
            }
            return AttackResult(name: attack.name, detected: detected, message: read, messageOK: read == message,
                                frameDetectionRate: detected ? 1 : 0, log10PValue: log10p, seconds: Date().timeIntervalSince(start))
        }
        return report
    }
}
