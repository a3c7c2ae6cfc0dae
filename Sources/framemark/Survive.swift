import ArgumentParser
import Foundation
import FrameMarkCore
import FrameMarkMedia
import FrameMarkPipeline

/// `framemark survive`: embed, attack in-process, detect, and report what the mark withstands.
struct Survive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the attack matrix on a marked video or image and report what the mark survives.")

    @Argument(help: "Source video or image (or, with --marked, one already marked with the key).")
    var input: String

    @OptionGroup var keyOptions: KeyOptions

    @Option(help: "The 64-bit message to embed and expect, 16 hex digits (default: from the input's content hash).")
    var message: String?

    @Flag(help: "The input is already marked: skip embedding (and the quality figures).")
    var marked = false

    @Option(help: "Comma-separated attack names, 'all' (default), or 'list' to print them.")
    var attacks = "all"

    @Option(help: "Comma-separated embedding strengths to sweep (default: 1).")
    var strengths = "1"

    @OptionGroup var gridOptions: GridOptions

    @Flag(help: "Embed the geometry layer too (as embed --tiles): crops, reframes and rotated copies are then read by it.")
    var tiles = false

    @OptionGroup var encode: EncodeOptions

    @Flag(help: "Print JSON on stdout (one object, or a list when several strengths are swept).")
    var json = false

    @Option(help: "Also write a self-contained HTML page with the matrix chart (and the strength sweep curve).")
    var report: String?

    func validate() throws {
        if let message { _ = try Message(hex: message) }
        guard parsedStrengths != nil else { throw ValidationError("--strengths must be numbers between 0.5 and 2, comma-separated") }
    }

    var parsedStrengths: [Float]? {
        let values = strengths.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && (0.5...2).contains($0!) }) else { return nil }
        return values.map { $0! }
    }

    func run() throws {
        if attacks == "list" {
            for attack in AttackCatalogue.all { print("\(attack.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(attack.summary)") }
            print("\nstill images (PNG, JPEG, WebP input):")
            for attack in ImageAttackCatalogue.all { print("\(attack.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(attack.summary)") }
            return
        }
        try reportingFailures {
            let still = StillImage.isImage(input)
            let selectedImage = still ? try ImageAttackCatalogue.select(attacks) : []
            let selected = still ? [] : try AttackCatalogue.select(attacks)
            let key = try keyOptions.load()
            let payload = try message.map { try Message(hex: $0) } ?? WatermarkEmbedding.contentMessage(of: input)
            var suite = SurvivalSuite(settings: encode.settings, jobs: encode.jobs, quiet: encode.quiet)
            suite.tiles = tiles
            suite.attached = gridOptions.isAttached
            let sweep: [Float?] = marked ? [nil] : parsedStrengths!
            var reports: [SurvivalReport] = []
            for strength in sweep {
                let report = still
                    ? try ImageSurvivalSuite().run(input: input, key: key, message: payload, strength: strength, attacks: selectedImage)
                    : try suite.run(input: input, key: key, message: payload, strength: strength, attacks: selected)
                reports.append(report)
                if !json { printTable(report, expected: payload) }
            }
            if let report {
                do {
                    try SurvivalReport.html(reports).write(toFile: report, atomically: true, encoding: .utf8)
                } catch {
                    throw CLIError("\(report): cannot write the report (\(error.localizedDescription))")
                }
            }
            if json {
                let objects = reports.map(Self.object)
                let data = try JSONSerialization.data(withJSONObject: objects.count == 1 ? objects[0] : objects,
                                                      options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    static func object(_ r: SurvivalReport) -> [String: Any] {
        [
            "input": r.input,
            "strength": r.strength.map { Double($0) } as Any? ?? NSNull(),
            "attached": r.attached,
            "psnr_db": r.psnr.map { rounded($0, 3) } as Any? ?? NSNull(),
            "ssim": r.ssim.map { rounded($0, 5) } as Any? ?? NSNull(),
            "bitrate_increase": r.bitrateIncrease.map { rounded($0, 4) } as Any? ?? NSNull(),
            "flicker": r.flicker.map { ["rms_levels": rounded($0.rms, 3), "p999_levels": rounded($0.tail, 3)] } as Any? ?? NSNull(),
            "control_flicker": r.controlFlicker.map { ["rms_levels": rounded($0.rms, 3), "p999_levels": rounded($0.tail, 3)] } as Any? ?? NSNull(),
            "attacks": r.attacks.map { a -> [String: Any] in
                ["name": a.name, "detected": a.detected, "message_ok": a.messageOK,
                 "message": a.message?.hex as Any? ?? NSNull(),
                 "frame_detection_rate": rounded(a.frameDetectionRate, 4), "log10_p_value": rounded(a.log10PValue, 2),
                 "seconds": rounded(a.seconds, 2)]
            },
        ]
    }

    func printTable(_ r: SurvivalReport, expected: Message) {
        var header = "\(r.input)"
        if let s = r.strength { header += String(format: " — strength %.2f", s) + (r.attached ? ", grid attached" : "") }
        if let p = r.psnr, let s = r.ssim { header += String(format: ", luma PSNR %.2f dB, SSIM %.4f", p, s) }
        if let b = r.bitrateIncrease { header += String(format: ", bitrate %+.1f%%", b * 100) }
        if let f = r.flicker, let c = r.controlFlicker {
            header += String(format: ", flicker %.2f levels RMS (unmarked encode %.2f)", f.rms, c.rms)
        }
        print(header)
        print("attack               frames   clip   log10 p  message            seconds")
        for a in r.attacks {
            let message = a.messageOK ? "\(expected.hex)" : (a.message == nil ? "null" : "WRONG \(a.message!.hex)")
            let cells = [a.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                         String(format: "%6.1f%%", a.frameDetectionRate * 100),
                         (a.detected ? "yes" : "no").padding(toLength: 5, withPad: " ", startingAt: 0),
                         String(format: "%8.1f", a.log10PValue),
                         message.padding(toLength: 18, withPad: " ", startingAt: 0),
                         String(format: "%7.1f", a.seconds)]
            print(cells.joined(separator: " "))
        }
    }
}
