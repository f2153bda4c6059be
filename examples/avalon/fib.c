/* python-fib as a WebAssembly workload (Avalon SCONE worker's
 * workload/fibonacci.py): "Fibonacci number at position N = F(N)", F(N) the
 * exact integer (base-10^9 limbs), N at most FIB_MAX (README.md). */
#include "workload.h"

#define FIB_MAX 20000
#define LIMBS (FIB_MAX / 9 + 2) /* F(n) < 2^n: at most 0.21 n digits */
#define BASE 1000000000u

static uint32_t a[LIMBS], b[LIMBS];

int main(void)
{
    size_t len;
    const char *in = wl_read_input(&len);
    int64_t n;
    static char out[64 + 9 * LIMBS];
    if (!wl_py_int(in, len, &n)) {
        fprintf(stderr, "Error processing Fibonacci number: invalid literal for int()\n");
        return 1;
    }
    if (n < 0 || n > FIB_MAX) {
        fprintf(stderr, "Error processing Fibonacci number: %s\n",
                n < 0 ? "Invalid input" : "position above 20000");
        return 1;
    }
    uint32_t *x = a, *y = b, *t; /* F(i-2), F(i-1) */
    size_t nx = 1, ny = 1, nt;
    a[0] = 0;
    b[0] = 1;
    for (int64_t i = 2; i <= n; i++) { /* x <- x + y, then (x, y) <- (y, x) */
        uint32_t carry = 0;
        for (size_t k = 0; k < ny; k++) {
            uint32_t s = (k < nx ? x[k] : 0) + y[k] + carry;
            carry = s >= BASE;
            x[k] = carry ? s - BASE : s;
        }
        nx = ny;
        if (carry)
            x[nx++] = 1;
        t = x, x = y, y = t;
        nt = nx, nx = ny, ny = nt;
    }
    const uint32_t *f = n == 0 ? x : y;
    size_t nf = n == 0 ? nx : ny;
    int o = snprintf(out, sizeof out, "Fibonacci number at position %lld = %u", (long long)n, f[nf - 1]);
    for (size_t k = nf - 1; k-- > 0;)
        o += snprintf(out + o, sizeof out - (size_t)o, "%09u", f[k]);
    wl_write_output(out, (size_t)o);
    return 0;
}
