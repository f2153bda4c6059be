/* detect: moving-object detection on a raw YUV4MPEG2 video (issue 18's video function).
 *
 * Reads the file `video` (a .y4m stream, 8-bit 4:2:0) frame by frame, in constant memory (one
 * luma plane, the background model and a few masks; never the whole video), and writes to the
 * file `detections` one JSON line per frame with the bounding boxes of the moving objects,
 * then a summary line. Formats, algorithm and exit codes: README.md here.
 *
 * Encrypted mode (wasm32-wasi under ccfaas-runtime only; the native and detect-plain.wasm
 * builds read plaintext): a run without the file `video_key` makes the program's key pair
 * "video" in the runtime (ccfaas_crypto, docs/guest-crypto.md) and writes its public key to
 * `video_pubkey.pem`, nothing else; the user wraps the video key to it and uploads it as
 * `video_key`. A run with `video_key` unwraps it in the runtime and reads `video` as a CCFSTR01
 * stream, decrypting record by record into the same y4m reader. One program does both because
 * the runtime keeps key pairs per program: another program of the instance cannot use them.
 *
 * usage: detect [VIDEO [DETECTIONS]]   (defaults: video, detections) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "y4m.h"

#if (defined(__wasm__) && !defined(DETECT_PLAINTEXT_ONLY)) || defined(CCFAAS_CRYPTO_MOCK)
#define DETECT_CRYPTO 1
#include "ccfaas_crypto.h"
#else
#define DETECT_CRYPTO 0
#endif

#define DEFAULT_VIDEO "video"
#define DEFAULT_OUT "detections"
#define KEY_FILE "video_key"     /* the wrapped video key: its presence selects encrypted mode */
#define KEY_PAIR "video"         /* this program's key pair in the runtime */
#define PUBKEY_FILE "video_pubkey.pem" /* its public key, written by a run without KEY_FILE */
#define AEAD_KEY "video"         /* the name the unwrapped key gets in the runtime */

/* exit codes */
enum { EX_OK = 0, EX_IO = 1, EX_INPUT = 2, EX_CRYPTO = 3 };

/* detection parameters (README.md, "Algorithm") */
#define THRESHOLD 25                      /* |luma - background| above this is foreground */
#define MIN_AREA 16                       /* smaller components are dropped */
#define MAX_BG_FRAMES 15                  /* background = per-pixel median of the first frames */
#define BG_BUDGET (32u * 1024 * 1024)     /* bytes for those frames' luma planes at most */
#define BG_RATE_SHIFT_BG 5                /* then: background pixels move 1/32 towards the frame */
#define BG_RATE_SHIFT_FG 10               /* foreground pixels 1/1024 */
#define MAX_OBJECTS_LISTED 256            /* per frame; the rest are counted in "omitted" */

static void usage(FILE *f)
{
	fputs("usage: detect [VIDEO [DETECTIONS]]\n"
	      "Detects moving objects in a YUV4MPEG2 video (8-bit 4:2:0, as `ffmpeg -f yuv4mpegpipe`\n"
	      "writes) and writes one JSON line per frame with their bounding boxes, then a summary:\n"
	      "  {\"frame\":N,\"objects\":[{\"x\":..,\"y\":..,\"w\":..,\"h\":..,\"area\":..}]}\n"
	      "  {\"summary\":{\"frames\":N,\"width\":W,\"height\":H,\"detections\":K,...}}\n"
	      "VIDEO defaults to `video`, DETECTIONS to `detections` (the names under ccfaas).\n"
	      "Encrypted mode (the wasm32-wasi build detect.wasm under ccfaas-runtime): without the\n"
	      "file `video_key`, it makes its key pair \"video\" in the runtime and writes the public\n"
	      "key to `video_pubkey.pem`, nothing else; with `video_key` (the 32-byte video key\n"
	      "wrapped to that key, RSA-OAEP/SHA-256), VIDEO is a CCFSTR01 stream encrypted with it\n"
	      "(docs/guest-crypto.md).\n"
	      "Exit status: 0 done; 1 I/O error or usage; 2 invalid or unsupported video (bad\n"
	      "header, colour space, size, truncated frame); 3 key unwrap or stream decryption\n"
	      "failed (tampered, truncated). On failure no summary line is written.\n",
	      f);
}

/* ---- input: plaintext bytes from a file, or decrypted from a CCFSTR01 stream ---- */

struct reader {
	FILE *f;
	const char *name;
	uint8_t *buf; /* buf[pos..len) are plaintext bytes not consumed yet */
	size_t pos, len, cap;
	int eof;      /* nothing follows buf[len) */
#if DETECT_CRYPTO
	int encrypted;
	int have_handle;
	uint32_t handle;
	uint32_t chunk;   /* the stream's chunk size */
	uint8_t *rec;     /* one record: length field, ciphertext, tag */
	uint64_t records; /* records opened */
	int final_seen;
#endif
};

#if DETECT_CRYPTO
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* the next record, decrypted into buf; sets eof after the final one */
static int fill_encrypted(struct reader *r)
{
	if (r->final_seen) {
		r->eof = 1;
		return EX_OK;
	}
	size_t got = fread(r->rec, 1, 4, r->f);
	if (got < 4) {
		if (ferror(r->f))
			goto read_error;
		fprintf(stderr, "detect: %s: encrypted stream truncated after %llu records (no final "
			"record)\n", r->name, (unsigned long long)r->records);
		return EX_CRYPTO;
	}
	uint32_t field = be32(r->rec), clen = field & ~CCFSTR_FINAL;
	if (clen > r->chunk) {
		fprintf(stderr, "detect: %s: record %llu: length %u exceeds the chunk size %u\n",
			r->name, (unsigned long long)r->records, clen, r->chunk);
		return EX_CRYPTO;
	}
	size_t rest = (size_t)clen + CCFSTR_TAG_LEN;
	got = fread(r->rec + 4, 1, rest, r->f);
	if (got < rest) {
		if (ferror(r->f))
			goto read_error;
		fprintf(stderr, "detect: %s: encrypted stream truncated in record %llu\n", r->name,
			(unsigned long long)r->records);
		return EX_CRYPTO;
	}
	size_t out_len = 0;
	uint32_t final = 0;
	int32_t rc = stream_record(r->handle, r->rec, 4 + rest, r->buf, r->cap, &out_len, &final);
	if (rc != 0) {
		fprintf(stderr, "detect: %s: record %llu cannot be decrypted: %s (errno %d)%s\n",
			r->name, (unsigned long long)r->records, strerror(rc), (int)rc,
			rc == EILSEQ ? ": tampered, reordered or truncated stream, or the wrong key" : "");
		return EX_CRYPTO;
	}
	r->records++;
	r->pos = 0;
	r->len = out_len;
	if (final) {
		r->final_seen = 1;
		if (fgetc(r->f) != EOF) {
			fprintf(stderr, "detect: %s: data after the final record\n", r->name);
			return EX_CRYPTO;
		}
		if (out_len == 0)
			r->eof = 1;
	}
	return EX_OK;
read_error:
	fprintf(stderr, "detect: %s: read error: %s\n", r->name, strerror(errno));
	return EX_IO;
}

/* reads at most max bytes of the file `name` into buf; *n its size; error if larger */
static int read_small_file(const char *name, uint8_t *buf, size_t max, size_t *n)
{
	FILE *f = fopen(name, "rb");
	if (!f) {
		fprintf(stderr, "detect: cannot open %s: %s\n", name, strerror(errno));
		return EX_IO;
	}
	*n = fread(buf, 1, max, f);
	int rc = EX_OK;
	if (ferror(f)) {
		fprintf(stderr, "detect: %s: read error: %s\n", name, strerror(errno));
		rc = EX_IO;
	} else if (*n == max && fgetc(f) != EOF) {
		fprintf(stderr, "detect: %s: larger than %zu bytes: not a wrapped key\n", name, max);
		rc = EX_CRYPTO;
	}
	fclose(f);
	return rc;
}

/* encrypted mode: unwraps KEY_FILE as AEAD_KEY, reads the stream header, opens the stream */
static int open_encrypted(struct reader *r)
{
	uint8_t wrapped[2048], header[CCFSTR_HEADER_LEN];
	size_t n = 0;
	int rc = read_small_file(KEY_FILE, wrapped, sizeof wrapped, &n);
	if (rc != EX_OK)
		return rc;
	int32_t e = key_unwrap(KEY_PAIR, strlen(KEY_PAIR), wrapped, n, AEAD_KEY, strlen(AEAD_KEY));
	if (e != 0) {
		fprintf(stderr, "detect: %s: cannot unwrap the video key with key pair \"%s\": %s "
			"(errno %d)%s\n", KEY_FILE, KEY_PAIR, strerror(e), (int)e,
			e == ENOENT ? ": run detect without video_key first, in this instance" : "");
		return EX_CRYPTO;
	}
	size_t got = fread(header, 1, sizeof header, r->f);
	if (got < sizeof header) {
		if (ferror(r->f)) {
			fprintf(stderr, "detect: %s: read error: %s\n", r->name, strerror(errno));
			return EX_IO;
		}
		fprintf(stderr, "detect: %s: encrypted stream truncated in its header (%zu of %d "
			"bytes)\n", r->name, got, CCFSTR_HEADER_LEN);
		return EX_CRYPTO;
	}
	if (memcmp(header, CCFSTR_MAGIC, strlen(CCFSTR_MAGIC)) != 0) {
		fprintf(stderr, "detect: %s: %s exists but %s is not a CCFSTR01 stream\n", r->name,
			KEY_FILE, r->name);
		return EX_CRYPTO;
	}
	r->chunk = be32(header + 8);
	if (r->chunk < CCFSTR_MIN_CHUNK || r->chunk > CCFSTR_MAX_CHUNK) {
		fprintf(stderr, "detect: %s: chunk size %u is not in %u..%u\n", r->name, r->chunk,
			CCFSTR_MIN_CHUNK, CCFSTR_MAX_CHUNK);
		return EX_CRYPTO;
	}
	e = stream_open(AEAD_KEY, strlen(AEAD_KEY), header, sizeof header, &r->handle);
	if (e != 0) {
		fprintf(stderr, "detect: %s: cannot open the encrypted stream: %s (errno %d)\n",
			r->name, strerror(e), (int)e);
		return EX_CRYPTO;
	}
	r->have_handle = 1;
	r->cap = r->chunk;
	r->buf = malloc(r->cap);
	r->rec = malloc(4 + (size_t)r->chunk + CCFSTR_TAG_LEN);
	if (!r->buf || !r->rec) {
		fprintf(stderr, "detect: out of memory for a %u-byte chunk\n", r->chunk);
		return EX_IO;
	}
	r->encrypted = 1;
	return EX_OK;
}

/* the end of an encrypted stream: the runtime confirms the final record was opened */
static int close_encrypted(struct reader *r)
{
	if (!r->have_handle)
		return EX_OK;
	r->have_handle = 0;
	int32_t e = stream_close(r->handle);
	if (e != 0) {
		fprintf(stderr, "detect: %s: the encrypted stream did not end properly: %s "
			"(errno %d)\n", r->name, strerror(e), (int)e);
		return EX_CRYPTO;
	}
	return EX_OK;
}
#endif

/* opens VIDEO; encrypted when KEY_FILE exists (wasm32 only; elsewhere its presence is an
 * error rather than reading ciphertext as video) */
static int reader_open(struct reader *r, const char *name)
{
	FILE *k = fopen(KEY_FILE, "rb");
	int key_exists = k != NULL;
	if (k)
		fclose(k);
	else if (errno != ENOENT) {
		fprintf(stderr, "detect: cannot open %s: %s\n", KEY_FILE, strerror(errno));
		return EX_IO;
	}
	r->name = name;
	r->f = fopen(name, "rb");
	if (!r->f) {
		fprintf(stderr, "detect: cannot open %s: %s\n", name, strerror(errno));
		return EX_IO;
	}
	if (key_exists) {
#if DETECT_CRYPTO
		return open_encrypted(r);
#else
		fprintf(stderr, "detect: %s exists: encrypted videos need the wasm32-wasi build run by "
			"ccfaas-runtime (ccfaas_crypto host functions); this build reads plaintext only\n",
			KEY_FILE);
		return EX_CRYPTO;
#endif
	}
	r->cap = 64 * 1024;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		fprintf(stderr, "detect: out of memory\n");
		return EX_IO;
	}
	return EX_OK;
}

static void reader_free(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
#if DETECT_CRYPTO
	free(r->rec);
	if (r->have_handle)
		(void)stream_close(r->handle);
#endif
}

/* more bytes into buf (called when buf is consumed); sets eof at the end */
static int reader_fill(struct reader *r)
{
#if DETECT_CRYPTO
	if (r->encrypted)
		return fill_encrypted(r);
#endif
	r->pos = 0;
	r->len = fread(r->buf, 1, r->cap, r->f);
	if (r->len == 0) {
		if (ferror(r->f)) {
			fprintf(stderr, "detect: %s: read error: %s\n", r->name, strerror(errno));
			return EX_IO;
		}
		r->eof = 1;
	}
	return EX_OK;
}

/* reads n bytes into dst (NULL: skips them); *got < n only at the end of the input */
static int reader_read(struct reader *r, uint8_t *dst, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		if (r->pos == r->len) {
			if (r->eof)
				break;
			int rc = reader_fill(r);
			if (rc != EX_OK)
				return rc;
			continue;
		}
		size_t k = r->len - r->pos;
		if (k > n - *got)
			k = n - *got;
		if (dst)
			memcpy(dst + *got, r->buf + r->pos, k);
		r->pos += k;
		*got += k;
	}
	return EX_OK;
}

enum line_result { LINE_OK, LINE_EOF, LINE_PARTIAL };

/* reads a line up to '\n' (not stored) into line[Y4M_MAX_LINE]; a line too long for it comes
 * back with *len == Y4M_MAX_LINE, which the y4m parsers refuse */
static int reader_line(struct reader *r, char *line, size_t *len, enum line_result *res)
{
	*len = 0;
	for (;;) {
		uint8_t c;
		size_t got;
		int rc = reader_read(r, &c, 1, &got);
		if (rc != EX_OK)
			return rc;
		if (got == 0) {
			*res = *len == 0 ? LINE_EOF : LINE_PARTIAL;
			return EX_OK;
		}
		if (c == '\n')
			break;
		if (*len == Y4M_MAX_LINE - 1) {
			*len = Y4M_MAX_LINE;
			break;
		}
		line[(*len)++] = (char)c;
	}
	*res = LINE_OK;
	return EX_OK;
}

/* ---- detection ---- */

struct run {
	uint32_t x0, x1, label; /* foreground pixels x0..x1 of a row, and their label */
};

struct blob {
	uint32_t x0, y0, x1, y1, area;
};

struct detector {
	uint32_t w, h;
	size_t n;                /* w * h */
	uint8_t *luma;           /* the current frame's luma plane */
	uint16_t *bg;            /* background luma, 8.8 fixed point */
	uint8_t *mask, *tmp;     /* foreground (0/1) and scratch for the morphology */
	uint8_t *samples;        /* the first k luma planes, until the background is made */
	unsigned k, nsamples;
	int started;             /* the background is made */
	struct run *prev, *cur;  /* the runs of the previous and the current row */
	uint32_t *parent;        /* union-find over run labels */
	struct blob *blob;       /* the extent of each label's component (valid at roots) */
	size_t nlab, lab_cap;
	FILE *out;
	/* totals for the summary */
	uint64_t frames, detections, frames_with_objects;
	uint32_t max_objects;
};

static int detector_init(struct detector *d, const struct y4m_info *info, FILE *out)
{
	memset(d, 0, sizeof *d);
	d->w = info->width;
	d->h = info->height;
	d->n = info->luma_size;
	d->out = out;
	size_t k = BG_BUDGET / d->n;
	if (k > MAX_BG_FRAMES)
		k = MAX_BG_FRAMES;
	if (k < 1)
		k = 1;
	if (k % 2 == 0)
		k--; /* an odd count: the median is a sample */
	d->k = (unsigned)k;
	size_t row = (size_t)d->w / 2 + 1; /* runs in a row at most */
	d->lab_cap = 4 * row;
	d->luma = malloc(d->n);
	d->bg = malloc(d->n * sizeof *d->bg);
	d->mask = malloc(d->n);
	d->tmp = malloc(d->n);
	d->samples = malloc(d->k * d->n);
	d->prev = malloc(row * sizeof *d->prev);
	d->cur = malloc(row * sizeof *d->cur);
	d->parent = malloc(d->lab_cap * sizeof *d->parent);
	d->blob = malloc(d->lab_cap * sizeof *d->blob);
	if (!d->luma || !d->bg || !d->mask || !d->tmp || !d->samples || !d->prev || !d->cur ||
	    !d->parent || !d->blob) {
		fprintf(stderr, "detect: out of memory for %ux%u frames\n", d->w, d->h);
		return EX_IO;
	}
	return EX_OK;
}

static void detector_free(struct detector *d)
{
	free(d->luma);
	free(d->bg);
	free(d->mask);
	free(d->tmp);
	free(d->samples);
	free(d->prev);
	free(d->cur);
	free(d->parent);
	free(d->blob);
}

/* 3x3 opening (erosion, then dilation; outside the frame counts as background), separably:
 * drops specks and one- or two-pixel lines, keeps the exact outline of larger solid shapes */
static void morph_rows(const uint8_t *src, uint8_t *dst, uint32_t w, uint32_t h, int dilate)
{
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *s = src + (size_t)y * w;
		uint8_t *o = dst + (size_t)y * w;
		for (uint32_t x = 0; x < w; x++) {
			uint8_t l = x > 0 ? s[x - 1] : 0, r = x + 1 < w ? s[x + 1] : 0;
			o[x] = dilate ? (l | s[x] | r) : (l & s[x] & r);
		}
	}
}

static void morph_cols(const uint8_t *src, uint8_t *dst, uint32_t w, uint32_t h, int dilate)
{
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *s = src + (size_t)y * w;
		const uint8_t *up = y > 0 ? s - w : NULL, *down = y + 1 < h ? s + w : NULL;
		uint8_t *o = dst + (size_t)y * w;
		for (uint32_t x = 0; x < w; x++) {
			uint8_t u = up ? up[x] : 0, b = down ? down[x] : 0;
			o[x] = dilate ? (u | s[x] | b) : (u & s[x] & b);
		}
	}
}

static uint32_t find(uint32_t *parent, uint32_t a)
{
	while (parent[a] != a) {
		parent[a] = parent[parent[a]];
		a = parent[a];
	}
	return a;
}

/* merges the components of labels a and b; the smaller label stays the root, so a root is
 * its component's first run in raster order */
static void unite(struct detector *d, uint32_t a, uint32_t b)
{
	uint32_t ra = find(d->parent, a), rb = find(d->parent, b);
	if (ra == rb)
		return;
	if (ra > rb) {
		uint32_t t = ra;
		ra = rb;
		rb = t;
	}
	d->parent[rb] = ra;
	struct blob *x = &d->blob[ra], *y = &d->blob[rb];
	if (y->x0 < x->x0)
		x->x0 = y->x0;
	if (y->x1 > x->x1)
		x->x1 = y->x1;
	if (y->y0 < x->y0)
		x->y0 = y->y0;
	if (y->y1 > x->y1)
		x->y1 = y->y1;
	x->area += y->area;
}

static int new_label(struct detector *d, uint32_t x0, uint32_t x1, uint32_t y, uint32_t *label)
{
	if (d->nlab == d->lab_cap) {
		size_t cap = 2 * d->lab_cap;
		uint32_t *p = realloc(d->parent, cap * sizeof *p);
		if (p)
			d->parent = p;
		struct blob *b = realloc(d->blob, cap * sizeof *b);
		if (b)
			d->blob = b;
		if (!p || !b) {
			fprintf(stderr, "detect: out of memory for %zu components\n", cap);
			return EX_IO;
		}
		d->lab_cap = cap;
	}
	*label = (uint32_t)d->nlab++;
	d->parent[*label] = *label;
	d->blob[*label] = (struct blob){x0, y, x1, y, x1 - x0 + 1};
	return EX_OK;
}

/* connected components (8-connected) of the mask, row by row over runs of foreground */
static int label_components(struct detector *d)
{
	size_t np = 0;
	d->nlab = 0;
	for (uint32_t y = 0; y < d->h; y++) {
		const uint8_t *row = d->mask + (size_t)y * d->w;
		size_t nc = 0, j = 0;
		for (uint32_t x = 0; x < d->w;) {
			if (!row[x]) {
				x++;
				continue;
			}
			uint32_t x0 = x, label;
			while (x < d->w && row[x])
				x++;
			uint32_t x1 = x - 1;
			int rc = new_label(d, x0, x1, y, &label);
			if (rc != EX_OK)
				return rc;
			d->cur[nc++] = (struct run){x0, x1, label};
			/* the previous row's runs touching x0-1..x1+1 (diagonals included) */
			while (j < np && d->prev[j].x1 + 1 < x0)
				j++;
			for (size_t i = j; i < np && d->prev[i].x0 <= x1 + 1; i++)
				unite(d, d->prev[i].label, label);
		}
		struct run *t = d->prev;
		d->prev = d->cur;
		d->cur = t;
		np = nc;
	}
	return EX_OK;
}

/* detects in one luma plane against the background, writes the frame's line, and (update)
 * moves the background towards the frame */
static int detect_frame(struct detector *d, const uint8_t *luma, int update)
{
	for (size_t i = 0; i < d->n; i++) {
		int diff = (int)luma[i] - ((d->bg[i] + 128) >> 8);
		d->mask[i] = diff > THRESHOLD || diff < -THRESHOLD;
	}
	morph_rows(d->mask, d->tmp, d->w, d->h, 0);
	morph_cols(d->tmp, d->mask, d->w, d->h, 0);
	morph_rows(d->mask, d->tmp, d->w, d->h, 1);
	morph_cols(d->tmp, d->mask, d->w, d->h, 1);
	int rc = label_components(d);
	if (rc != EX_OK)
		return rc;

	uint32_t listed = 0, omitted = 0;
	fprintf(d->out, "{\"frame\":%llu,\"objects\":[", (unsigned long long)d->frames);
	for (size_t l = 0; l < d->nlab; l++) {
		const struct blob *b = &d->blob[l];
		if (d->parent[l] != l || b->area < MIN_AREA)
			continue;
		if (listed == MAX_OBJECTS_LISTED) {
			omitted++;
			continue;
		}
		fprintf(d->out, "%s{\"x\":%u,\"y\":%u,\"w\":%u,\"h\":%u,\"area\":%u}",
			listed ? "," : "", b->x0, b->y0, b->x1 - b->x0 + 1, b->y1 - b->y0 + 1, b->area);
		listed++;
	}
	fputs("]", d->out);
	if (omitted)
		fprintf(d->out, ",\"omitted\":%u", omitted);
	fputs("}\n", d->out);

	uint32_t count = listed + omitted;
	d->frames++;
	d->detections += count;
	d->frames_with_objects += count > 0;
	if (count > d->max_objects)
		d->max_objects = count;

	if (update) {
		for (size_t i = 0; i < d->n; i++) {
			int32_t delta = ((int32_t)luma[i] << 8) - d->bg[i];
			d->bg[i] = (uint16_t)(d->bg[i] + delta / (1 << (d->mask[i] ? BG_RATE_SHIFT_FG
								       : BG_RATE_SHIFT_BG)));
		}
	}
	return EX_OK;
}

/* the background from the frames read so far (per-pixel median), then their detections */
static int start_detection(struct detector *d)
{
	uint8_t v[MAX_BG_FRAMES];
	unsigned m = d->nsamples;
	for (size_t i = 0; i < d->n; i++) {
		for (unsigned s = 0; s < m; s++) { /* insertion sort of the pixel's samples */
			uint8_t x = d->samples[s * d->n + i];
			unsigned j = s;
			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		d->bg[i] = (uint16_t)(v[(m - 1) / 2] << 8);
	}
	d->started = 1;
	for (unsigned s = 0; s < m; s++) {
		int rc = detect_frame(d, d->samples + s * d->n, 0);
		if (rc != EX_OK)
			return rc;
	}
	free(d->samples);
	d->samples = NULL;
	return EX_OK;
}

/* ---- the program ---- */

static int process(struct reader *r, FILE *out, struct detector *d)
{
	char line[Y4M_MAX_LINE], why[256];
	size_t len;
	enum line_result res;
	struct y4m_info info;

	int rc = reader_line(r, line, &len, &res);
	if (rc != EX_OK)
		return rc;
	if (res != LINE_OK) {
		fprintf(stderr, "detect: %s: %s\n", r->name, res == LINE_EOF ? "empty: not a "
			"YUV4MPEG2 video" : "truncated in its header line");
		return EX_INPUT;
	}
	if (y4m_parse_header(line, len, &info, why, sizeof why) != Y4M_OK) {
		fprintf(stderr, "detect: %s: %s\n", r->name, why);
		return EX_INPUT;
	}
	if ((rc = detector_init(d, &info, out)) != EX_OK)
		return rc;

	for (uint64_t frame = 0;; frame++) {
		if ((rc = reader_line(r, line, &len, &res)) != EX_OK)
			return rc;
		if (res == LINE_EOF)
			break;
		if (res == LINE_PARTIAL) {
			fprintf(stderr, "detect: %s: frame %llu: truncated in its FRAME line\n", r->name,
				(unsigned long long)frame);
			return EX_INPUT;
		}
		if (y4m_parse_frame(line, len, why, sizeof why) != Y4M_OK) {
			fprintf(stderr, "detect: %s: frame %llu: %s\n", r->name,
				(unsigned long long)frame, why);
			return EX_INPUT;
		}
		uint8_t *dst = d->started ? d->luma : d->samples + d->nsamples * d->n;
		size_t got_luma, got_chroma = 0;
		if ((rc = reader_read(r, dst, info.luma_size, &got_luma)) != EX_OK)
			return rc;
		if (got_luma == info.luma_size &&
		    (rc = reader_read(r, NULL, info.chroma_size, &got_chroma)) != EX_OK)
			return rc;
		if (got_luma + got_chroma < (size_t)info.luma_size + info.chroma_size) {
			fprintf(stderr, "detect: %s: frame %llu truncated: %zu of %lu bytes\n", r->name,
				(unsigned long long)frame, got_luma + got_chroma,
				(unsigned long)info.luma_size + info.chroma_size);
			return EX_INPUT;
		}
		if (d->started)
			rc = detect_frame(d, d->luma, 1);
		else if (++d->nsamples == d->k)
			rc = start_detection(d);
		if (rc != EX_OK)
			return rc;
	}
	if (!d->started && d->nsamples > 0 && (rc = start_detection(d)) != EX_OK)
		return rc;
#if DETECT_CRYPTO
	if ((rc = close_encrypted(r)) != EX_OK)
		return rc;
#endif
	char fps[32] = "null";
	if (info.fps_den)
		snprintf(fps, sizeof fps, "\"%u:%u\"", info.fps_num, info.fps_den);
	fprintf(out, "{\"summary\":{\"frames\":%llu,\"width\":%u,\"height\":%u,\"colorspace\":"
		"\"%s\",\"fps\":%s,\"encrypted\":%s,\"background_frames\":%u,\"detections\":%llu,"
		"\"frames_with_objects\":%llu,\"max_objects\":%u}}\n",
		(unsigned long long)d->frames, info.width, info.height, info.colorspace, fps,
#if DETECT_CRYPTO
		r->encrypted ? "true" : "false",
#else
		"false",
#endif
		d->nsamples, (unsigned long long)d->detections,
		(unsigned long long)d->frames_with_objects, d->max_objects);
	return EX_OK;
}

#if DETECT_CRYPTO
/* The first step of the encrypted mode: this program's key pair (RSA-3072, made once, held by
 * the runtime) and its public key (PEM) in PUBKEY_FILE. */
static int write_public_key(void)
{
	int32_t e = keypair_create(KEY_PAIR, strlen(KEY_PAIR));
	if (e != 0) {
		fprintf(stderr, "detect: cannot create key pair \"%s\": %s (errno %d)\n", KEY_PAIR,
			strerror(e), (int)e);
		return EX_CRYPTO;
	}
	uint8_t pem[4096]; /* an RSA-3072 SubjectPublicKeyInfo PEM is about 630 bytes */
	size_t len = 0;
	if ((e = public_key_pem(KEY_PAIR, strlen(KEY_PAIR), pem, sizeof pem, &len)) != 0 ||
	    len > sizeof pem) {
		fprintf(stderr, "detect: cannot read the public key of \"%s\": %s (errno %d)\n",
			KEY_PAIR, strerror(e), (int)e);
		return EX_CRYPTO;
	}
	FILE *f = fopen(PUBKEY_FILE, "w");
	if (!f) {
		fprintf(stderr, "detect: cannot create %s: %s\n", PUBKEY_FILE, strerror(errno));
		return EX_IO;
	}
	size_t n = fwrite(pem, 1, len, f);
	if (fclose(f) != 0 || n != len) {
		fprintf(stderr, "detect: cannot write %s\n", PUBKEY_FILE);
		return EX_IO;
	}
	return EX_OK;
}
#endif

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return EX_OK;
	}
	if (argc > 3 || (argc > 1 && argv[1][0] == '-' && argv[1][1] != '\0')) {
		usage(stderr);
		return EX_IO;
	}
	const char *in = argc > 1 ? argv[1] : DEFAULT_VIDEO, *outname = argc > 2 ? argv[2] : DEFAULT_OUT;
#if DETECT_CRYPTO
	FILE *k = fopen(KEY_FILE, "rb");
	if (k == NULL && errno == ENOENT)
		return write_public_key(); /* before VIDEO is opened: a stream blocks until it arrives */
	if (k != NULL)
		fclose(k);
#endif
	struct reader r = {0};
	struct detector d = {0};
	FILE *out = NULL;
	int rc = reader_open(&r, in);
	if (rc != EX_OK)
		goto out;
	out = fopen(outname, "w");
	if (!out) {
		fprintf(stderr, "detect: cannot create %s: %s\n", outname, strerror(errno));
		rc = EX_IO;
		goto out;
	}
	rc = process(&r, out, &d);
out:
	if (out) {
		int werr = ferror(out);
		if (fclose(out) != 0 || werr) {
			fprintf(stderr, "detect: cannot write %s\n", outname);
			if (rc == EX_OK)
				rc = EX_IO;
		}
	}
	detector_free(&d);
	reader_free(&r);
	return rc;
}
