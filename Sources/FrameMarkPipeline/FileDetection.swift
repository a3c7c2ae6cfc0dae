import Foundation
import FrameMarkCore

/// What `detect` does with a file, for the command line and the service alike: the frame layer
/// read, the geometry layer looked for when it reads nothing, and the result as the design's
/// JSON object (`DetectionJSON`), with the report page on request.
public struct FileDetection: @unchecked Sendable {
    public enum Read { case frames(DetectionReport), geometry(GeometryDetection.Verdict, seconds: Double) }

    public let file: String
    public let read: Read

    public static func run(_ input: String, key: WatermarkKey, detection: WatermarkDetection) throws -> FileDetection {
        let report = try detection.run(input: input, key: key)
        // A copy whose frame was cropped, reframed or turned reads nothing on the frame's own
        // grid: the geometry layer is looked for then (marks made with `embed --tiles`).
        if let g = try GeometryDetection.fallback(after: report.verdict, input: input, key: key) {
            return FileDetection(file: input, read: .geometry(g, seconds: report.seconds))
        }
        return FileDetection(file: input, read: .frames(report))
    }

    public var message: Message? {
        switch read {
        case .frames(let r): r.verdict.message
        case .geometry(let g, _): g.message
        }
    }

    /// `detect --json`'s object.
    public var object: [String: Any?] {
        switch read {
        case .frames(let r): DetectionJSON.object(r)
        case .geometry(let g, let seconds): DetectionJSON.object(g, file: file, seconds: seconds)
        }
    }

    public func writeReport(to path: String, asset: [(label: String, value: String)] = []) throws {
        switch read {
        case .frames(let r): try r.writePage(to: path, asset: asset)
        case .geometry(let g, _): try g.writePage(file: file, to: path, asset: asset)
        }
    }

    /// An object as JSON text: keys sorted, slashes plain, pretty when asked.
    public static func data(_ object: [String: Any?], pretty: Bool = false) throws -> Data {
        try JSONSerialization.data(withJSONObject: object.mapValues { $0 ?? NSNull() },
                                   options: pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes])
    }
}
