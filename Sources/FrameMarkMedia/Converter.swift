internal import CFFmpeg

/// Converts decoded pictures to 8-bit yuv420p of the same size (`sws_scale_frame`), the one format
/// the rest of FrameMark works on. Frames already in yuv420p pass through untouched.
final class Converter {
    private var context: OpaquePointer?
    private var source: (w: Int32, h: Int32, fmt: Int32) = (0, 0, -1)

    deinit { sws_freeContext(context) }

    func toYUV420P(_ frame: Frame) throws -> Frame {
        if frame.isYUV420P { return frame }
        let f = frame.pointer.pointee
        if source != (f.width, f.height, f.format) || context == nil {
            sws_freeContext(context)
            context = sws_getContext(f.width, f.height, AVPixelFormat(f.format),
                                     f.width, f.height, AV_PIX_FMT_YUV420P,
                                     SWS_BICUBIC, nil, nil, nil)
            source = (f.width, f.height, f.format)
            guard context != nil else {
                throw MediaError("cannot convert pixel format \(frame.pixelFormatName) to yuv420p")
            }
        }
        let out = Frame()
        out.pointer.pointee.width = f.width
        out.pointer.pointee.height = f.height
        out.pointer.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        try check(av_frame_copy_props(out.pointer, frame.pointer), "copying frame properties")
        out.pointer.pointee.color_range = AVCOL_RANGE_MPEG
        try check(sws_scale_frame(context, out.pointer, frame.pointer), "converting \(frame.pixelFormatName) to yuv420p")
        return out
    }
}
