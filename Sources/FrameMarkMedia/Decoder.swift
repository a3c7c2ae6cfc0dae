internal import CFFmpeg

/// A video decoder for one input stream (`avcodec_send_packet` / `avcodec_receive_frame`).
final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    enum Step { case frame(Frame), needsInput, endOfStream }

    init(stream: UnsafeMutablePointer<AVStream>, path: String) throws {
        let par = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(par.pointee.codec_id))
            throw MediaError(path: path, "no decoder for codec \(name)")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError(path: path, "out of memory") }
        context = ctx
        try check(avcodec_parameters_to_context(ctx, par), "configuring the decoder", path: path)
        ctx.pointee.pkt_timebase = stream.pointee.time_base
        ctx.pointee.thread_count = 0  // auto, as the ffmpeg command line does
        try check(avcodec_open2(ctx, codec, nil), "opening the \(String(cString: codec.pointee.name)) decoder", path: path)
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends one packet, or nil to start draining. Returns false when the packet was rejected as
    /// invalid data (the caller skips it, as the ffmpeg command line does).
    func send(_ packet: Packet?) throws -> Bool {
        let ret = avcodec_send_packet(context, packet?.pointer)
        if ret == AVCodes.invalidData { return false }
        if ret < 0 && ret != AVCodes.eof { try check(ret, "decoding") }
        return true
    }

    func receive() throws -> Step {
        let frame = Frame()
        let ret = avcodec_receive_frame(context, frame.pointer)
        if ret == AVCodes.again { return .needsInput }
        if ret == AVCodes.eof { return .endOfStream }
        if ret == AVCodes.invalidData { return .needsInput }
        try check(ret, "decoding")
        return .frame(frame)
    }
}
