internal import CFFmpeg

/// An error from the media layer: what was being done, to which file, and FFmpeg's own words.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    /// The file involved, when there is one.
    public var path: String?
    /// A short cause a person can act on ("not a video", "truncated", FFmpeg's text…).
    public var reason: String
    /// FFmpeg's return code, when the error came from FFmpeg.
    public var code: Int32?

    public init(path: String? = nil, _ reason: String, code: Int32? = nil) {
        self.path = path
        self.reason = reason
        self.code = code
    }

    public var description: String {
        if let path { return "\(path): \(reason)" }
        return reason
    }

    /// The same error, naming `path` if it named no file yet.
    public func naming(_ path: String) -> MediaError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }
}

/// FFmpeg's text for a return code (`av_strerror`).
func ffmpegMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    fm_strerror(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Turns a negative FFmpeg return code into a thrown `MediaError`; passes other values through.
@discardableResult
func check(_ ret: Int32, _ what: String, path: String? = nil) throws -> Int32 {
    if ret < 0 {
        throw MediaError(path: path, "\(what): \(ffmpegMessage(ret))", code: ret)
    }
    return ret
}

enum AVCodes {
    static let eof = fm_averror_eof()
    static let again = fm_averror_eagain()
    static let noPTS = fm_nopts()
    static let invalidData = fm_averror_invaliddata()
}
