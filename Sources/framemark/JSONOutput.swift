import Foundation

/// Prints one JSON object on stdout, keys sorted for stable output.
func printJSON(_ object: [String: Any?]) throws {
    let cleaned = object.mapValues { $0 ?? NSNull() }
    let data = try JSONSerialization.data(withJSONObject: cleaned, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// A double rounded for display in JSON (keeps files readable; no information a user needs is lost).
func rounded(_ value: Double, _ digits: Int = 6) -> Double {
    guard value.isFinite else { return value }
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}
