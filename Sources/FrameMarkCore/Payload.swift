/// The bits each projection carries: the clip's coded message, then the frame's time code.
enum Payload {
    /// 64 message bits + CRC-32, convolutionally coded (306 bits).
    static func codedMessage(_ message: Message) -> [UInt8] {
        ConvolutionalCode.encode(withCRC(message))
    }

    static func withCRC(_ message: Message) -> [UInt8] {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: message.value >> (56 - 8 * UInt64($0))) }
        let crc = CRC32.checksum(bytes)
        return message.bits + (0..<32).map { UInt8((crc >> (31 - UInt32($0))) & 1) }
    }

    /// The message whose coded bits best explain `soft` (positive = 0), or nil when the CRC fails.
    static func decodeMessage(_ soft: [Float]) -> Message? {
        let bits = ConvolutionalCode.decode(soft, dataBits: WatermarkDesign.messageDataBits)
        var value: UInt64 = 0
        for b in bits.prefix(64) { value = value << 1 | UInt64(b) }
        let message = Message(value)
        return withCRC(message) == bits ? message : nil
    }

    /// The time code of a frame shown `seconds` into the clip: its quarter second, mod 2^14.
    public static func timeCode(seconds: Double) -> Int {
        Int((max(0, seconds) / WatermarkDesign.timeCodeSeconds + 1e-6).rounded(.down)) & ((1 << WatermarkDesign.timeBits) - 1)
    }

    /// Time-code bits for code `code`, each repeated, interleaved by repeat.
    static func timeBits(code: Int) -> [UInt8] {
        let t = WatermarkDesign.timeBits
        let code = code & ((1 << t) - 1)
        let once = (0..<t).map { UInt8((code >> (t - 1 - $0)) & 1) }
        return (0..<WatermarkDesign.timeRepeats).flatMap { _ in once }
    }

    /// The time code from soft values of the repeated bits.
    static func decodeTime(_ soft: [Float]) -> Int {
        let t = WatermarkDesign.timeBits
        var code = 0
        for b in 0..<t {
            var s: Float = 0
            for r in 0..<WatermarkDesign.timeRepeats { s += soft[r * t + b] }
            code = code << 1 | (s < 0 ? 1 : 0)
        }
        return code
    }
}
