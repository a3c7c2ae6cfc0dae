import ArgumentParser
import Foundation
import FrameMarkCore
import FrameMarkRegistry

/// `framemark registry`: look up what a batch issued.
struct Registry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look up issued messages in an asset registry.",
        subcommands: [Show.self, List.self, Export.self])

    /// Where the registry is: `--registry` or `FRAMEMARK_REGISTRY`.
    struct Location: ParsableArguments {
        @Option(help: "The registry: an SQLite file or a postgres:// address (default: the FRAMEMARK_REGISTRY environment variable).")
        var registry: String?

        func open() throws -> any AssetRegistry {
            guard let address = registry ?? ProcessInfo.processInfo.environment["FRAMEMARK_REGISTRY"], !address.isEmpty else {
                throw CLIError("no registry: give --registry FILE or set FRAMEMARK_REGISTRY")
            }
            return try RegistryAddress.open(address)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The assets messages were issued for.")

        @Argument(help: "One or more messages, 16 hex digits each (as detect prints them).")
        var messages: [String]

        @OptionGroup var location: Location

        @Flag(help: "Print each asset as a JSON object (one per line with several messages).")
        var json = false

        func validate() throws {
            guard !messages.isEmpty else { throw ValidationError("give a message") }
            for m in messages { _ = try Message(hex: m) }
        }

        func run() throws {
            try reportingFailures {
                let registry = try location.open()
                var missing: [String] = []
                for (i, text) in messages.enumerated() {
                    let m = try Message(hex: text)
                    guard let asset = try registry.asset(message: m) else { missing.append(m.hex); continue }
                    if json {
                        if messages.count == 1 { try printJSON(AssetExport.object(asset)) } else {
                            print(String(decoding: try JSONSerialization.data(withJSONObject: AssetExport.object(asset), options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
                        }
                    } else {
                        if i > 0 { print("") }
                        print(Self.describe(asset))
                    }
                }
                if !missing.isEmpty {
                    throw CLIError(missing.count == 1 ? "message \(missing[0]) is not in the registry" : "\(missing.count) messages are not in the registry: \(missing.joined(separator: ", "))")
                }
            }
        }

        static func describe(_ asset: Asset) -> String {
            let fields = AssetExport.fields(asset)
            return ["message", "status", "input_path", "input_sha256", "output_path", "output_sha256", "key_fingerprint", "strength",
                    "settings", "tool_version", "started_at", "finished_at", "error", "metadata"]
                .compactMap { k in fields[k].flatMap { $0 }.map { "\(k): \($0)" } }.joined(separator: "\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every issued message: status, message and output, one per line.")

        @OptionGroup var location: Location

        @Option(help: "Only assets with this status: pending, done or failed.")
        var status: String?

        func validate() throws {
            if let status, Asset.Status(rawValue: status) == nil { throw ValidationError("--status must be pending, done or failed") }
        }

        func run() throws {
            try reportingFailures {
                try location.open().forEachAsset(status: status.flatMap(Asset.Status.init)) { a in
                    print("\(a.message.hex)  \(a.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(a.outputPath)"
                          + (a.error.map { "  (\($0))" } ?? ""))
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every asset with all its columns, as CSV or JSON Lines.")

        @OptionGroup var location: Location

        @Option(help: "csv or jsonl.")
        var format: String = "csv"

        @Option(name: .shortAndLong, help: "Write to this file (whole or not at all) instead of standard output.")
        var output: String?

        @Option(help: "Only assets with this status: pending, done or failed.")
        var status: String?

        func validate() throws {
            guard AssetExport.Format(rawValue: format) != nil else { throw ValidationError("--format must be csv or jsonl") }
            if let status, Asset.Status(rawValue: status) == nil { throw ValidationError("--status must be pending, done or failed") }
        }

        func run() throws {
            try reportingFailures {
                let registry = try location.open()
                let format = AssetExport.Format(rawValue: format)!
                let status = status.flatMap(Asset.Status.init)
                guard let output else {
                    try AssetExport.write(registry, format: format, status: status) { FileHandle.standardOutput.write(Data($0.utf8)) }
                    return
                }
                let temporary = (output as NSString).deletingLastPathComponent.appending("/.\((output as NSString).lastPathComponent).framemark-\(getpid()).tmp")
                guard FileManager.default.createFile(atPath: temporary, contents: nil), let file = FileHandle(forWritingAtPath: temporary) else {
                    throw CLIError("\(output): cannot write (\(String(cString: strerror(errno))))")
                }
                do {
                    defer { try? file.close() }
                    try AssetExport.write(registry, format: format, status: status) { try file.write(contentsOf: Data($0.utf8)) }
                    try file.synchronize()
                } catch {
                    unlink(temporary)
                    throw CLIError("\(output): cannot write (\(error))")
                }
                guard rename(temporary, output) == 0 else {
                    unlink(temporary)
                    throw CLIError("\(output): cannot write (\(String(cString: strerror(errno))))")
                }
            }
        }
    }
}
