import Crypto
import Foundation

/// SHA-256 of a file's bytes, read a megabyte at a time (a clip is never held whole).
public enum FileDigest {
    public static func sha256(of path: String) throws -> String {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw BatchError("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { try? file.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try file.read(upToCount: 1 << 20) } catch {
                throw BatchError("\(path): cannot read (\(error.localizedDescription))")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A batch's own error, one line naming the file or list row and the cause.
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
