import Crypto
import Foundation

/// The secret every pattern of a watermark is derived from. Its bytes are never printed or logged.
public struct WatermarkKey: @unchecked Sendable {
    let secret: SymmetricKey

    /// A key from its raw bytes (a key file's content, or a `--key` string's UTF-8).
    public init(bytes: some DataProtocol) throws {
        guard !bytes.isEmpty else { throw WatermarkError.emptyKey }
        secret = SymmetricKey(data: Data(bytes))
    }

    public init(string: String) throws {
        try self.init(bytes: Data(string.utf8))
    }

    /// Names the key without giving it away: the first 16 hex digits of HMAC-SHA256(key,
    /// "framemark/fingerprint"). A registry records this, never the key.
    public var fingerprint: String {
        HMAC<SHA256>.authenticationCode(for: Data("framemark/fingerprint".utf8), using: secret)
            .prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A deterministic pseudo-random stream for one purpose (`label`), from HMAC-SHA256 in counter mode.
    func stream(_ label: String) -> PRFStream { PRFStream(key: secret, label: label) }
}

/// Pseudo-random numbers from HMAC-SHA256(key, label ‖ counter): without the key nobody can
/// predict the carriers, the dither or the cell assignment.
struct PRFStream {
    private let key: SymmetricKey
    private let label: [UInt8]
    private var counter: UInt64 = 0
    private var block: [UInt8] = []
    private var offset = 32

    init(key: SymmetricKey, label: String) {
        self.key = key
        self.label = Array(label.utf8)
    }

    mutating func nextUInt64() -> UInt64 {
        if offset + 8 > 32 {
            var message = label
            withUnsafeBytes(of: counter.bigEndian) { message.append(contentsOf: $0) }
            block = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            counter += 1
            offset = 0
        }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(block[offset + i]) }
        offset += 8
        return value
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }

    /// Uniform in 0..<n (n > 0), without modulo bias worth mentioning for n ≪ 2^64.
    mutating func next(below n: Int) -> Int { Int(nextUInt64() % UInt64(n)) }
}

/// Errors of the watermark core.
public enum WatermarkError: Error, CustomStringConvertible, Equatable {
    case emptyKey
    case malformedMessage(String)
    case planeTooSmall(width: Int, height: Int)

    public var description: String {
        switch self {
        case .emptyKey: return "the key is empty"
        case .malformedMessage(let s): return "malformed message '\(s)': expected 16 hexadecimal digits (64 bits)"
        case .planeTooSmall(let w, let h): return "frame \(w)x\(h) is too small to carry a watermark"
        }
    }
}
