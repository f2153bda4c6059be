/* linear-regression: the spec's example function.
 *
 * Reads a data set of points from the file `input-0` and writes the least-squares line
 * y = slope * x + intercept to the file `output`. Formats (README.md here):
 *   input-0   text, one point per line "x,y" (decimal numbers, as strtod reads them);
 *             blank lines and lines starting with '#' are ignored; a first such line "x,y" is
 *             a header
 *   output    one line of JSON: {"n": N, "slope": S, "intercept": I, "r2": R2}
 * The program needs only the spec's rights: input-0 with 8198 (FD_READ|FD_SEEK|PATH_OPEN: it
 * opens and reads, never stats) and output with 533572 (create, truncate, write).
 * Exit status 0 on success; 1 with a message on stderr for unreadable or invalid input, fewer
 * than two points, or all x equal (no line is determined). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT "input-0"
#define OUTPUT "output"

struct points {
	double *x, *y;
	size_t n, cap;
};

static int push(struct points *p, double x, double y)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		double *nx = realloc(p->x, cap * sizeof *nx);
		if (!nx)
			return -1;
		p->x = nx;
		double *ny = realloc(p->y, cap * sizeof *ny);
		if (!ny)
			return -1;
		p->y = ny;
		p->cap = cap;
	}
	p->x[p->n] = x;
	p->y[p->n] = y;
	p->n++;
	return 0;
}

/* parses "x,y" with optional blanks around the numbers; 0 on success */
static int parse_point(const char *s, double *x, double *y)
{
	char *end;
	errno = 0;
	*x = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*x))
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != ',')
		return -1;
	s = end + 1;
	*y = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*y))
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	return *end == '\0' ? 0 : -1;
}

static int read_points(FILE *f, struct points *p)
{
	char line[512];
	unsigned long lineno = 0;
	int seen = 0; /* a line that is not blank or a comment was seen */
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			fprintf(stderr, "linear-regression: %s:%lu: line too long\n", INPUT, lineno);
			return -1;
		}
		const char *s = line + strspn(line, " \t");
		if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
			continue;
		int first = !seen;
		seen = 1;
		if (first && strncmp(s, "x,y", 3) == 0 && strspn(s + 3, " \t\r\n") == strlen(s + 3))
			continue;
		double x, y;
		if (parse_point(s, &x, &y) != 0) {
			fprintf(stderr, "linear-regression: %s:%lu: expected \"x,y\" (two numbers)\n",
				INPUT, lineno);
			return -1;
		}
		if (push(p, x, y) != 0) {
			fprintf(stderr, "linear-regression: out of memory at %zu points\n", p->n);
			return -1;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "linear-regression: reading %s: %s\n", INPUT, strerror(errno));
		return -1;
	}
	return 0;
}

int main(void)
{
	struct points p = {0};
	int rc = 1;
	FILE *in = NULL, *out = NULL;

	in = fopen(INPUT, "r");
	if (!in) {
		fprintf(stderr, "linear-regression: cannot open %s: %s\n", INPUT, strerror(errno));
		goto done;
	}
	if (read_points(in, &p) != 0)
		goto done;
	if (p.n < 2) {
		fprintf(stderr, "linear-regression: %s: need at least 2 points, got %zu\n", INPUT, p.n);
		goto done;
	}

	/* two passes: the means, then the centred sums (numerically stable) */
	double mx = 0, my = 0;
	for (size_t i = 0; i < p.n; i++) {
		mx += p.x[i];
		my += p.y[i];
	}
	mx /= (double)p.n;
	my /= (double)p.n;
	double sxx = 0, sxy = 0, syy = 0;
	for (size_t i = 0; i < p.n; i++) {
		double dx = p.x[i] - mx, dy = p.y[i] - my;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (sxx == 0) {
		fprintf(stderr, "linear-regression: %s: all x are equal, the line is not determined\n",
			INPUT);
		goto done;
	}
	double slope = sxy / sxx;
	double intercept = my - slope * mx;
	double r2 = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);

	out = fopen(OUTPUT, "w");
	if (!out) {
		fprintf(stderr, "linear-regression: cannot create %s: %s\n", OUTPUT, strerror(errno));
		goto done;
	}
	fprintf(out, "{\"n\": %zu, \"slope\": %.12g, \"intercept\": %.12g, \"r2\": %.12g}\n", p.n,
		slope, intercept, r2);
	if (fclose(out) != 0) {
		out = NULL;
		fprintf(stderr, "linear-regression: writing %s: %s\n", OUTPUT, strerror(errno));
		goto done;
	}
	out = NULL;
	rc = 0;
done:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	free(p.x);
	free(p.y);
	return rc;
}
