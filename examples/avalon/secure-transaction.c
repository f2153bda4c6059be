/* secure-transaction as a WebAssembly workload (Avalon SCONE worker's
 * workload/transaction.py): input "SENDER RECEIVER AMOUNT DISCOUNT" (split
 * on single spaces, further fields ignored), the amount less DISCOUNT
 * percent moves from sender to receiver, printed as Python prints floats:
 * "Sender Balance is 75.0, Receiver Balance is 125.0". Integers as Python's
 * int() reads them, within int64, and |AMOUNT * DISCOUNT| <= 2^53 so that the
 * division is Python's correctly rounded int / int (README.md). */
#include <math.h>

#include "workload.h"

/* repr(float): the shortest digits that read back, fixed notation for
 * decimal exponents -4 <= e < 16, else d.ddde+XX (Python's float_repr_style
 * "short"). */
static void py_float(double v, char *out, size_t size)
{
    char buf[40], digits[20];
    int p, exp10 = 0, nd = 0;
    if (isnan(v)) { snprintf(out, size, "nan"); return; }
    if (isinf(v)) { snprintf(out, size, v < 0 ? "-inf" : "inf"); return; }
    for (p = 1; p <= 17; p++) { /* shortest precision that round-trips */
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf is [-]d[.ddd]e[+-]XX */
    const char *q = buf + (buf[0] == '-');
    for (; *q != 'e'; q++)
        if (*q != '.')
            digits[nd++] = *q;
    exp10 = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    size_t o = 0;
    if (signbit(v))
        out[o++] = '-';
    int decpt = exp10 + 1; /* digits before the point */
    if (exp10 >= -5 + 1 && exp10 < 16) {
        if (decpt <= 0) {
            o += (size_t)snprintf(out + o, size - o, "0.");
            for (int k = 0; k < -decpt; k++)
                out[o++] = '0';
            snprintf(out + o, size - o, "%s", digits);
        } else if (decpt >= nd) {
            o += (size_t)snprintf(out + o, size - o, "%s", digits);
            for (int k = nd; k < decpt; k++)
                out[o++] = '0';
            snprintf(out + o, size - o, ".0");
        } else {
            snprintf(out + o, size - o, "%.*s.%s", decpt, digits, digits + decpt);
        }
    } else {
        snprintf(out + o, size - o, "%c%s%s%se%c%02d", digits[0], nd > 1 ? "." : "", digits + 1, "",
                 exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

int main(void)
{
    size_t len;
    const char *in = wl_read_input(&len);
    int64_t v[4];
    const char *start = in, *end = in + len;
    char s_txt[40], r_txt[40], out[128];
    for (int i = 0; i < 4; i++) {
        const char *sp = memchr(start, ' ', (size_t)(end - start));
        size_t n = sp ? (size_t)(sp - start) : (size_t)(end - start);
        if ((i < 3 && sp == NULL) || !wl_py_int(start, n, &v[i])) {
            fprintf(stderr, "Error processing secure transaction: expected four integers\n");
            return 1;
        }
        start = sp ? sp + 1 : end;
    }
    __int128 prod = (__int128)v[2] * v[3];
    if (prod > ((__int128)1 << 53) || prod < -((__int128)1 << 53)) {
        fprintf(stderr, "Error processing secure transaction: amount * discount out of range\n");
        return 1;
    }
    /* amount = amount - (amount * discount_percent / 100); Python floats */
    double amount = (double)v[2] - (double)(int64_t)prod / 100.0;
    double sender = (double)v[0] - amount, receiver = (double)v[1] + amount;
    py_float(sender, s_txt, sizeof s_txt);
    py_float(receiver, r_txt, sizeof r_txt);
    int o = snprintf(out, sizeof out, "Sender Balance is %s, Receiver Balance is %s", s_txt, r_txt);
    wl_write_output(out, (size_t)o);
    return 0;
}
