@testable import FrameMarkCore
import TestSupport
import XCTest

final class CodingTests: XCTestCase {
    func testMessageHexRoundTripAndErrors() throws {
        XCTAssertEqual(try Message(hex: "00c0ffee12345678").value, 0x00C0_FFEE_1234_5678)
        XCTAssertEqual(try Message(hex: "0xFFFFFFFFFFFFFFFF").hex, "ffffffffffffffff")
        XCTAssertEqual(Message(0x1).hex, "0000000000000001")
        for bad in ["", "123", "00c0ffee1234567", "00c0ffee123456789", "00c0ffee1234567g"] {
            XCTAssertThrowsError(try Message(hex: bad), bad)
        }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testConvolutionalCodeCorrectsFlippedAndWeakSymbols() {
        var rng = SeededRandom(7)
        for trial in 0..<20 {
            let bits = (0..<96).map { _ in UInt8(rng.next() & 1) }
            let coded = ConvolutionalCode.encode(bits)
            XCTAssertEqual(coded.count, ConvolutionalCode.codedLength(forDataBits: 96))
            var soft = coded.map { $0 == 0 ? Float(1) : Float(-1) }
            // Gaussian-ish noise and 6 hard flips spread over the block.
            for i in soft.indices { soft[i] += (rng.unit() + rng.unit() + rng.unit() - 1.5) * 0.8 }
            for f in 0..<6 { soft[(f * 37 + trial * 5) % soft.count] *= -1 }
            XCTAssertEqual(ConvolutionalCode.decode(soft, dataBits: 96), bits, "trial \(trial)")
        }
    }

    func testPayloadRoundTripAndRejectsNoise() {
        let message = Message(0xDEAD_BEEF_0BAD_F00D)
        let soft = Payload.codedMessage(message).map { $0 == 0 ? Float(1) : Float(-1) }
        XCTAssertEqual(Payload.decodeMessage(soft), message)
        // Random soft values: the CRC must reject (almost) every decode.
        var rng = SeededRandom(11)
        var accepted = 0
        for _ in 0..<200 {
            let noise = (0..<soft.count).map { _ in rng.unit() - 0.5 }
            if Payload.decodeMessage(noise) != nil { accepted += 1 }
        }
        XCTAssertEqual(accepted, 0)
    }

    func testTimeCodeRoundTrip() {
        for second in [0, 1, 59, 1234, 16383] {
            let soft = Payload.timeBits(code: second).map { $0 == 0 ? Float(0.3) : Float(-0.3) }
            XCTAssertEqual(Payload.decodeTime(soft), second)
        }
    }

    func testKeyDerivationIsDeterministicAndKeyDependent() throws {
        let a = WatermarkLayout(key: try WatermarkKey(string: "alpha"))
        let a2 = WatermarkLayout(key: try WatermarkKey(string: "alpha"))
        let b = WatermarkLayout(key: try WatermarkKey(string: "beta"))
        XCTAssertEqual(a.cells, a2.cells)
        XCTAssertEqual(a.dither, a2.dither)
        XCTAssertNotEqual(a.cells, b.cells)
        XCTAssertNotEqual(a.pilotBits, b.pilotBits)
        XCTAssertThrowsError(try WatermarkKey(string: ""))
        // Every cell used at most once.
        XCTAssertEqual(Set(a.cells).count, a.cells.count)
    }
}
