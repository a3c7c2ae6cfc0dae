internal import CFFmpeg

/// An output file being written (`avformat_alloc_output_context2`, `av_interleaved_write_frame`).
/// Not thread-safe: one writer.
final class Muxer {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String
    private var opened = false
    private var headerWritten = false

    /// The container for an output name's extension.
    static func formatName(forExtension ext: String) -> String? {
        switch ext.lowercased() {
        case "mp4", "m4v": return "mp4"
        case "mov": return "mov"
        case "mkv": return "matroska"
        default: return nil
        }
    }

    init(path: String, formatName: String) throws {
        self.path = path
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&ctx, nil, formatName, path), "creating the \(formatName) muxer", path: path)
        context = ctx!
    }

    deinit {
        if opened { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }

    var needsGlobalHeader: Bool { context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }

    /// Whether this container can hold `codecID` (`avformat_query_codec`).
    func accepts(_ codecID: AVCodecID) -> Bool {
        avformat_query_codec(context.pointee.oformat, codecID, FF_COMPLIANCE_NORMAL) == 1
    }

    func addStream() throws -> UnsafeMutablePointer<AVStream> {
        guard let s = avformat_new_stream(context, nil) else { throw MediaError(path: path, "cannot add a stream") }
        return s
    }

    func writeHeader(faststart: Bool) throws {
        try check(avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE), "cannot write", path: path)
        opened = true
        var options: OpaquePointer?
        if faststart { av_dict_set(&options, "movflags", "+faststart", 0) }
        defer { av_dict_free(&options) }
        try check(avformat_write_header(context, &options), "writing the header", path: path)
        headerWritten = true
    }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

    /// Writes a packet whose timestamps are already in the output stream's time base; takes its reference.
    func write(_ packet: Packet) throws {
        try check(av_interleaved_write_frame(context, packet.pointer), "writing", path: path)
    }

    func finish() throws {
        try check(av_write_trailer(context), "finishing the file", path: path)
        avio_closep(&context.pointee.pb)
        opened = false
    }
}
