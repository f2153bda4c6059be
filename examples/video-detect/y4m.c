/* y4m.c: see y4m.h. The format: "YUV4MPEG2" then parameters, each a space and a tag letter
 * followed by its value (W width, H height, F fps n:d, I interlacing, A pixel aspect n:d,
 * C colour space, X extension, ignored), then '\n'. This parser refuses anything it does not
 * understand rather than guess: unknown tags, repeated tags, empty parameters, bytes outside
 * printable ASCII, numbers with signs or leading garbage, sizes out of 1..Y4M_MAX_DIM. */
#include "y4m.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAGIC "YUV4MPEG2"

static int fail(int status, char *why, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int status, char *why, size_t why_size, const char *fmt, ...)
{
	if (why_size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return status;
}

/* a decimal number of 1..10 digits, no sign, value <= max; 0 on success */
static int parse_uint(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "N:D"; 0 on success */
static int parse_ratio(const char *s, size_t len, uint32_t *num, uint32_t *den)
{
	const char *colon = memchr(s, ':', len);
	if (!colon)
		return -1;
	size_t nlen = (size_t)(colon - s);
	return parse_uint(s, nlen, 0x7fffffffu, num) ||
	       parse_uint(colon + 1, len - nlen - 1, 0x7fffffffu, den) ? -1 : 0;
}

/* every byte printable ASCII (0x20..0x7e) */
static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static const char *const supported_cs[] = {"420jpeg", "420mpeg2", "420paldv", "420"};

int y4m_parse_header(const char *line, size_t len, struct y4m_info *info, char *why,
		     size_t why_size)
{
	const size_t mlen = sizeof MAGIC - 1;
	unsigned seen = 0; /* bit per tag letter W H F I A C */
	memset(info, 0, sizeof *info);
	if (len >= Y4M_MAX_LINE)
		return fail(Y4M_BAD, why, why_size, "header line longer than %d bytes",
			    Y4M_MAX_LINE - 1);
	if (len < mlen || memcmp(line, MAGIC, mlen) != 0 || (len > mlen && line[mlen] != ' '))
		return fail(Y4M_BAD, why, why_size, "not a YUV4MPEG2 stream (no \"%s \" signature)",
			    MAGIC);
	if (!printable(line, len))
		return fail(Y4M_BAD, why, why_size, "header holds a byte that is not printable ASCII");
	size_t pos = mlen;
	while (pos < len) {
		pos++; /* the space before the parameter */
		const char *p = line + pos;
		const char *sp = memchr(p, ' ', len - pos);
		size_t plen = sp ? (size_t)(sp - p) : len - pos;
		pos += plen;
		if (plen == 0)
			return fail(Y4M_BAD, why, why_size, "empty header parameter (two spaces or a "
				    "trailing space)");
		const char tag = p[0], *v = p + 1;
		const size_t vlen = plen - 1;
		const char *tags = "WHFIAC", *t = strchr(tags, tag);
		if (tag == 'X')
			continue; /* an extension: ignored */
		if (!t)
			return fail(Y4M_BAD, why, why_size, "unknown header parameter '%c'", tag);
		unsigned bit = 1u << (t - tags);
		if (seen & bit)
			return fail(Y4M_BAD, why, why_size, "header parameter '%c' given twice", tag);
		seen |= bit;
		switch (tag) {
		case 'W':
		case 'H': {
			uint32_t n;
			if (parse_uint(v, vlen, 0xffffffffu, &n) != 0 || n < 1 || n > Y4M_MAX_DIM)
				return fail(Y4M_BAD, why, why_size, "%s \"%.*s\" is not in 1..%d",
					    tag == 'W' ? "width" : "height", (int)vlen, v, Y4M_MAX_DIM);
			*(tag == 'W' ? &info->width : &info->height) = n;
			break;
		}
		case 'F':
			if (parse_ratio(v, vlen, &info->fps_num, &info->fps_den) != 0 ||
			    info->fps_num == 0 || info->fps_den == 0)
				return fail(Y4M_BAD, why, why_size, "frame rate \"F%.*s\" is not N:D with "
					    "N, D >= 1", (int)vlen, v);
			break;
		case 'A':
			if (parse_ratio(v, vlen, &info->aspect_num, &info->aspect_den) != 0 ||
			    (info->aspect_num == 0) != (info->aspect_den == 0))
				return fail(Y4M_BAD, why, why_size, "pixel aspect \"A%.*s\" is not N:D "
					    "(0:0 for unknown)", (int)vlen, v);
			break;
		case 'I':
			if (vlen != 1 || !strchr("ptbm?", v[0]))
				return fail(Y4M_BAD, why, why_size, "interlacing \"I%.*s\" is not one of "
					    "Ip It Ib Im I?", (int)vlen, v);
			info->interlace = v[0];
			break;
		case 'C': {
			size_t i;
			for (i = 0; i < sizeof supported_cs / sizeof supported_cs[0]; i++)
				if (strlen(supported_cs[i]) == vlen && memcmp(supported_cs[i], v, vlen) == 0)
					break;
			if (i == sizeof supported_cs / sizeof supported_cs[0])
				return fail(Y4M_UNSUPPORTED, why, why_size, "colour space \"C%.*s\" is "
					    "not supported (only 8-bit 4:2:0: C420jpeg, C420mpeg2, C420paldv, "
					    "C420)", vlen > 32 ? 32 : (int)vlen, v);
			snprintf(info->colorspace, sizeof info->colorspace, "%s", supported_cs[i]);
			break;
		}
		}
	}
	if (!(seen & 1u) || !(seen & 2u))
		return fail(Y4M_BAD, why, why_size, "header lacks the %s", !(seen & 1u) ? "width (W)"
			    : "height (H)");
	if (!(seen & 32u))
		snprintf(info->colorspace, sizeof info->colorspace, "420jpeg"); /* the default */
	info->luma_size = info->width * info->height;
	info->chroma_size = 2 * ((info->width + 1) / 2) * ((info->height + 1) / 2);
	return Y4M_OK;
}

int y4m_parse_frame(const char *line, size_t len, char *why, size_t why_size)
{
	static const char frame[] = "FRAME";
	const size_t flen = sizeof frame - 1;
	if (len >= Y4M_MAX_LINE)
		return fail(Y4M_BAD, why, why_size, "frame header longer than %d bytes",
			    Y4M_MAX_LINE - 1);
	if (len < flen || memcmp(line, frame, flen) != 0 || (len > flen && line[flen] != ' '))
		return fail(Y4M_BAD, why, why_size, "expected a FRAME line");
	if (!printable(line, len))
		return fail(Y4M_BAD, why, why_size, "frame header holds a byte that is not printable "
			    "ASCII");
	for (size_t i = flen; i < len; i++)
		if (line[i] == ' ' && (i + 1 == len || line[i + 1] == ' '))
			return fail(Y4M_BAD, why, why_size, "empty frame parameter");
	return Y4M_OK;
}
