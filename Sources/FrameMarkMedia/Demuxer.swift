internal import CFFmpeg
import Foundation

/// An open input file (`avformat_open_input` + `avformat_find_stream_info`).
final class Demuxer {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String

    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MediaError(path: path, "no such file")
        }
        if isDirectory.boolValue { throw MediaError(path: path, "is a folder, not a video file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MediaError(path: path, "not readable (permission denied)")
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        let ret = avformat_open_input(&ctx, path, nil, nil)
        guard ret >= 0, let ctx else {
            throw MediaError(path: path, "not a readable media file, or truncated (\(ffmpegMessage(ret)))", code: ret)
        }
        context = ctx
        let info = avformat_find_stream_info(ctx, nil)
        if info < 0 {
            var c: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&c)
            throw MediaError(path: path, "cannot read stream information (\(ffmpegMessage(info)))", code: info)
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&c)
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    var streams: [StreamInfo] { (0..<streamCount).map { StreamInfo(stream: stream($0)) } }

    /// Container name as FFmpeg knows it ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", …).
    var formatName: String { String(cString: context.pointee.iformat.pointee.name) }

    var durationSeconds: Double? {
        let d = context.pointee.duration
        return d == AVCodes.noPTS || d <= 0 ? nil : Double(d) / Double(fm_time_base())
    }

    /// The video stream FFmpeg would pick (`av_find_best_stream`), ignoring cover art.
    func bestVideoStream() -> Int? {
        let ret = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard ret >= 0 else { return nil }
        if stream(Int(ret)).pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 { return nil }
        return Int(ret)
    }

    enum ReadStep { case packet, endOfFile }

    /// Reads the next packet (`av_read_frame`) into `packet`, which is unreferenced first.
    func read(into packet: Packet) throws -> ReadStep {
        packet.unref()
        let ret = av_read_frame(context, packet.pointer)
        if ret == AVCodes.eof { return .endOfFile }
        if ret < 0 {
            throw MediaError(path: path, "read error, the file may be truncated or corrupt (\(ffmpegMessage(ret)))", code: ret)
        }
        return .packet
    }
}
