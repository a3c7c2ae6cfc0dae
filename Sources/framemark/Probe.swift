import ArgumentParser
import Foundation
import FrameMarkMedia

/// `framemark probe`: streams, codecs, size, frame rate, duration and frame count.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a media file's streams.")

    @Argument(help: "Media file to describe.")
    var input: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        try reportingFailures {
            let result = try MediaProbe.probe(input)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            print("\(result.file): \(result.container), \(result.durationSeconds.map { String(format: "%.3f s", $0) } ?? "duration unknown")")
            for s in result.streams {
                var parts = ["#\(s.index) \(s.kind.rawValue) \(s.codec)"]
                if let w = s.width, let h = s.height { parts.append("\(w)x\(h)") }
                if let p = s.pixelFormat { parts.append(p) }
                if let f = s.frameRate { parts.append(String(format: "%.3f fps", f)) }
                if let r = s.sampleRate { parts.append("\(r) Hz") }
                if let c = s.channels { parts.append("\(c) ch") }
                if let r = s.rotationDegrees, r != 0 { parts.append("rotation \(Int(r))°") }
                if let l = s.language { parts.append(l) }
                print("  " + parts.joined(separator: ", "))
            }
            if let n = result.frameCount { print("  video frames: \(n)") }
        }
    }
}
