/// The 64-bit payload a clip carries (an asset ID), written as 16 hex digits.
public struct Message: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }

    /// Parses exactly 16 hexadecimal digits (an optional `0x` prefix is allowed).
    public init(hex: String) throws {
        var s = Substring(hex)
        if s.hasPrefix("0x") || s.hasPrefix("0X") { s = s.dropFirst(2) }
        guard s.count == 16, let v = UInt64(s, radix: 16) else { throw WatermarkError.malformedMessage(hex) }
        value = v
    }

    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { hex }

    /// Most significant bit first.
    var bits: [UInt8] { (0..<64).map { UInt8((value >> (63 - UInt64($0))) & 1) } }
}
