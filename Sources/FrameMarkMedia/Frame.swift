internal import CFFmpeg

/// An owned `AVFrame` holding one decoded picture (8-bit planar YUV after conversion).
///
/// Frames are reference-counted by FFmpeg; the wrapper may cross threads, but only one thread
/// touches a given frame at a time (the pipeline hands it from stage to stage).
public final class Frame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    init(taking pointer: UnsafeMutablePointer<AVFrame>) {
        self.pointer = pointer
    }

    /// A new, empty frame (`av_frame_alloc`).
    convenience init() {
        guard let p = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        self.init(taking: p)
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }

    /// Presentation time in the time base of the stream the frame came from.
    public var pts: Int64? {
        get { pointer.pointee.pts == AVCodes.noPTS ? nil : pointer.pointee.pts }
        set { pointer.pointee.pts = newValue ?? AVCodes.noPTS }
    }

    /// The pixel format's name (`av_get_pix_fmt_name`).
    public var pixelFormatName: String {
        guard let name = av_get_pix_fmt_name(AVPixelFormat(pointer.pointee.format)) else { return "unknown" }
        return String(cString: name)
    }

    var isYUV420P: Bool { pointer.pointee.format == AV_PIX_FMT_YUV420P.rawValue }

    /// Size of plane `index` in samples (chroma planes of 4:2:0 are half size, rounded up).
    public func planeSize(_ index: Int) -> (width: Int, height: Int) {
        index == 0 ? (width, height) : ((width + 1) / 2, (height + 1) / 2)
    }

    /// Makes the buffers writable, copying them if a decoder still references them (`av_frame_make_writable`).
    public func makeWritable() throws {
        try check(av_frame_make_writable(pointer), "making a frame writable")
    }

    /// Calls `body` with plane `index` as one buffer of `stride * height` bytes and its stride.
    /// Row `y` starts at `y * stride`; only the first `planeSize(index).width` bytes of a row are picture.
    @discardableResult
    public func withPlane<R>(_ index: Int, _ body: (UnsafeMutableBufferPointer<UInt8>, Int) throws -> R) rethrows -> R {
        precondition(index >= 0 && index < 3, "plane index out of range")
        let stride = Int(fm_frame_linesize(pointer, Int32(index)))
        let rows = planeSize(index).height
        guard let base = fm_frame_data(pointer, Int32(index)) else {
            return try body(UnsafeMutableBufferPointer(start: nil, count: 0), 0)
        }
        precondition(stride > 0, "negative strides are not produced by the converter")
        let count = stride * (rows - 1) + planeSize(index).width
        return try body(UnsafeMutableBufferPointer(start: base, count: count), stride)
    }
}
