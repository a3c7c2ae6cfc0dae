internal import CFFmpeg

/// A libavfilter graph with one video input and one video output, described as on the ffmpeg
/// command line (`-vf`). Source filters inside the description (`testsrc2`, …) are allowed.
final class FilterGraph {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>

    enum Step { case frame(Frame), needsInput, endOfStream }

    /// - Parameters: the input pictures' geometry, time base and pixel format, the filter
    ///   description, and the output's pixel format (nil: whatever the description leaves).
    init(description: String, width: Int, height: Int, timeBase: Rational, sampleAspect: Rational, frameRate: Rational?,
         pixelFormat: Int32 = AV_PIX_FMT_YUV420P.rawValue, outputFormat: String? = "yuv420p") throws {
        graph = avfilter_graph_alloc()
        guard let graph else { throw MediaError("out of memory") }
        let sar = sampleAspect.num > 0 && sampleAspect.den > 0 ? sampleAspect : Rational(1, 1)
        var args = "video_size=\(width)x\(height):pix_fmt=\(pixelFormat):time_base=\(timeBase.num)/\(timeBase.den):pixel_aspect=\(sar.num)/\(sar.den)"
        // The frame rate travels to the encoder, whose rate control depends on it.
        if let frameRate, frameRate.value != nil { args += ":frame_rate=\(frameRate.num)/\(frameRate.den)" }
        var src: UnsafeMutablePointer<AVFilterContext>?
        var snk: UnsafeMutablePointer<AVFilterContext>?
        do {
            try check(avfilter_graph_create_filter(&src, avfilter_get_by_name("buffer"), "in", args, nil, graph), "creating the filter input")
            try check(avfilter_graph_create_filter(&snk, avfilter_get_by_name("buffersink"), "out", nil, nil, graph), "creating the filter output")
            var outputs = avfilter_inout_alloc(), inputs = avfilter_inout_alloc()
            defer { avfilter_inout_free(&outputs); avfilter_inout_free(&inputs) }
            outputs!.pointee.name = av_strdup("in")
            outputs!.pointee.filter_ctx = src
            outputs!.pointee.pad_idx = 0
            outputs!.pointee.next = nil
            inputs!.pointee.name = av_strdup("out")
            inputs!.pointee.filter_ctx = snk
            inputs!.pointee.pad_idx = 0
            inputs!.pointee.next = nil
            let full = description + (outputFormat.map { ",format=\($0)" } ?? "")
            try check(avfilter_graph_parse_ptr(graph, full, &inputs, &outputs, nil), "filter '\(description)'")
            try check(avfilter_graph_config(graph, nil), "configuring filter '\(description)'")
        } catch {
            avfilter_graph_free(&self.graph)
            throw error
        }
        source = src!
        sink = snk!
    }

    deinit { avfilter_graph_free(&graph) }

    var outputWidth: Int { Int(av_buffersink_get_w(sink)) }
    var outputHeight: Int { Int(av_buffersink_get_h(sink)) }
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    var outputFrameRate: AVRational { av_buffersink_get_frame_rate(sink) }
    var outputSampleAspect: AVRational { av_buffersink_get_sample_aspect_ratio(sink) }

    private var endPTS: Int64?

    /// Feeds one frame (`duration`: its display time in the input time base, for the end of stream).
    func push(_ frame: Frame, duration: Int64) throws {
        if let pts = frame.pts { endPTS = pts + duration }
        try check(av_buffersrc_add_frame_flags(source, frame.pointer, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)), "filtering")
    }

    /// Ends the input at the end of the last frame's display time, as the ffmpeg command line
    /// does (so `fps` and `trim` see where the stream really stops).
    func close() throws {
        try check(av_buffersrc_close(source, endPTS ?? 0, UInt32(AV_BUFFERSRC_FLAG_PUSH)), "filtering")
    }

    func pull() throws -> Step {
        let frame = Frame()
        let ret = av_buffersink_get_frame(sink, frame.pointer)
        if ret == AVCodes.again { return .needsInput }
        if ret == AVCodes.eof { return .endOfStream }
        try check(ret, "filtering")
        return .frame(frame)
    }
}
