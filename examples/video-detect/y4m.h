/* y4m.h: a strict, bounded parser of YUV4MPEG2 (.y4m) header and FRAME lines, shared by
 * detect.c (wasm32-wasi and native) and tests/fuzz/fuzz_y4m.c.
 *
 * Pure functions: no I/O, no allocation; the caller owns every buffer. A line is given
 * without its terminating '\n' (the reader stops there) and is at most Y4M_MAX_LINE - 1
 * bytes. Only 8-bit 4:2:0 colour spaces are supported (C420jpeg, the default when C is
 * absent, C420mpeg2, C420paldv, C420): they differ only in chroma siting, which luma-based
 * detection does not use. */
#ifndef VIDEO_DETECT_Y4M_H
#define VIDEO_DETECT_Y4M_H

#include <stddef.h>
#include <stdint.h>

#define Y4M_MAX_LINE 1024 /* a header or FRAME line, '\n' included */
#define Y4M_MAX_DIM 8192  /* width and height are 1..Y4M_MAX_DIM */

enum y4m_status {
	Y4M_OK = 0,
	Y4M_BAD = -1,         /* malformed: not a YUV4MPEG2 line as the format defines it */
	Y4M_UNSUPPORTED = -2, /* well formed, but a colour space this program does not read */
};

struct y4m_info {
	uint32_t width, height;
	uint32_t fps_num, fps_den;       /* F; 0:0 when absent */
	uint32_t aspect_num, aspect_den; /* A; 0:0 when absent or unknown */
	char interlace;                  /* I: 'p', 't', 'b', 'm' or '?'; 0 when absent */
	char colorspace[12];             /* "420jpeg", "420mpeg2", "420paldv" or "420" */
	uint32_t luma_size;              /* width * height */
	uint32_t chroma_size;            /* both chroma planes: 2 * ceil(w/2) * ceil(h/2) */
};

/* Parses the stream header line `line` (len bytes, no '\n') into *info. On failure returns
 * Y4M_BAD or Y4M_UNSUPPORTED with a one-line reason in why (NUL-terminated, truncated to
 * why_size). */
int y4m_parse_header(const char *line, size_t len, struct y4m_info *info, char *why,
		     size_t why_size);

/* Checks a frame header line: "FRAME", optionally followed by " "-separated parameters
 * (printable ASCII, ignored). Y4M_OK or Y4M_BAD with a reason in why. */
int y4m_parse_frame(const char *line, size_t len, char *why, size_t why_size);

#endif
