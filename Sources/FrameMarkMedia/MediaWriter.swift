internal import CFFmpeg
import Foundation

/// Writes the H.264 re-encode of a `MediaReader`'s video, with its audio and subtitle streams,
/// metadata and display rotation copied through. Everything goes to a temporary file beside the
/// output, renamed over it only by `finish()`; an unfinished writer deletes its temporary file.
public final class MediaWriter {
    public let path: String
    let temporaryPath: String
    private let muxer: Muxer
    private let encoder: VideoEncoder
    private let videoOut: Int
    private var streamMap: [Int: Int] = [:]
    private let inputTimeBases: [AVRational]
    private let packet = Packet()
    private var done = false
    public private(set) var framesWritten = 0
    /// Input streams that the output container cannot hold and that were left out.
    public private(set) var droppedStreams: [StreamInfo] = []

    public init(path: String, reader: MediaReader, settings: EncoderSettings) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        guard let format = Muxer.formatName(forExtension: url.pathExtension) else {
            throw MediaError(path: path, "unsupported output extension '.\(url.pathExtension)' (use .mp4, .mov or .mkv)")
        }
        try Self.checkNotInput(output: path, input: reader.path)
        if reader.video.width % 2 != 0 || reader.video.height % 2 != 0 {
            throw MediaError(path: reader.path, "odd frame size \(reader.video.width)x\(reader.video.height): H.264 4:2:0 output needs even width and height")
        }
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaError(path: path, "output folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw MediaError(path: path, "output folder \(folder) is not writable")
        }
        temporaryPath = TemporaryFiles.name(beside: path)
        muxer = try Muxer(path: temporaryPath, formatName: format)

        let demuxer = reader.demuxer
        inputTimeBases = (0..<demuxer.streamCount).map { demuxer.stream($0).pointee.time_base }
        let inVideo = demuxer.stream(reader.videoIndex)
        encoder = try VideoEncoder(like: reader.decoder, timeBase: inVideo.pointee.time_base,
                                  frameRate: inVideo.pointee.avg_frame_rate, settings: settings,
                                  globalHeader: muxer.needsGlobalHeader)
        av_dict_copy(&muxer.context.pointee.metadata, demuxer.context.pointee.metadata, 0)

        for index in 0..<demuxer.streamCount {
            let input = demuxer.stream(index)
            let info = reader.streams[index]
            if index == reader.videoIndex {
                let out = try muxer.addStream()
                try check(avcodec_parameters_from_context(out.pointee.codecpar, encoder.context), "configuring the video stream", path: path)
                out.pointee.time_base = encoder.context.pointee.time_base
                out.pointee.avg_frame_rate = input.pointee.avg_frame_rate
                out.pointee.sample_aspect_ratio = input.pointee.sample_aspect_ratio
                out.pointee.disposition = input.pointee.disposition
                av_dict_copy(&out.pointee.metadata, input.pointee.metadata, 0)
                // The encoder names itself; the source's handler and encoder tags would be wrong.
                av_dict_set(&out.pointee.metadata, "encoder", nil, 0)
                av_dict_set(&out.pointee.metadata, "handler_name", nil, 0)
                try Self.copyDisplayMatrix(from: input, to: out)
                streamMap[index] = Int(out.pointee.index)
            } else if info.kind == .audio || info.kind == .subtitle {
                guard muxer.accepts(input.pointee.codecpar!.pointee.codec_id) else {
                    droppedStreams.append(info)
                    continue
                }
                let out = try muxer.addStream()
                try check(avcodec_parameters_copy(out.pointee.codecpar, input.pointee.codecpar), "copying stream \(index)", path: path)
                out.pointee.codecpar!.pointee.codec_tag = 0
                out.pointee.time_base = input.pointee.time_base
                out.pointee.disposition = input.pointee.disposition
                av_dict_copy(&out.pointee.metadata, input.pointee.metadata, 0)
                streamMap[index] = Int(out.pointee.index)
            }
        }
        videoOut = streamMap[reader.videoIndex]!
        TemporaryFiles.shared.add(temporaryPath)
        do {
            try muxer.writeHeader(faststart: format == "mp4" || format == "mov")
        } catch {
            discard()
            throw error
        }
    }

    deinit { if !done { discard() } }

    /// Encodes one frame (its `pts` in the input video's time base).
    public func write(_ frame: Frame) throws {
        try encoder.send(frame)
        framesWritten += 1
        try drainEncoder()
    }

    /// Copies one packet of an audio or subtitle stream; packets of streams left out are ignored.
    public func write(_ passthrough: PassthroughPacket) throws {
        let input = passthrough.streamIndex
        guard let output = streamMap[input] else { return }
        let p = passthrough.packet.pointer
        av_packet_rescale_ts(p, inputTimeBases[input], muxer.stream(output).pointee.time_base)
        p.pointee.stream_index = Int32(output)
        p.pointee.pos = -1
        try muxer.write(passthrough.packet)
    }

    /// Flushes the encoder, finishes the file and moves it over `path`.
    public func finish() throws {
        do {
            try encoder.send(nil)
            try drainEncoder()
            try muxer.finish()
            try TemporaryFiles.sync(temporaryPath)
            // rename(2) replaces an existing output atomically: readers see the old file or the new one.
            if rename(temporaryPath, path) != 0 {
                throw MediaError(path: path, "cannot move the finished file into place (\(String(cString: strerror(errno))))")
            }
            TemporaryFiles.shared.remove(temporaryPath)
            TemporaryFiles.syncFolder(of: path)
            done = true
        } catch {
            discard()
            if let e = error as? MediaError { throw e.naming(path) }
            throw MediaError(path: path, "\(error)")
        }
    }

    /// Abandons the output: the temporary file is removed and `path` is left as it was.
    public func discard() {
        done = true
        unlink(temporaryPath)
        TemporaryFiles.shared.remove(temporaryPath)
    }

    private func drainEncoder() throws {
        while true {
            switch try encoder.receive(into: packet) {
            case .needsInput, .endOfStream: return
            case .packet:
                av_packet_rescale_ts(packet.pointer, encoder.context.pointee.time_base, muxer.stream(videoOut).pointee.time_base)
                packet.pointer.pointee.stream_index = Int32(videoOut)
                try muxer.write(packet)
            }
        }
    }

    private static func copyDisplayMatrix(from input: UnsafeMutablePointer<AVStream>, to output: UnsafeMutablePointer<AVStream>) throws {
        var size = 0
        guard let data = av_stream_get_side_data(input, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0 else { return }
        guard let copy = av_stream_new_side_data(output, AV_PKT_DATA_DISPLAYMATRIX, size) else {
            throw MediaError("out of memory copying the display matrix")
        }
        copy.update(from: data, count: size)
    }

    /// Refuses to write over the input, whatever path spelling names it.
    static func checkNotInput(output: String, input: String) throws {
        let a = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        let b = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
        var so = stat(), si = stat()
        let same = a == b || (stat(output, &so) == 0 && stat(input, &si) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino)
        if same { throw MediaError(path: output, "output is the input file; refusing to overwrite it") }
    }
}
