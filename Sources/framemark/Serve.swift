import ArgumentParser
import Foundation
import FrameMarkService

/// `framemark serve`: the detection API and its page.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve detection over HTTP: an API for platforms and a page for people (docs/service.md).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @OptionGroup var keyOptions: KeyOptions

    @Option(help: "The token store (an SQLite file `framemark token create` writes); every /v1 request needs one of its tokens.")
    var tokens: String

    @Option(help: "An asset registry (SQLite file or postgres:// address): results then carry the asset of the message read.")
    var registry: String?

    @Option(help: "Folder for uploads and reports while their jobs live (emptied at start).")
    var work = "framemark-service"

    @Option(help: "Largest upload, in megabytes (413 past it).")
    var maxUploadMb = 512

    @Option(help: "Longest video, in seconds (413 past it).")
    var maxSeconds = 600.0

    @Option(help: "Detections run at once.")
    var concurrent = 1

    @Option(help: "Detections waiting beyond those running (503 with Retry-After past it).")
    var queue = 16

    @Option(help: "Seconds a finished job's result and files are kept.")
    var retention = 3600.0

    @Option(help: "Seconds a silent connection (a stalled upload) is kept open.")
    var idleTimeout = 30.0

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard maxUploadMb >= 1, maxSeconds > 0, concurrent >= 1, queue >= 0, retention > 0, idleTimeout > 0 else {
            throw ValidationError("limits must be positive (--queue may be 0)")
        }
    }

    func run() async throws {
        do {
            var configuration = ServiceConfiguration(key: try keyOptions.load(), tokens: try TokenStore(path: tokens),
                                                     registry: try registry.map { try RegistryAddress.open($0) },
                                                     workFolder: URL(fileURLWithPath: work).standardizedFileURL.path)
            configuration.host = host
            configuration.port = port
            configuration.maxUploadBytes = maxUploadMb * 1024 * 1024
            configuration.maxSeconds = maxSeconds
            configuration.concurrentDetections = concurrent
            configuration.queueLength = queue
            configuration.retentionSeconds = retention
            configuration.idleTimeoutSeconds = idleTimeout
            let app = try DetectionService.application(configuration)
            FileHandle.standardError.write("framemark: serving on http://\(host):\(port)/\n".data(using: .utf8)!)
            try await app.runService()
        } catch let error as CLIError {
            printError(error.description)
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// `framemark token`: the service's access tokens.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, revoke and list the service's access tokens.",
                                                    subcommands: [Create.self, Revoke.self, List.self])

    struct Store: ParsableArguments {
        @Option(help: "The token store (an SQLite file; created when absent).")
        var tokens: String
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print it (the only time it is shown; only its hash is kept).")
        @Argument(help: "A name for whoever uses it.")
        var name: String
        @Option(help: "Requests a minute it may make (429 past it).")
        var rate = 120
        @OptionGroup var store: Store

        func validate() throws { guard rate >= 1 else { throw ValidationError("--rate must be at least 1") } }

        func run() throws {
            try reportingFailures { print(try TokenStore(path: store.tokens).create(name: name, ratePerMinute: rate)) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name: its requests get 403 from then on.")
        @Argument(help: "The token's name.")
        var name: String
        @OptionGroup var store: Store

        func run() throws {
            try reportingFailures {
                guard try TokenStore(path: store.tokens).revoke(name: name) else { throw CLIError("no live token named \(name)") }
                print("revoked \(name)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every token: name, rate, created, revoked.")
        @OptionGroup var store: Store

        func run() throws {
            try reportingFailures {
                for t in try TokenStore(path: store.tokens).list() {
                    print("\(t.name)  \(t.ratePerMinute)/min  created \(t.createdAt.formatted(.iso8601))"
                          + (t.revokedAt.map { "  revoked \($0.formatted(.iso8601))" } ?? ""))
                }
            }
        }
    }
}
