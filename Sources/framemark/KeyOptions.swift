import ArgumentParser
import Foundation
import FrameMarkCore

/// Where the secret key comes from: `--key`, `--key-file`, or the `FRAMEMARK_KEY` environment variable.
struct KeyOptions: ParsableArguments {
    @Option(help: "The secret key as text (prefer --key-file or FRAMEMARK_KEY: command lines are visible to other users).")
    var key: String?

    @Option(help: "A file whose bytes are the secret key (a trailing newline is ignored).")
    var keyFile: String?

    func validate() throws {
        if key != nil && keyFile != nil { throw ValidationError("give either --key or --key-file, not both") }
    }

    /// The key; its value is never printed.
    func load() throws -> WatermarkKey {
        if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw CLIError("\(keyFile): cannot read the key file")
            }
            var bytes = [UInt8](data)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else { throw CLIError("\(keyFile): the key file is empty") }
            return try WatermarkKey(bytes: bytes)
        }
        if let key {
            guard !key.isEmpty else { throw CLIError("--key is empty") }
            return try WatermarkKey(string: key)
        }
        if let env = ProcessInfo.processInfo.environment["FRAMEMARK_KEY"], !env.isEmpty {
            return try WatermarkKey(string: env)
        }
        throw CLIError("no key: give --key-file F, --key K, or set FRAMEMARK_KEY")
    }
}

/// An error of the command line itself, printed as one line.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
