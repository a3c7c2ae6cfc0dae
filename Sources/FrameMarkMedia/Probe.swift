/// What `framemark probe` reports about a file.
public struct ProbeResult: Sendable, Codable {
    public var file: String
    public var container: String
    public var durationSeconds: Double?
    public var streams: [StreamInfo]
    /// Index of the video stream FrameMark would process.
    public var videoStream: Int?
    /// Video frames in the file, counted by reading its packets when the container declares none.
    public var frameCount: Int?
}

/// Reads a file's streams without decoding pictures.
public enum MediaProbe {
    public static func probe(_ path: String) throws -> ProbeResult {
        let demuxer = try Demuxer(path: path)
        let video = demuxer.bestVideoStream()
        var count: Int?
        if let video {
            count = demuxer.streams[video].declaredFrames
            if count == nil {
                let packet = Packet()
                var n = 0
                while try demuxer.read(into: packet) == .packet {
                    if packet.streamIndex == video { n += 1 }
                }
                count = n
            }
        }
        return ProbeResult(file: path, container: demuxer.formatName, durationSeconds: demuxer.durationSeconds,
                           streams: demuxer.streams, videoStream: video, frameCount: count)
    }
}

extension MediaProbe {
    /// Total bytes of the main video stream's packets: what its bitrate is made of.
    public static func videoBytes(_ path: String) throws -> Int {
        let demuxer = try Demuxer(path: path)
        guard let video = demuxer.bestVideoStream() else { throw MediaError(path: path, "no video stream (not a video file)") }
        let packet = Packet()
        var bytes = 0
        while try demuxer.read(into: packet) == .packet {
            if packet.streamIndex == video { bytes += Int(packet.pointer.pointee.size) }
        }
        return bytes
    }
}
