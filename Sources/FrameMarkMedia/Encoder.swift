internal import CFFmpeg

/// Settings for the H.264 encode (libx264).
public struct EncoderSettings: Sendable {
    /// Constant rate factor, 0–51 (lower is better quality).
    public var crf: Int
    /// x264 preset (ultrafast … placebo).
    public var preset: String
    public init(crf: Int = 18, preset: String = "medium") {
        self.crf = crf
        self.preset = preset
    }
    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
}

/// A video encoder (`avcodec_send_frame` / `avcodec_receive_packet`): libx264 for FrameMark's
/// own output; libx265 and libvpx-vp9 too, for the survival suite's attacks.
final class VideoEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    enum Step { case packet, needsInput, endOfStream }

    /// Opens libx264 for yuv420p pictures shaped like `decoder`'s, in the stream time base `timeBase`.
    convenience init(like decoder: Decoder, timeBase: AVRational, frameRate: AVRational, settings: EncoderSettings, globalHeader: Bool) throws {
        guard EncoderSettings.presets.contains(settings.preset) else {
            throw MediaError("unknown x264 preset '\(settings.preset)' (one of \(EncoderSettings.presets.joined(separator: ", ")))")
        }
        guard (0...51).contains(settings.crf) else { throw MediaError("CRF \(settings.crf) is outside 0…51") }
        let d = decoder.context.pointee
        try self.init(codec: "libx264", width: Int(d.width), height: Int(d.height), sampleAspect: d.sample_aspect_ratio,
                      timeBase: timeBase, frameRate: frameRate, globalHeader: globalHeader,
                      options: ["preset": settings.preset, "crf": String(settings.crf)]) { ctx in
            ctx.pointee.color_primaries = d.color_primaries
            ctx.pointee.color_trc = d.color_trc
            ctx.pointee.colorspace = d.colorspace
            ctx.pointee.chroma_sample_location = d.chroma_sample_location
        }
    }

    /// Opens encoder `codec` for yuv420p pictures; `options` are the codec's private options
    /// (`av_opt_set`, e.g. "crf", "preset"); `configure` may set more fields before opening.
    init(codec name: String, width: Int, height: Int, sampleAspect: AVRational, timeBase: AVRational, frameRate: AVRational,
         globalHeader: Bool, options: [String: String], configure: (UnsafeMutablePointer<AVCodecContext>) -> Void = { _ in }) throws {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw MediaError("this FFmpeg has no \(name) encoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError("out of memory") }
        context = ctx
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.time_base = timeBase
        if frameRate.num > 0 && frameRate.den > 0 { ctx.pointee.framerate = frameRate }
        ctx.pointee.sample_aspect_ratio = sampleAspect
        ctx.pointee.color_range = AVCOL_RANGE_MPEG
        ctx.pointee.thread_count = 0
        // Quality-driven (CRF) everywhere: no bitrate cap (libvpx would otherwise cap at 200 kb/s).
        ctx.pointee.bit_rate = 0
        if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        configure(ctx)
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            try check(av_opt_set(ctx.pointee.priv_data, key, value, 0), "setting \(name) option \(key)=\(value)")
        }
        try check(avcodec_open2(ctx, codec, nil), "opening \(name)")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends one frame, or nil to flush. The frame's picture type is cleared so the encoder picks its own.
    func send(_ frame: Frame?) throws {
        if let frame { frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE }
        try check(avcodec_send_frame(context, frame?.pointer), "encoding")
    }

    func receive(into packet: Packet) throws -> Step {
        let ret = avcodec_receive_packet(context, packet.pointer)
        if ret == AVCodes.again { return .needsInput }
        if ret == AVCodes.eof { return .endOfStream }
        try check(ret, "encoding")
        return .packet
    }
}
