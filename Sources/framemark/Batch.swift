import ArgumentParser
import Foundation
import FrameMarkBatch
import FrameMarkCore
import FrameMarkRegistry

/// `framemark batch`: many files, each under its own message, recorded in the asset registry.
struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watermark many videos and images, each with its own message, recorded in an asset registry.",
        discussion: """
            Run again with the same command after an interruption, it finishes the rest: files \
            already marked (their input and output unchanged) are skipped, a file cut off half way \
            is marked again under the message it was given. Exit status 1 when any file failed.
            """)

    @Argument(help: "Input files and directories (walked recursively).")
    var inputs: [String] = []

    @Option(help: "A CSV or JSON Lines list with a 'path' column, optional 'message' (16 hex digits) and free metadata columns; relative paths are taken from the list's folder.")
    var list: String?

    @Option(help: "Only files in the directories whose name matches this shell pattern (say '*.mp4'; a pattern with '/' matches the path under the directory). Repeat for several; default: every video and image.")
    var include: [String] = []

    @Option(name: .shortAndLong, help: "Output folder: the marked copies mirror the inputs' tree under it.")
    var output: String

    @Option(help: "Output file name from {stem} (the input's name without extension), {ext} and {name} ({stem}.{ext}).")
    var name: String = "{name}"

    @Option(help: "The registry: an SQLite file (default: OUTPUT/framemark-registry.sqlite), or postgres://user:password@host:port/database for a registry many machines share.")
    var registry: String?

    @Flag(help: "Share the work with other workers through the PostgreSQL registry: files are queued once and claimed one at a time under a lease, and a dead worker's file is taken over when its lease runs out.")
    var worker = false

    @Option(help: "Seconds a claimed file stays with its worker without a renewal (--worker; renewed every third of it while marking).")
    var lease: Int = 60

    @Option(help: "The shared queue's name (--worker; default: the output folder's absolute path).")
    var queue: String?

    @Option(help: "Mark only shard I of N (0-based, 'I/N'): a job array's task marks its share, split by a hash of each output path.")
    var shard: String?

    @Option(help: "Files marked at once, each with --jobs workers (2: on 2 cores, 100 short clips took 0.86× the time of xargs -P2 embed, one at a time 1.18×; docs/scaling.md).")
    var parallel: Int = 2

    @OptionGroup var keyOptions: KeyOptions

    @Option(help: "Watermark strength, 0.5–2: higher survives more, lower is less visible.")
    var strength: Float = 1

    @OptionGroup var gridOptions: GridOptions

    @Flag(help: "Also lay the geometry layer on videos (see embed --tiles).")
    var tiles = false

    @OptionGroup var encode: EncodeOptions

    @Option(help: "JPEG and WebP quality of marked images, 1–100.")
    var quality: Int = 92

    @Flag(help: "Print one JSON object on stdout: counts, every file's outcome and message, the failures.")
    var json = false

    func validate() throws {
        guard (0.5...2).contains(strength) else { throw ValidationError("--strength must be between 0.5 and 2") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 64") }
        if let shard { _ = try Self.parseShard(shard) }
        if worker {
            guard let registry, RegistryAddress.isPostgres(registry) else { throw ValidationError("--worker needs --registry postgres://…: workers share the queue through PostgreSQL") }
            guard shard == nil else { throw ValidationError("--worker and --shard are two ways to split a batch: give one") }
        }
        guard (1...86_400).contains(lease) else { throw ValidationError("--lease must be between 1 and 86400 seconds") }
        guard !inputs.isEmpty || list != nil else { throw ValidationError("give input files or directories, or --list") }
    }

    static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
            throw ValidationError("--shard must be I/N with 0 ≤ I < N, say 0/4")
        }
        return (i, n)
    }

    func run() throws {
        try reportingFailures {
            let key = try keyOptions.load()
            let plan = try BatchPlan(inputs: inputs, list: list, include: include, outputFolder: output, namePattern: name)
            var items = plan.items
            if let shard { let s = try Self.parseShard(shard); items = plan.shard(s.index, of: s.count) }
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let registryPath = registry ?? (output as NSString).appendingPathComponent("framemark-registry.sqlite")
            let store = try RegistryAddress.open(registryPath, create: true)
            let settings = BatchSettings(strength: strength, attached: gridOptions.isAttached, tiles: tiles, encoder: encode.settings,
                                         quality: quality, jobs: encode.jobs)
            let runner = BatchRunner(registry: store, key: key, settings: settings, toolVersion: FrameMarkVersion.string)
            let progress = BatchProgress(total: items.count, totalBytes: items.reduce(0) { $0 + Self.size($1.input) },
                                         live: !encode.quiet && isatty(STDERR_FILENO) != 0, lines: !json || isatty(STDERR_FILENO) == 0)
            let start = Date()
            let results = worker
                ? try runner.work(items, queue: queue ?? URL(fileURLWithPath: output).standardizedFileURL.path,
                                  worker: "\(ProcessInfo.processInfo.hostName):\(getpid())", lease: .seconds(lease), parallel: parallel) { progress.record($0) }
                : runner.run(items, parallel: parallel) { progress.record($0) }
            progress.finish()
            let summary = BatchSummary(results: results, seconds: Date().timeIntervalSince(start),
                                       registry: RegistryAddress.isPostgres(registryPath) ? PostgresAssetRegistry.redacted(registryPath) : registryPath)
            if json { try printJSON(summary.json) } else { print(summary.text) }
            if summary.failed > 0 { throw ExitCode(1) }
        }
    }

    static func size(_ path: String) -> Int64 { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0 }
}
