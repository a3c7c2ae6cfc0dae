/// The eight ways a picture can be flipped or turned by quarter turns (the dihedral group D4),
/// described as a rotation (clockwise) followed by an optional flip.
public struct Orientation: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    public enum Flip: String, Sendable, Codable { case none, horizontal, vertical }
    public var rotationDegrees: Int
    public var flip: Flip

    public static let allCases: [Orientation] = [
        .init(rotationDegrees: 0, flip: .none), .init(rotationDegrees: 0, flip: .horizontal),
        .init(rotationDegrees: 0, flip: .vertical), .init(rotationDegrees: 180, flip: .none),
        .init(rotationDegrees: 90, flip: .none), .init(rotationDegrees: 270, flip: .none),
        .init(rotationDegrees: 90, flip: .horizontal), .init(rotationDegrees: 90, flip: .vertical),
    ]

    /// Whether the picture's width and height trade places.
    public var swapsAxes: Bool { rotationDegrees == 90 || rotationDegrees == 270 }

    public var description: String { flip == .none ? "rotate \(rotationDegrees)" : "rotate \(rotationDegrees), flip \(flip.rawValue)" }

    /// Where original cell (u, v) of a w×h grid lands in the transformed grid (h×w when axes swap).
    func map(u: Int, v: Int, w: Int, h: Int) -> (x: Int, y: Int) {
        var (x, y) = (u, v)
        var (cw, ch) = (w, h)
        switch rotationDegrees {
        case 90: (x, y) = (h - 1 - v, u); (cw, ch) = (h, w)
        case 180: (x, y) = (w - 1 - u, h - 1 - v)
        case 270: (x, y) = (v, w - 1 - u); (cw, ch) = (h, w)
        default: break
        }
        switch flip {
        case .horizontal: x = cw - 1 - x
        case .vertical: y = ch - 1 - y
        case .none: break
        }
        return (x, y)
    }
}
