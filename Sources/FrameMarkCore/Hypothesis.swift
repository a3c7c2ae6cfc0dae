import Foundation

/// One way the detector may undo what happened to a picture: an orientation of the dihedral
/// group, a tone curve (gamma), a sign (colour inversion negates every projection) and an
/// amplitude gain (filtering scales the projections; strength scales the step).
public struct Hypothesis: Sendable, Hashable {
    public var orientation: Orientation
    public var inverted: Bool
    /// Factor the received projections are multiplied by before quantisation.
    public var gain: Float
    /// The gamma applied to the received picture before measuring (1: none), undoing a tone curve.
    public var tone: Float

    /// Gains searched, 0.02 apart (linear, so each next phasor is the last one times a fixed
    /// rotation). Projections are already normalised by the frame's contrast, so the range covers
    /// the embedding strength (0.5–2, which scales the step) times the ±20–30% that filtering and
    /// compression leave.
    static let gainStep: Float = 0.02
    static let gains: [Float] = (0..<111).map { 0.4 + gainStep * Float($0) }
    static let signs: [Float] = [1, -1]
    /// Tone curves undone before measuring: gammas about 20% apart (a 20% error still reads well).
    static let tones: [Float] = [1, 0.5, 0.6, 0.7, 0.83, 1.2, 1.4, 1.7, 2.0]
    /// How many hypotheses every p-value is corrected for (Bonferroni).
    public static var count: Int { Orientation.allCases.count * signs.count * gains.count * tones.count }

    /// Nothing undone: upright, not inverted, gain 1, no tone curve.
    public static let identity = Hypothesis(orientationIndex: 0, signIndex: 0, gainIndex: unitGainIndex)
    /// The index of gain 1 in `gains`.
    public static let unitGainIndex = 30

    /// Upright, not inverted, no tone curve, at each gain searched.
    public static var uprightGains: [Hypothesis] { gains.indices.map { Hypothesis(orientationIndex: 0, signIndex: 0, gainIndex: $0) } }

    /// Orientation and sign by index (into `Orientation.allCases` and not-inverted/inverted), at gain 1.
    public init(orientationIndex: Int, inverted: Bool) {
        self.init(orientationIndex: orientationIndex, signIndex: inverted ? 1 : 0, gainIndex: Self.unitGainIndex)
    }

    init(orientationIndex: Int, signIndex: Int, gainIndex: Int, toneIndex: Int = 0) {
        orientation = Orientation.allCases[orientationIndex]
        inverted = signIndex == 1
        gain = Self.gains[gainIndex]
        tone = Self.tones[toneIndex]
    }
}
