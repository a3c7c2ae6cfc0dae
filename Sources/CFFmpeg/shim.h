// What Swift cannot import from FFmpeg's headers: function-like macros and compound constants.
#ifndef FRAMEMARK_CFFMPEG_SHIM_H
#define FRAMEMARK_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static inline int fm_averror(int e) { return AVERROR(e); }
static inline int fm_averror_eof(void) { return AVERROR_EOF; }
static inline int fm_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int fm_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t fm_nopts(void) { return AV_NOPTS_VALUE; }
static inline AVRational fm_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int fm_qp2lambda(void) { return FF_QP2LAMBDA; }
static inline int64_t fm_time_base(void) { return AV_TIME_BASE; }

/// Writes FFmpeg's text for an error code into `buf`.
static inline void fm_strerror(int err, char *buf, size_t size) {
    if (av_strerror(err, buf, size) < 0) snprintf(buf, size, "error %d", err);
}

static inline uint8_t *fm_frame_data(AVFrame *f, int plane) { return f->data[plane]; }
static inline int fm_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }

#endif
