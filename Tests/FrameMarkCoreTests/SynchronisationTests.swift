@testable import FrameMarkCore
import TestSupport
import XCTest

/// The synchronisation template: a known crop, scale, stretch, rotation, mirror and padding of a
/// templated picture is recovered from the copy alone (`TemplateSearch`, `TemplateAlignment`).
final class SynchronisationTests: XCTestCase {
    func testFourierTransformMatchesTheDefinition() {
        let n = 16
        var rng = SeededRandom(3)
        let input = (0..<(n * n)).map { _ in rng.unit() - 0.5 }
        var re = input, im = [Float](repeating: 0, count: n * n)
        FourierTransform2D(size: n).forward(real: &re, imaginary: &im)
        for (ky, kx) in [(0, 0), (1, 3), (5, 15), (8, 8), (15, 2)] {
            var sr = 0.0, si = 0.0
            for y in 0..<n {
                for x in 0..<n {
                    let a = -2 * Double.pi * Double(kx * x + ky * y) / Double(n)
                    sr += Double(input[y * n + x]) * cos(a)
                    si += Double(input[y * n + x]) * sin(a)
                }
            }
            XCTAssertEqual(Double(re[ky * n + kx]), sr, accuracy: 1e-4)
            XCTAssertEqual(Double(im[ky * n + kx]), si, accuracy: 1e-4)
        }
    }

    func testTemplateRepeatsWithTheTileAndDependsOnTheKey() throws {
        let template = SyncTemplate(key: try WatermarkKey(string: "sync"))
        let p = SyncTemplate.tilePeriod
        for (x, y) in [(3.0, 7.0), (100.5, 250.25)] {
            XCTAssertEqual(template.value(x, y), template.value(x + p, y - 2 * p), accuracy: 1e-9)
        }
        let other = SyncTemplate(key: try WatermarkKey(string: "other"))
        XCTAssertNotEqual(template.phases, other.phases)
        // Unit RMS over a tile.
        var sum = 0.0
        for y in stride(from: 0.0, to: p, by: 3) { for x in stride(from: 0.0, to: p, by: 3) { sum += pow(template.value(x, y), 2) } }
        XCTAssertEqual((sum / pow(p / 3, 2)).squareRoot(), 1, accuracy: 0.05)
    }

    /// The copies a platform makes: each recovered within 1% of scale, 0.3° of angle and 2
    /// reference pixels of the tile's position.
    func testRecoversCropsScalesStretchesTurnsAndPadding() throws {
        let template = SyncTemplate(key: try WatermarkKey(string: "sync"))
        let original = TestPlane.smooth(width: 1280, height: 720, seed: 5)
        original.withLuma { template.add(to: $0, level: 2) }
        let cases: [(String, CopyGeometry, Int, Int)] = [
            ("crop 50% from (25%, 25%)", CopyGeometry(linear: .identity, offsetX: -320, offsetY: -180), 640, 360),
            ("downscale 0.6 on a larger canvas", CopyGeometry(linear: LinearMap(scaleX: 0.6, scaleY: 0.6, radians: 0), offsetX: 150, offsetY: 90), 1100, 620),
            ("stretch to 4:3", CopyGeometry(linear: LinearMap(scaleX: 0.75, scaleY: 1, radians: 0), offsetX: 0, offsetY: 0), 960, 720),
            ("rotation 7° and 1.1x, cropped", rotated(degrees: 7, scale: 1.1, width: 1280, height: 720), 1280, 720),
            ("rotation -12°", rotated(degrees: -12, scale: 1, width: 1280, height: 720), 1280, 720),
            ("mirrored", CopyGeometry(linear: LinearMap(a: -1, b: 0, c: 0, d: 1), offsetX: 1280, offsetY: 0), 1280, 720),
            ("quarter turn, 9:16 reframe enlarged", CopyGeometry(linear: LinearMap(a: 0, b: -1.5, c: 1.5, d: 0), offsetX: 1080, offsetY: -200), 1080, 1200),
        ]
        let search = TemplateSearch(template: template), alignment = TemplateAlignment(template: template)
        for (name, truth, w, h) in cases {
            let copy = original.resampled(by: truth, width: w, height: h)
            let found = copy.withLuma { luma -> TemplateAlignment.Alignment? in
                let candidates = search.candidates([luma], keep: 3)
                guard let best = candidates.first else { return nil }
                let whitened = TemplateSpectrum.Whitened(luma, reduction: max(w, h) <= 1400 ? 1 : 2)
                return alignment.align([whitened], linear: best.linear)
            }
            guard let found else { XCTFail("\(name): nothing found"); continue }
            let g = found.geometry.linear, t = truth.linear
            XCTAssertEqual(g.scaleX, t.scaleX, accuracy: 0.01 * t.scaleX, name)
            XCTAssertEqual(g.scaleY, t.scaleY, accuracy: 0.01 * t.scaleY, name)
            XCTAssertEqual(g.mirrors, t.mirrors, name)
            for (a, b) in [(g.a, t.a), (g.b, t.b), (g.c, t.c), (g.d, t.d)] {
                XCTAssertEqual(a, b, accuracy: 0.006 * max(t.scaleX, t.scaleY), "\(name): \(g) against \(t)")
            }
            // The same copy pixel lies on the same place of the tile.
            for (x, y) in [(0.3, 0.3), (0.7, 0.6)] {
                let p = (x * Double(w), y * Double(h))
                let a = found.geometry.referencePoint(p.0, p.1), b = truth.referencePoint(p.0, p.1)
                XCTAssertLessThan(tileDistance(a.x - b.x), 2, "\(name): x")
                XCTAssertLessThan(tileDistance(a.y - b.y), 2, "\(name): y")
            }
        }
    }

    func testAPictureWithoutTheTemplateScoresFarBelowOneWithIt() throws {
        let template = SyncTemplate(key: try WatermarkKey(string: "sync"))
        let plain = TestPlane.smooth(width: 960, height: 540, seed: 8)
        let marked = TestPlane(width: 960, height: 540, pixels: plain.pixels)
        marked.withLuma { template.add(to: $0, level: 1) }
        let search = TemplateSearch(template: template)
        let withTemplate = marked.withLuma { search.candidates([$0], keep: 1).first?.score ?? 0 }
        let without = plain.withLuma { search.candidates([$0], keep: 1).first?.score ?? 0 }
        XCTAssertGreaterThan(withTemplate, without + 6, "\(withTemplate) against \(without)")
    }

    private func tileDistance(_ d: Double) -> Double {
        let p = SyncTemplate.tilePeriod
        let r = d.truncatingRemainder(dividingBy: p)
        return min(abs(r), p - abs(r))
    }

    /// `rotate` by `degrees` about the frame's centre, then scaled about it (same canvas).
    private func rotated(degrees: Double, scale: Double, width: Int, height: Int) -> CopyGeometry {
        let linear = LinearMap(scaleX: scale, scaleY: scale, radians: degrees * .pi / 180)
        // Reference pixels are frame pixels here (720 lines); the centre stays where it was.
        let c = (Double(width) / 2, Double(height) / 2)
        let moved = linear.apply(c.0, c.1)
        return CopyGeometry(linear: linear, offsetX: c.0 - moved.x, offsetY: c.1 - moved.y)
    }
}

extension TestPlane {
    /// A copy whose pixel q shows the original (a 720-line plane: reference pixels are its pixels) at
    /// `geometry.referencePoint(q)`, sampled bilinearly; black (16) outside it.
    func resampled(by geometry: CopyGeometry, width w: Int, height h: Int) -> TestPlane {
        let out = TestPlane(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let r = geometry.referencePoint(Double(x) + 0.5, Double(y) + 0.5)
                let fx = r.x - 0.5, fy = r.y - 0.5
                let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
                guard x0 >= 0, y0 >= 0, x0 + 1 < width, y0 + 1 < height else { out.pixels[y * w + x] = 16; continue }
                let tx = fx - Double(x0), ty = fy - Double(y0)
                let p = { (dx: Int, dy: Int) in Double(self.pixels[(y0 + dy) * self.stride + x0 + dx]) }
                let v = (p(0, 0) * (1 - tx) + p(1, 0) * tx) * (1 - ty) + (p(0, 1) * (1 - tx) + p(1, 1) * tx) * ty
                out.pixels[y * w + x] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        return out
    }
}

extension SynchronisationTests {
    /// The tabulated tile (separable cos/sin terms) is the template's own value at every sample.
    func testTheTabulatedTileIsTheTemplate() throws {
        let template = SyncTemplate(key: try WatermarkKey(string: "table"))
        let samples = 2, n = Int(SyncTemplate.tilePeriod) * samples
        let table = template.table(samples: samples)
        XCTAssertEqual(table.count, n * n)
        var rng = SeededRandom(3)
        for _ in 0..<500 {
            let u = Int(rng.next() % UInt64(n)), v = Int(rng.next() % UInt64(n))
            XCTAssertEqual(Double(table[v * n + u]), template.value(Double(u) / Double(samples), Double(v) / Double(samples)), accuracy: 1e-5)
        }
    }

    /// A reduced plane holds the rounded box means of the original's pixels.
    func testAReducedPlaneIsTheBoxMean() {
        let plane = TestPlane.smooth(width: 203, height: 97, seed: 9)
        plane.withLuma { luma in
            let reduced = ReducedPlane(luma, factor: 3)
            XCTAssertEqual(reduced.plane.width, 67)
            XCTAssertEqual(reduced.plane.height, 32)
            for (x, y) in [(0, 0), (66, 31), (20, 17), (41, 5)] {
                var sum = 0
                for dy in 0..<3 { for dx in 0..<3 { sum += Int(luma.pixels[(y * 3 + dy) * luma.stride + x * 3 + dx]) } }
                XCTAssertEqual(Int(reduced.plane.pixels[y * reduced.plane.stride + x]), (sum + 4) / 9, "(\(x), \(y))")
            }
        }
        XCTAssertEqual(ReducedPlane.factor(height: 3000), 4)
        XCTAssertEqual(ReducedPlane.factor(height: 1080), 1)
    }
}
