internal import CFFmpeg
import Foundation

/// A still picture (PNG, JPEG, WebP) decoded by FFmpeg's own image codecs, held in a form the mark
/// can be painted on, and written back through the same codecs.
///
/// Pictures with an 8-bit luma plane (a JPEG's YUV, a greyscale PNG) are marked on that plane.
/// Everything else is held as packed RGB or RGBA — 16 bits a sample when the file had more than 8
/// (a 16-bit PNG stays 16-bit), else 8 — or as 16-bit grey, and the mark, decided on the luma the
/// detector will see, is added equally to the three colour channels: the picture's colours are
/// otherwise untouched and an alpha channel is kept as it was.
public final class StillImage {
    public let path: String
    /// The decoder that read it ("png", "mjpeg", "webp").
    public let codecName: String
    public var width: Int { frame.width }
    public var height: Int { frame.height }
    /// The pixel format the file decoded to.
    public let sourcePixelFormat: String
    var frame: Frame
    /// How the samples lie when the picture is not marked on a luma plane of its own.
    private var packed: PackedLayout?

    /// Interleaved samples: RGB(A) or grey, 8 or 16 bits (big-endian, as FFmpeg's PNG decoder gives them).
    struct PackedLayout {
        var channels: Int
        var wide: Bool
        var hasAlpha: Bool { channels == 4 }

        init?(_ format: Int32) {
            switch format {
            case AV_PIX_FMT_RGB24.rawValue: (channels, wide) = (3, false)
            case AV_PIX_FMT_RGBA.rawValue: (channels, wide) = (4, false)
            case AV_PIX_FMT_RGB48BE.rawValue: (channels, wide) = (3, true)
            case AV_PIX_FMT_RGBA64BE.rawValue: (channels, wide) = (4, true)
            case AV_PIX_FMT_GRAY16BE.rawValue: (channels, wide) = (1, true)
            default: return nil
            }
        }

        /// The packed format a picture of another format is converted to: 16-bit when any of
        /// its components has more than 8 bits, with alpha when it has alpha (never for a JPEG,
        /// whose fourth component is a CMYK picture's K, already applied by the decoder).
        static func target(for format: Int32, codecName: String) -> AVPixelFormat {
            guard let descriptor = av_pix_fmt_desc_get(AVPixelFormat(format)) else { return AV_PIX_FMT_RGB24 }
            let alpha = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA) != 0 && codecName != "mjpeg"
            let wide = descriptor.pointee.comp.0.depth > 8
            switch (wide, alpha) {
            case (true, true): return AV_PIX_FMT_RGBA64BE
            case (true, false): return AV_PIX_FMT_RGB48BE
            case (false, true): return AV_PIX_FMT_RGBA
            case (false, false): return AV_PIX_FMT_RGB24
            }
        }
    }

    /// Image files by their extension: what `write` can produce.
    public enum Format: String, CaseIterable, Sendable {
        case png, jpeg, webp

        /// The format an output path asks for, or nil for an extension that is not an image's.
        public init?(path: String) {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            case "webp": self = .webp
            default: return nil
            }
        }
    }

    /// FFmpeg's names for the containers of single pictures (`MediaReader.containerName`).
    public static let containers: Set<String> = ["image2", "png_pipe", "jpeg_pipe", "webp_pipe"]

    /// Whether `path` is an image FFmpeg reads as a single picture (by its container, whatever its name).
    public static func isImage(_ path: String) -> Bool {
        guard let demuxer = try? Demuxer(path: path) else { return false }
        return containers.contains(demuxer.formatName)
    }

    public convenience init(path: String) throws {
        // Decoded in a function of its own, so the decoder lets go of the picture before it is
        // made writable (a picture the decoder still holds would be copied whole).
        let (decoded, codecName) = try Self.decode(path)
        try self.init(decoded, path: path, codecName: codecName)
        try applyOrientation()
    }

    /// The EXIF orientation (1–8) the picture was stored with, when it had one other than 1.
    public private(set) var appliedOrientation: Int?

    /// Turns a picture stored sideways or mirrored (EXIF orientation, as FFmpeg's JPEG decoder
    /// reports it) upright, so that the mark is laid on the picture as it is viewed; the output
    /// is then written upright, without the tag.
    private func applyOrientation() throws {
        guard let entry = av_dict_get(frame.pointer.pointee.metadata, "Orientation", nil, 0),
              let value = Int(String(cString: entry.pointee.value).trimmingCharacters(in: .whitespaces)),
              let filter = Self.uprighting[value] else { return }
        let upright = try filtered(filter)
        frame = upright.frame
        packed = upright.packed
        av_dict_set(&frame.pointer.pointee.metadata, "Orientation", nil, 0)
        appliedOrientation = value
    }

    /// The filter that shows a picture stored with each EXIF orientation as it is meant to be seen.
    static let uprighting: [Int: String] = [
        2: "hflip", 3: "hflip,vflip", 4: "vflip", 5: "transpose=cclock_flip",
        6: "transpose=clock", 7: "transpose=clock_flip", 8: "transpose=cclock",
    ]

    private static func decode(_ path: String) throws -> (Frame, String) {
        let demuxer = try Demuxer(path: path)
        guard let index = demuxer.bestVideoStream() else { throw MediaError(path: path, "no picture in the file (not an image)") }
        let stream = demuxer.stream(index)
        let par = stream.pointee.codecpar!.pointee
        guard par.width > 0, par.height > 0 else { throw MediaError(path: path, "the picture cannot be decoded (unknown size)") }
        if Int(par.width) > MediaLimits.maxDimension || Int(par.height) > MediaLimits.maxDimension {
            throw MediaError(path: path, "picture size \(par.width)x\(par.height) is too large (at most \(MediaLimits.maxDimension) on a side)")
        }
        let codecName = String(cString: avcodec_get_name(par.codec_id))
        let decoder = try Decoder(stream: stream, path: path)
        let packet = Packet()
        var decoded: Frame?
        reading: while decoded == nil {
            switch try demuxer.read(into: packet) {
            case .endOfFile:
                _ = try decoder.send(nil)
                if case .frame(let f) = try decoder.receive() { decoded = f }
                break reading
            case .packet:
                guard packet.streamIndex == index else { packet.unref(); continue }
                let accepted = try decoder.send(packet)
                packet.unref()
                guard accepted else { throw MediaError(path: path, "the picture's data is damaged (truncated or not \(codecName))") }
                do {
                    if case .frame(let f) = try decoder.receive() { decoded = f }
                } catch let error as MediaError { throw error.naming(path) }
            }
        }
        guard let decoded else { throw MediaError(path: path, "no picture could be decoded (truncated or damaged)") }
        return (decoded, codecName)
    }

    /// Holds `decoded` in a form the mark can be painted on: as it is when its first plane is
    /// 8-bit luma or it is already packed, else converted to packed RGB or RGBA of its depth.
    init(_ decoded: Frame, path: String, codecName: String) throws {
        self.path = path
        self.codecName = codecName
        sourcePixelFormat = decoded.pixelFormatName
        let format = decoded.pointer.pointee.format
        if Self.lumaFormats.contains(format) {
            frame = decoded
        } else if let layout = PackedLayout(format) {
            frame = decoded
            packed = layout
        } else {
            let target = PackedLayout.target(for: format, codecName: codecName)
            frame = try Self.convert(decoded, to: target, path: path)
            packed = PackedLayout(target.rawValue)
        }
        try frame.makeWritable()
    }

    /// The picture through a libavfilter graph described as on the ffmpeg command line (`-vf`):
    /// the attacks of `survive` on a still.
    public func filtered(_ description: String) throws -> StillImage {
        let graph = try FilterGraph(description: description, width: width, height: height, timeBase: Rational(1, 25),
                                    sampleAspect: Rational(1, 1), frameRate: nil, pixelFormat: frame.pointer.pointee.format, outputFormat: nil)
        frame.pts = 0
        try graph.push(frame, duration: 1)
        try graph.close()
        while true {
            switch try graph.pull() {
            case .frame(let out): return try StillImage(out, path: path, codecName: codecName)
            case .needsInput, .endOfStream: throw MediaError(path: path, "filter '\(description)' gave no picture")
            }
        }
    }

    /// Formats whose first plane is 8-bit luma, marked in place.
    static let lumaFormats: Set<Int32> = [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUV420P,
                                          AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVA420P, AV_PIX_FMT_GRAY8].reduce(into: []) { $0.insert($1.rawValue) }

    /// Calls `body` with the picture's luma as the detector will read it (BT.601 studio range, as
    /// FFmpeg's conversion to yuv420p makes it). What `body` changes is written back: in place
    /// for a luma plane, as the same change to R, G and B for an RGB picture.
    /// `body` gets the plane's buffer (rows `stride` bytes apart, `width` × `height` samples) and its stride.
    public func withLumaPlane<R>(_ body: (UnsafeMutableBufferPointer<UInt8>, Int) throws -> R) rethrows -> R {
        let f = frame.pointer
        guard let packed else {
            let stride = Int(fm_frame_linesize(f, 0))
            let buffer = UnsafeMutableBufferPointer(start: fm_frame_data(f, 0), count: stride * (height - 1) + width)
            return try body(buffer, stride)
        }
        let samples = PackedSamples(frame: f, layout: packed, width: width, height: height)
        // One byte a pixel beside the picture: the luma before the change is computed again
        // from the untouched colours when the change is written back.
        var plane = [UInt8](repeating: 0, count: width * height)
        samples.readLuma(into: &plane)
        let result = try plane.withUnsafeMutableBufferPointer { try body($0, width) }
        samples.addChange(from: plane)
        return result
    }

    /// Writes the picture to `path` in `format` (`quality` 1–100 for JPEG and WebP), whole or not
    /// at all: a temporary file beside it, then renamed. When the encoder takes another pixel
    /// format, the picture is converted in place and the old one let go, so that a large picture
    /// is never held twice beside the encoder's output: a later write starts from the converted one.
    public func write(to path: String, format: Format, quality: Int = 92) throws {
        guard (1...100).contains(quality) else { throw MediaError("quality \(quality) is outside 1…100") }
        let temporary = TemporaryFiles.name(beside: path)
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let file = FileHandle(forWritingAtPath: temporary) else {
            throw MediaError(path: path, "cannot write the picture (\(String(cString: strerror(errno))))")
        }
        TemporaryFiles.shared.add(temporary)
        defer { TemporaryFiles.shared.remove(temporary) }
        do {
            defer { try? file.close() }
            try encode(format: format, quality: quality) { bytes in
                do { try file.write(contentsOf: bytes) } catch {
                    throw MediaError(path: path, "cannot write the picture (\(error.localizedDescription))")
                }
            }
            try file.synchronize()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw MediaError(path: path, "cannot write the picture (\(reason))")
        }
        TemporaryFiles.syncFolder(of: path)
    }

    /// Encodes the picture and hands the encoder's packets (for these codecs one packet, the whole
    /// file) to `output` as they come, without a copy.
    func encode(format: Format, quality: Int, to output: (Data) throws -> Void) throws {
        let hasAlpha = packed?.hasAlpha == true || frame.pointer.pointee.format == AV_PIX_FMT_YUVA420P.rawValue
        let (codec, pixelFormat): (String, AVPixelFormat)
        switch format {
        case .png:
            codec = "png"
            let f = frame.pointer.pointee.format
            pixelFormat = f == AV_PIX_FMT_GRAY8.rawValue || packed?.wide == true ? AVPixelFormat(f) : hasAlpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24
        case .jpeg:
            codec = "mjpeg"
            // JPEG has no alpha channel; keep the source's chroma when it was a JPEG's.
            let f = frame.pointer.pointee.format
            pixelFormat = f == AV_PIX_FMT_YUVJ444P.rawValue || f == AV_PIX_FMT_YUV444P.rawValue || packed != nil ? AV_PIX_FMT_YUVJ444P
                : f == AV_PIX_FMT_YUVJ422P.rawValue || f == AV_PIX_FMT_YUV422P.rawValue ? AV_PIX_FMT_YUVJ422P : AV_PIX_FMT_YUVJ420P
        case .webp:
            codec = "libwebp"
            pixelFormat = hasAlpha ? AV_PIX_FMT_YUVA420P : AV_PIX_FMT_YUV420P
        }
        if frame.pointer.pointee.format != pixelFormat.rawValue {
            frame = try Self.convert(frame, to: pixelFormat, path: path)
            packed = PackedLayout(pixelFormat.rawValue)
        }
        let picture = frame
        guard let encoder = avcodec_find_encoder_by_name(codec) else { throw MediaError("this FFmpeg has no \(codec) encoder") }
        guard var ctx = avcodec_alloc_context3(encoder) else { throw MediaError("out of memory") }
        defer { var c: UnsafeMutablePointer<AVCodecContext>? = ctx; avcodec_free_context(&c) }
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = pixelFormat
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.color_range = format == .jpeg ? AVCOL_RANGE_JPEG : picture.pointer.pointee.color_range
        switch format {
        case .png: break
        case .jpeg:
            ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
            ctx.pointee.global_quality = Int32(Self.jpegQuantiser(quality: quality)) * fm_qp2lambda()
        case .webp:
            try check(av_opt_set(ctx.pointee.priv_data, "quality", String(quality), 0), "setting the WebP quality")
        }
        try check(avcodec_open2(ctx, encoder, nil), "opening the \(codec) encoder")
        picture.pointer.pointee.pts = 0
        picture.pointer.pointee.quality = ctx.pointee.global_quality
        picture.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
        try check(avcodec_send_frame(ctx, picture.pointer), "encoding the picture")
        try check(avcodec_send_frame(ctx, nil), "encoding the picture")
        let packet = Packet()
        var produced = 0
        while avcodec_receive_packet(ctx, packet.pointer) == 0 {
            defer { packet.unref() }
            let size = Int(packet.pointer.pointee.size)
            guard size > 0, let data = packet.pointer.pointee.data else { continue }
            try output(Data(bytesNoCopy: data, count: size, deallocator: .none))
            produced += size
        }
        guard produced > 0 else { throw MediaError("the \(codec) encoder produced nothing") }
        _ = ctx
    }

    /// FFmpeg's JPEG quantiser scale for a libjpeg-style quality: 100 → 1, 92 → 2, 75 → 6,
    /// 50 → 12 (about what libjpeg's own scaling of the same tables gives).
    static func jpegQuantiser(quality: Int) -> Int {
        max(1, min(31, Int((Double(100 - quality) / 4).rounded())))
    }

    /// The picture converted to `format` at the same size (`sws_scale_frame`), its properties kept.
    static func convert(_ source: Frame, to format: AVPixelFormat, path: String) throws -> Frame {
        let f = source.pointer.pointee
        guard let context = sws_getContext(f.width, f.height, AVPixelFormat(f.format), f.width, f.height, format,
                                           SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil) else {
            throw MediaError(path: path, "cannot convert pixel format \(source.pixelFormatName)")
        }
        defer { sws_freeContext(context) }
        let out = Frame()
        out.pointer.pointee.width = f.width
        out.pointer.pointee.height = f.height
        out.pointer.pointee.format = format.rawValue
        try check(av_frame_copy_props(out.pointer, source.pointer), "copying the picture's properties")
        if format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P {
            out.pointer.pointee.color_range = AVCOL_RANGE_JPEG
        } else if format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVA420P {
            out.pointer.pointee.color_range = AVCOL_RANGE_MPEG
        }
        try check(sws_scale_frame(context, out.pointer, source.pointer), "converting \(source.pixelFormatName)", path: path)
        return out
    }
}
