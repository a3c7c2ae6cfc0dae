internal import CFFmpeg
import Foundation

/// What an attack does to a video: a libavfilter description (as `-vf` takes) and the codec it is
/// re-encoded with, as a platform running FFmpeg would.
public struct AttackRecipe: Sendable, Hashable {
    /// Filter description; "null" for none.
    public var filter: String
    /// Encoder name: libx264, libx265 or libvpx-vp9.
    public var codec: String
    public var crf: Int
    /// The encoder's private options besides crf (preset, deadline, …).
    public var options: [String: String]

    public init(filter: String = "null", codec: String = "libx264", crf: Int = 23, options: [String: String]? = nil) {
        self.filter = filter
        self.codec = codec
        self.crf = crf
        self.options = options ?? Self.defaultOptions(codec)
    }

    /// The same attack as ffmpeg command-line arguments after `-i INPUT` (the tests' oracle).
    public var commandLineArguments: [String] {
        var args: [String] = []
        if filter.contains("[in]") {
            args += ["-filter_complex", filter.replacingOccurrences(of: "[in]", with: "[0:v]")]
        } else if filter != "null" {
            args += ["-vf", filter]
        }
        args += ["-c:v", codec, "-crf", String(crf)]
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { args += ["-\(key)", value] }
        if codec == "libvpx-vp9" { args += ["-b:v", "0"] }
        return args
    }

    static func defaultOptions(_ codec: String) -> [String: String] {
        switch codec {
        case "libx264": return ["preset": "veryfast"]
        case "libx265": return ["preset": "veryfast", "x265-params": "log-level=error"]
        case "libvpx-vp9": return ["deadline": "realtime", "cpu-used": "8", "row-mt": "1"]
        default: return [:]
        }
    }
}

/// Renders attacked copies of a video: decode → filter graph → encode → Matroska file (video only).
public enum AttackRenderer {
    /// Writes the attacked copy of `input` to `output` (.mkv); returns the frames written.
    @discardableResult
    public static func render(_ recipe: AttackRecipe, input: String, output: String) throws -> Int {
        let reader = try MediaReader(path: input)
        let video = reader.video
        let stream = reader.demuxer.stream(reader.videoIndex)
        let graph = try FilterGraph(description: recipe.filter, width: video.width, height: video.height,
                                    timeBase: video.timeBase, sampleAspect: Rational(stream.pointee.sample_aspect_ratio),
                                    frameRate: video.frameRate)
        let temporary = output + ".framemark-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        TemporaryFiles.shared.add(temporary)
        defer { TemporaryFiles.shared.remove(temporary); unlink(temporary) }
        let muxer = try Muxer(path: temporary, formatName: "matroska")
        var encoder: VideoEncoder?
        var lastPTS: Int64?
        let rate = graph.outputFrameRate
        let encoderTimeBase = rate.num > 0 && rate.den > 0 ? av_inv_q(rate) : graph.outputTimeBase
        let packet = Packet()
        var written = 0

        func drain() throws {
            guard let encoder else { return }
            while case .packet = try encoder.receive(into: packet) {
                av_packet_rescale_ts(packet.pointer, encoder.context.pointee.time_base, muxer.stream(0).pointee.time_base)
                packet.pointer.pointee.stream_index = 0
                try muxer.write(packet)
            }
        }
        func open() throws -> VideoEncoder {
            if let encoder { return encoder }
            var options = recipe.options
            options["crf"] = String(recipe.crf)
            let e = try VideoEncoder(codec: recipe.codec, width: graph.outputWidth, height: graph.outputHeight,
                                     sampleAspect: graph.outputSampleAspect, timeBase: encoderTimeBase,
                                     frameRate: graph.outputFrameRate, globalHeader: muxer.needsGlobalHeader, options: options)
            let out = try muxer.addStream()
            try check(avcodec_parameters_from_context(out.pointee.codecpar, e.context), "configuring the attacked stream")
            out.pointee.time_base = e.context.pointee.time_base
            try muxer.writeHeader(faststart: false)
            encoder = e
            return e
        }
        func pullAll() throws {
            while case .frame(let frame) = try graph.pull() {
                // Encoders run their rate control on the time base: give them 1/frame rate, as
                // the ffmpeg command line does, so an attack means the same bits as there.
                if let pts = frame.pts {
                    var p = av_rescale_q(pts, graph.outputTimeBase, encoderTimeBase)
                    if let last = lastPTS, p <= last { p = last + 1 }
                    frame.pts = p
                    lastPTS = p
                }
                try open().send(frame)
                written += 1
                try drain()
            }
        }
        while let item = try reader.next() {
            guard case .frame(let frame) = item else { continue }
            try graph.push(frame, duration: reader.frameDuration(frame))
            try pullAll()
        }
        try graph.close()
        try pullAll()
        guard let encoder else { throw MediaError(path: input, "the attack left no frames") }
        try encoder.send(nil)
        try drain()
        try muxer.finish()
        if rename(temporary, output) != 0 {
            throw MediaError(path: output, "cannot move the finished file into place (\(String(cString: strerror(errno))))")
        }
        return written
    }
}
