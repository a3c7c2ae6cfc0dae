import Foundation
import FrameMarkMedia

/// Small clips made on the spot with the `ffmpeg` command line, so a fresh clone needs no media.
public struct ClipFactory {
    public let folder: URL

    /// A new empty temporary folder, removed by `cleanUp()`.
    public init(_ name: String = "framemark-tests") throws {
        FFmpegLog.set(verbose: false)
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    public func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    public func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `ffmpeg -v error -y ARGS… OUTPUT` and returns the output's path.
    @discardableResult
    public func ffmpeg(_ arguments: [String], output name: String) throws -> String {
        let out = path(name)
        let result = try runCommand("ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments + [out])
        guard result.status == 0 else { throw TestSupportError("ffmpeg failed making \(name): \(result.stderr)") }
        return out
    }

    /// A moving test pattern (`testsrc2`, plus noise for texture) with optional sine audio.
    @discardableResult
    public func testClip(_ name: String, width: Int = 320, height: Int = 180, seconds: Double = 2, rate: Int = 25,
                         audio: Bool = false, codecArgs: [String] = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16"],
                         filter: String? = nil) throws -> String {
        var args = ["-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height):rate=\(rate)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
        args += ["-t", String(seconds)]
        if let filter { args += ["-vf", filter] }
        args += codecArgs
        if audio { args += ["-c:a", "aac", "-b:a", "96k", "-shortest"] }
        return try ffmpeg(args, output: name)
    }
}

/// Facts about a file read with `ffprobe`, as test oracles independent of FrameMark's own code.
public enum Oracle {
    /// Presentation timestamps (seconds) of every video frame.
    public static func videoFrameTimes(_ path: String) throws -> [Double] {
        let r = try runCommand("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                           "-of", "csv=p=0", path])
        guard r.status == 0 else { throw TestSupportError("ffprobe failed on \(path): \(r.stderr)") }
        return r.stdout.split(whereSeparator: \.isNewline).compactMap { Double($0.split(separator: ",").first ?? "") }
    }

    /// MD5 of the audio packets, stream-copied (`ffmpeg -map 0:a -c copy -f md5 -`).
    public static func audioMD5(_ path: String) throws -> String {
        let r = try runCommand("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:a", "-c", "copy", "-f", "md5", "-"])
        guard r.status == 0 else { throw TestSupportError("ffmpeg md5 failed on \(path): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One `ffprobe -show_entries` value of the first video stream ("width", "pix_fmt", …).
    public static func videoStreamEntry(_ path: String, _ entry: String) throws -> String {
        let r = try runCommand("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=\(entry)",
                                           "-of", "default=nw=1:nk=1", path])
        let value = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Two failed probes would otherwise compare equal as two empty strings.
        guard r.status == 0, !value.isEmpty else { throw TestSupportError("ffprobe has no \(entry) for \(path): \(r.stderr)") }
        return value
    }

    /// Display rotation of the first video stream, or nil.
    public static func rotation(_ path: String) throws -> Double? {
        let r = try runCommand("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream_side_data=rotation",
                                           "-of", "default=nw=1:nk=1", path])
        return Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Average luma PSNR of `distorted` against `reference` (ffmpeg's psnr filter).
    public static func lumaPSNR(_ distorted: String, reference: String) throws -> Double {
        let r = try runCommand("ffmpeg", ["-nostdin", "-i", distorted, "-i", reference, "-lavfi", "[0:v][1:v]psnr", "-f", "null", "-"])
        guard let line = r.stderr.split(separator: "\n").last(where: { $0.contains("PSNR y:") }),
              let range = line.range(of: "y:") else { throw TestSupportError("no PSNR in ffmpeg output: \(r.stderr.suffix(400))") }
        let value = line[range.upperBound...].prefix { !$0.isWhitespace }
        return value == "inf" ? .infinity : Double(value) ?? -1
    }
}
