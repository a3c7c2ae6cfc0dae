internal import CFFmpeg

/// The FFmpeg libraries this build runs against, as `framemark --version` prints them.
public enum LibraryVersions {
    /// "libavformat 59.27.100, libavcodec …": the versions loaded at run time.
    public static var ffmpeg: String {
        [("libavformat", avformat_version()), ("libavcodec", avcodec_version()), ("libavfilter", avfilter_version()),
         ("libswscale", swscale_version()), ("libavutil", avutil_version())]
            .map { "\($0.0) \($0.1 >> 16).\(($0.1 >> 8) & 0xFF).\($0.1 & 0xFF)" }.joined(separator: ", ")
    }
}
