internal import CFFmpeg

/// A compressed packet of a stream that is copied through unchanged (audio, subtitles).
public final class PassthroughPacket: @unchecked Sendable {
    let packet: Packet
    /// Index of the stream in the input file.
    public var streamIndex: Int { packet.streamIndex }
    init(_ packet: Packet) { self.packet = packet }
}

/// Reads a media file: decodes its main video stream into yuv420p frames in presentation order and
/// hands every other packet through untouched. Memory stays bounded: one packet at a time, plus
/// the decoder's own delay.
public final class MediaReader {
    public let path: String
    public private(set) var video: VideoInfo
    public let streams: [StreamInfo]
    /// Container name as FFmpeg reports it.
    public let containerName: String
    public private(set) var framesDecoded = 0
    /// Packets the decoder rejected as invalid data (skipped, as the ffmpeg command line does).
    public private(set) var corruptPackets = 0

    let demuxer: Demuxer
    let decoder: Decoder
    let videoIndex: Int
    private let converter = Converter()
    private let packet = Packet()
    private var pending: [Frame] = []
    private var draining = false
    private var finished = false
    private var lastPTS: Int64?
    private let frameStep: Int64

    public enum Item {
        case frame(Frame)
        case packet(PassthroughPacket)
    }

    public init(path: String) throws {
        self.path = path
        demuxer = try Demuxer(path: path)
        streams = demuxer.streams
        containerName = demuxer.formatName
        guard let index = demuxer.bestVideoStream() else {
            throw MediaError(path: path, "no video stream (not a video file)")
        }
        videoIndex = index
        let stream = demuxer.stream(index)
        let par = stream.pointee.codecpar!.pointee
        let width = Int(par.width), height = Int(par.height)
        if width <= 0 || height <= 0 {
            throw MediaError(path: path, "the video stream has no decodable pictures (unknown frame size)")
        }
        if width > MediaLimits.maxDimension || height > MediaLimits.maxDimension {
            throw MediaError(path: path, "frame size \(width)x\(height) is too large (at most \(MediaLimits.maxDimension) on a side)")
        }
        decoder = try Decoder(stream: stream, path: path)
        let info = streams[index]
        let tb = Rational(stream.pointee.time_base)
        var rate = Rational(stream.pointee.avg_frame_rate)
        if rate.value == nil { rate = Rational(stream.pointee.r_frame_rate) }
        let duration = info.durationSeconds ?? demuxer.durationSeconds
        var expected = info.declaredFrames
        if expected == nil, let duration, let fps = rate.value { expected = Int((duration * fps).rounded()) }
        video = VideoInfo(width: width, height: height, timeBase: tb, frameRate: rate.value == nil ? nil : rate,
                          expectedFrames: expected, durationSeconds: duration,
                          sourcePixelFormat: info.pixelFormat ?? "unknown", rotationDegrees: info.rotationDegrees)
        if stream.pointee.start_time != AVCodes.noPTS { video.startPTS = stream.pointee.start_time }
        // One frame's duration in stream ticks, to stamp frames that arrive without a timestamp.
        if let fps = rate.value, tb.den > 0 {
            frameStep = max(1, Int64((Double(tb.den) / Double(tb.num) / fps).rounded()))
        } else {
            frameStep = 1
        }
    }

    /// The next decoded frame or passthrough packet, or nil at the end of the file.
    public func next() throws -> Item? {
        while true {
            if !pending.isEmpty { return .frame(pending.removeFirst()) }
            if finished {
                if framesDecoded == 0 {
                    throw MediaError(path: path, StillImage.containers.contains(containerName)
                                     ? "no picture could be decoded (truncated or damaged)" : "no video frames could be decoded")
                }
                return nil
            }
            if draining {
                try receiveFrames()
                continue
            }
            switch try demuxer.read(into: packet) {
            case .endOfFile:
                _ = try decoder.send(nil)
                draining = true
            case .packet:
                if packet.streamIndex == videoIndex {
                    if try !decoder.send(packet) { corruptPackets += 1 }
                    try receiveFrames()
                } else if streams[packet.streamIndex].kind == .audio || streams[packet.streamIndex].kind == .subtitle {
                    let copy = Packet()
                    av_packet_move_ref(copy.pointer, packet.pointer)
                    return .packet(PassthroughPacket(copy))
                }
            }
        }
    }

    private func receiveFrames() throws {
        while true {
            let step: Decoder.Step
            do { step = try decoder.receive() } catch let error as MediaError { throw error.naming(path) }
            switch step {
            case .needsInput: return
            case .endOfStream: finished = true; return
            case .frame(let raw):
                let frame = try converter.toYUV420P(raw)
                if frame.width != video.width || frame.height != video.height {
                    throw MediaError(path: path, "frame size changes mid-stream (\(video.width)x\(video.height) to \(frame.width)x\(frame.height)), which is not supported")
                }
                stamp(frame, bestEffort: raw.pointer.pointee.best_effort_timestamp)
                framesDecoded += 1
                pending.append(frame)
            }
        }
    }

    /// How long `frame` is shown, in the stream time base: its own duration when the decoder
    /// knows it, else one frame at the average rate.
    func frameDuration(_ frame: Frame) -> Int64 {
        let d = frame.pointer.pointee.pkt_duration
        return d > 0 ? d : frameStep
    }

    /// Gives every frame a strictly increasing timestamp: the decoder's best effort, else the previous plus one frame.
    private func stamp(_ frame: Frame, bestEffort: Int64) {
        var pts = bestEffort == AVCodes.noPTS ? nil : bestEffort
        if let last = lastPTS {
            if let p = pts, p <= last { pts = last + 1 }
            if pts == nil { pts = last + frameStep }
        }
        frame.pts = pts ?? 0
        lastPTS = frame.pts
    }
}
