internal import CFFmpeg

/// What kind of data a stream carries.
public enum StreamKind: String, Sendable, Codable {
    case video, audio, subtitle, data, attachment, other
}

/// A rational number as FFmpeg keeps time bases and frame rates.
public struct Rational: Sendable, Hashable, Codable, CustomStringConvertible {
    public var num: Int32
    public var den: Int32
    public init(_ num: Int32, _ den: Int32) { self.num = num; self.den = den }
    init(_ r: AVRational) { self.init(r.num, r.den) }
    var av: AVRational { AVRational(num: num, den: den) }
    /// The value as a double, or nil for 0/0-style unknowns.
    public var value: Double? { den == 0 || num == 0 ? nil : Double(num) / Double(den) }
    public var description: String { "\(num)/\(den)" }
}

/// One stream of a container, as `framemark probe` reports it.
public struct StreamInfo: Sendable, Codable {
    public var index: Int
    public var kind: StreamKind
    public var codec: String
    public var width: Int?
    public var height: Int?
    public var pixelFormat: String?
    public var bitsPerSample: Int?
    /// Average frame rate (video), nil when unknown.
    public var frameRate: Double?
    public var sampleRate: Int?
    public var channels: Int?
    public var durationSeconds: Double?
    /// Frame or packet count the container declares (0 or nil when it declares none).
    public var declaredFrames: Int?
    /// Display rotation in degrees, counter-clockwise, from the display matrix side data.
    public var rotationDegrees: Double?
    public var language: String?
}

extension StreamKind {
    init(_ type: AVMediaType) {
        switch type {
        case AVMEDIA_TYPE_VIDEO: self = .video
        case AVMEDIA_TYPE_AUDIO: self = .audio
        case AVMEDIA_TYPE_SUBTITLE: self = .subtitle
        case AVMEDIA_TYPE_DATA: self = .data
        case AVMEDIA_TYPE_ATTACHMENT: self = .attachment
        default: self = .other
        }
    }
}

extension StreamInfo {
    init(stream: UnsafeMutablePointer<AVStream>) {
        let par = stream.pointee.codecpar!.pointee
        let kind = StreamKind(par.codec_type)
        index = Int(stream.pointee.index)
        self.kind = kind
        codec = String(cString: avcodec_get_name(par.codec_id))
        let tb = stream.pointee.time_base
        if stream.pointee.duration != AVCodes.noPTS, stream.pointee.duration > 0 {
            durationSeconds = Double(stream.pointee.duration) * av_q2d(tb)
        }
        declaredFrames = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
        if let entry = av_dict_get(stream.pointee.metadata, "language", nil, 0) {
            language = String(cString: entry.pointee.value)
        }
        switch kind {
        case .video:
            width = Int(par.width)
            height = Int(par.height)
            if let name = av_get_pix_fmt_name(AVPixelFormat(par.format)) { pixelFormat = String(cString: name) }
            if let desc = av_pix_fmt_desc_get(AVPixelFormat(par.format)) {
                bitsPerSample = Int(desc.pointee.comp.0.depth)
            }
            frameRate = Rational(stream.pointee.avg_frame_rate).value ?? Rational(stream.pointee.r_frame_rate).value
            rotationDegrees = displayRotation(of: stream)
        case .audio:
            sampleRate = Int(par.sample_rate)
            channels = Int(par.ch_layout.nb_channels)
        default:
            break
        }
    }
}

/// The rotation a player applies, from the stream's display matrix (`av_display_rotation_get`).
func displayRotation(of stream: UnsafeMutablePointer<AVStream>) -> Double? {
    var size: Int = 0
    guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 else { return nil }
    let angle = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
    return angle.isNaN ? nil : angle
}
