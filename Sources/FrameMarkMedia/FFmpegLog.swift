internal import CFFmpeg

/// FFmpeg's own logging on stderr (`av_log_set_level`). FrameMark reports errors itself in one
/// line, so the libraries stay quiet unless asked.
public enum FFmpegLog {
    public static func set(verbose: Bool) {
        av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_FATAL)
    }
}
