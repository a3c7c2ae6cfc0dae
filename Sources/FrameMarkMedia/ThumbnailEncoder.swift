internal import CFFmpeg

/// Small JPEG pictures of decoded frames, for reports: `sws_scale_frame` down to `width` pixels
/// wide (aspect kept) in full-range yuvj420p, then FFmpeg's `mjpeg` encoder at a fixed quantiser.
public final class ThumbnailEncoder {
    public let width: Int
    private var scaler: OpaquePointer?
    private var geometry: (sw: Int32, sh: Int32, fmt: Int32, tw: Int32, th: Int32) = (0, 0, -1, 0, 0)
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var nextPTS: Int64 = 0

    /// `width` is rounded down to an even number (at least 16).
    public init(width: Int = 320) {
        self.width = max(16, width & ~1)
    }

    deinit {
        sws_freeContext(scaler)
        var c = encoder
        avcodec_free_context(&c)
    }

    /// The frame as a JPEG file's bytes.
    public func jpeg(_ frame: Frame) throws -> [UInt8] {
        let f = frame.pointer.pointee
        let tw = Int32(min(width, Int(f.width)) & ~1)
        let th = Int32(max(2, (Int(f.height) * Int(tw) / max(1, Int(f.width))) & ~1))
        if geometry != (f.width, f.height, f.format, tw, th) || scaler == nil {
            sws_freeContext(scaler)
            scaler = sws_getContext(f.width, f.height, AVPixelFormat(f.format), tw, th, AV_PIX_FMT_YUVJ420P, SWS_AREA, nil, nil, nil)
            guard scaler != nil else { throw MediaError("cannot scale \(frame.pixelFormatName) to a thumbnail") }
            try openEncoder(width: tw, height: th)
            geometry = (f.width, f.height, f.format, tw, th)
        }
        let small = Frame()
        small.pointer.pointee.width = tw
        small.pointer.pointee.height = th
        small.pointer.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        small.pointer.pointee.color_range = AVCOL_RANGE_JPEG
        try check(sws_scale_frame(scaler, small.pointer, frame.pointer), "scaling a thumbnail")
        // The encoder insists on increasing timestamps, even for stills.
        small.pointer.pointee.pts = nextPTS
        nextPTS += 1
        small.pointer.pointee.quality = encoder!.pointee.global_quality
        try check(avcodec_send_frame(encoder, small.pointer), "encoding a thumbnail (send)")
        let packet = Packet()
        try check(avcodec_receive_packet(encoder, packet.pointer), "encoding a thumbnail (receive)")
        defer { packet.unref() }
        return Array(UnsafeBufferPointer(start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size)))
    }

    private func openEncoder(width: Int32, height: Int32) throws {
        var old = encoder
        avcodec_free_context(&old)
        encoder = nil
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw MediaError("this FFmpeg has no mjpeg encoder") }
        guard let ctx = avcodec_alloc_context3(codec) else { throw MediaError("out of memory") }
        encoder = ctx
        nextPTS = 0
        ctx.pointee.width = width
        ctx.pointee.height = height
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        ctx.pointee.color_range = AVCOL_RANGE_JPEG
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        // A fixed quantiser (qscale 4, as `-q:v 4`): good-looking thumbnails of a few kilobytes.
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.global_quality = 4 * fm_qp2lambda()
        try check(avcodec_open2(ctx, codec, nil), "opening the mjpeg encoder")
    }
}
