import CFFmpeg

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

/// An H.264 encoder through libx264 (`avcodec_send_frame` / `avcodec_receive_packet`).
final class H264Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    enum Step { case packet, needsInput, endOfStream }

    /// Opens libx264 for yuv420p pictures shaped like `decoder`'s, in the stream time base `timeBase`.
    init(like decoder: Decoder, timeBase: AVRational, frameRate: AVRational, settings: EncoderSettings, globalHeader: Bool) throws {
        guard let codec = avcodec_find_encoder_by_name("libx264") else {
            throw MediaError("this FFmpeg has no libx264 encoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError("out of memory") }
        context = ctx
        let d = decoder.context.pointee
        ctx.pointee.width = d.width
        ctx.pointee.height = d.height
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.time_base = timeBase
        if frameRate.num > 0 && frameRate.den > 0 { ctx.pointee.framerate = frameRate }
        ctx.pointee.sample_aspect_ratio = d.sample_aspect_ratio
        ctx.pointee.color_primaries = d.color_primaries
        ctx.pointee.color_trc = d.color_trc
        ctx.pointee.colorspace = d.colorspace
        ctx.pointee.color_range = AVCOL_RANGE_MPEG
        ctx.pointee.chroma_sample_location = d.chroma_sample_location
        ctx.pointee.thread_count = 0
        if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        guard EncoderSettings.presets.contains(settings.preset) else {
            throw MediaError("unknown x264 preset '\(settings.preset)' (one of \(EncoderSettings.presets.joined(separator: ", ")))")
        }
        guard (0...51).contains(settings.crf) else { throw MediaError("CRF \(settings.crf) is outside 0…51") }
        try check(av_opt_set(ctx.pointee.priv_data, "preset", settings.preset, 0), "setting the x264 preset")
        try check(av_opt_set_double(ctx.pointee.priv_data, "crf", Double(settings.crf), 0), "setting the x264 CRF")
        try check(avcodec_open2(ctx, codec, nil), "opening libx264")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends one frame, or nil to flush. The frame's picture type is cleared so x264 picks its own.
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
