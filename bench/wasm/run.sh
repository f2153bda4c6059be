#!/bin/bash
# WebAssembly engine benchmark (issue 4). Builds the programs of
# ../shared/bench-wasm (BENCH_SRC) natively (gcc -O2) and as import-free
# wasm32 modules (clang --target=wasm32-wasi -O2 -DBENCH_EXPORT, exported
# `run() -> i64`, no WASI needed), then times, per program (median of RUNS):
#   native, `ccfaas wasm invoke X.wasm run`, and (unless NO_WABT=1)
#   wabt's `wasm-interp --run-all-exports X.wasm`.
# Prints CPU times (user+sys), ratios to native, geometric means and the checksums (which
# must agree). usage: bench/wasm/run.sh [--quick] [CCFAAS]  (default build/src/cli/ccfaas)
# env: BENCH_SRC, RUNS (default 3), NO_WABT=1, PROGRAMS="matmul sha256 ...",
#      SIMD=1: also a build with clang -msimd128 (128-bit SIMD), timed by ccfaas beside the
#      scalar build (columns simd and simd/scalar; its checksum must agree too).
#      JIT=1: a second table (issue 22): interpreter, compiled strategy (`wasm invoke --strategy
#      jit`: its run time without the compilation, the compile time per 100 KB of wasm, peak
#      resident memory), wasm2c + gcc -O2 (Debian's wabt) and native, with geomeans vs native.
# --quick: RUNS=1 NO_WABT=1 PROGRAMS=csvreg unless set (seconds; bench/test-cleanup uses it).
# It runs everything in the foreground, one process at a time: nothing is left running when
# it exits, Ctrl-C included.
set -euo pipefail
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ccfaas=${1:-$root/build/src/cli/ccfaas}
src=${BENCH_SRC:-$root/../shared/bench-wasm}
if [ "$quick" = 1 ]; then
    runs=${RUNS:-1} programs=${PROGRAMS:-csvreg} NO_WABT=${NO_WABT:-1}
else
    runs=${RUNS:-3} programs=${PROGRAMS:-matmul sha256 nbody sort csvreg}
fi
out=${BENCH_OUT:-/tmp/ccfaas-bench-wasm}
mkdir -p "$out"
[ -x "$ccfaas" ] || { echo "no ccfaas at $ccfaas (build first)"; exit 2; }
[ -d "$src" ] || { echo "no benchmark sources in $src (set BENCH_SRC)"; exit 2; }

have_perf=0
perf stat -x, -e task-clock -o /dev/null true >/dev/null 2>&1 && have_perf=1
for p in $programs; do
    gcc -O2 -o "$out/$p.native" "$src/$p.c" -lm
    clang --target=wasm32-wasi --sysroot=/usr -O2 -DBENCH_EXPORT -nostartfiles -Wl,--no-entry \
        -o "$out/$p.wasm" "$src/$p.c"
    if [ "${SIMD:-0}" = 1 ]; then
        clang --target=wasm32-wasi --sysroot=/usr -O2 -msimd128 -DBENCH_EXPORT -nostartfiles \
            -Wl,--no-entry -o "$out/$p.simd.wasm" "$src/$p.c"
    fi
done

calc() { awk "BEGIN { print $1 }"; } # floating-point arithmetic (log, exp) without bc

# median CPU time in seconds (perf's task-clock when perf works, else
# user+sys from bash's time; robust against other load on the machine) of $runs runs of "$@"; output of the last run in $out/last
median() {
    local ts=()
    for _ in $(seq "$runs"); do
        if [ "$have_perf" = 1 ]; then
            perf stat -x, -e task-clock -o "$out/time" "$@" >"$out/last" 2>&1
            ts+=("$(awk -F, '/task-clock/ {print $1 / 1000}' "$out/time")")
        else
            local TIMEFORMAT='%U %S'
            { time "$@" >"$out/last" 2>&1; } 2>"$out/time"
            ts+=("$(awk '{print $1 + $2}' "$out/time")")
        fi
    done
    printf '%s\n' "${ts[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-8s %9s %9s %9s %8s %8s %8s  %s\n' program native ours wabt ours/nat wabt/nat wabt/ours checksum
lg_o=0; lg_w=0; lg_ow=0; n=0
for p in $programs; do
    tn=$(median "$out/$p.native"); cn=$(awk '{print $2}' "$out/last")
    to=$(median "$ccfaas" wasm invoke "$out/$p.wasm" run)
    co=$(sed -n 's/^i64://p' "$out/last"); co=$(printf '%016x' "$co")
    if [ "${SIMD:-0}" = 1 ]; then
        ts=$(median "$ccfaas" wasm invoke "$out/$p.simd.wasm" run)
        cs=$(sed -n 's/^i64://p' "$out/last"); cs=$(printf '%016x' "$cs")
        [ "$cs" = "$co" ] || { echo "$p: SIMD build checksum $cs != scalar $co" >&2; exit 1; }
        printf '%-8s simd %8.3fs  simd/scalar %.2f  simd/native %.1f\n' "$p" "$ts" \
            "$(calc "$ts / $to")" "$(calc "$ts / $tn")" >&2
    fi
    if [ "${NO_WABT:-0}" != 1 ]; then
        tw=$(runs=1 median wasm-interp --run-all-exports "$out/$p.wasm")
        cw=$(sed -n 's/.*i64:\([0-9]*\).*/\1/p' "$out/last"); cw=$(printf '%016x' "$cw")
    else tw=nan; cw=$co; fi
    ro=$(calc "$to / $tn")
    same=ok; [ "$cn" = "$co" ] && [ "$cn" = "$cw" ] || same="MISMATCH native=$cn ours=$co wabt=$cw"
    if [ "$tw" != nan ]; then
        rw=$(calc "$tw / $tn"); rwo=$(calc "$tw / $to")
        printf '%-8s %8.3fs %8.3fs %8.2fs %8.1f %8.1f %8.1f  %s %s\n' "$p" "$tn" "$to" "$tw" "$ro" \
            "$rw" "$rwo" "$cn" "$same"
    else
        printf '%-8s %8.3fs %8.3fs %9s %8.1f %8s %8s  %s %s\n' "$p" "$tn" "$to" - "$ro" - - "$cn" "$same"
    fi
    lg_o=$(calc "$lg_o + log($ro)")
    [ "$tw" != nan ] && { lg_w=$(calc "$lg_w + log($rw)"); lg_ow=$(calc "$lg_ow + log($rwo)"); }
    n=$((n + 1))
done
printf 'geomean ours/native %.1fx' "$(calc "exp($lg_o / $n)")"
[ "${NO_WABT:-0}" != 1 ] && printf ', wabt/native %.1fx, wabt/ours %.1fx' \
    "$(calc "exp($lg_w / $n)")" "$(calc "exp($lg_ow / $n)")"
echo

[ "${JIT:-0}" = 1 ] || exit 0
# ---- compiled strategy (issue 22) ----
# jit run time = CPU time of the call alone, compile time = CPU time of the compilation (both
# printed by `ccfaas wasm invoke` with CCFAAS_JIT_STATS=1; medians of RUNS); rss = peak resident
# set of that process (GNU time), i.e. with LLVM loaded and the code compiled.
have_w2c=0
[ -f /usr/src/wasm2c/wasm-rt-impl.c ] && command -v wasm2c >/dev/null && have_w2c=1
echo
printf '%-8s %8s %8s %8s %8s %9s %8s %8s %8s %8s  %s\n' program native interp jit w2c+gcc ms/100KB rss-MiB \
    int/nat jit/nat w2c/nat checksum
lg_i=0; lg_j=0; lg_w=0; n=0; sum_ms=0; sum_kb=0
for p in $programs; do
    tn=$(median "$out/$p.native"); cn=$(awk '{print $2}' "$out/last")
    ti=$(median "$ccfaas" wasm invoke "$out/$p.wasm" run)
    ci=$(sed -n 's/^i64://p' "$out/last"); ci=$(printf '%016x' "$ci")
    rm -f "$out/jit-stats"
    for _ in $(seq "$runs"); do
        CCFAAS_JIT_STATS=1 "$ccfaas" wasm invoke --strategy jit "$out/$p.wasm" run >"$out/last" 2>&1
        cat "$out/last" >>"$out/jit-stats"
    done
    cj=$(sed -n 's/^i64://p' "$out/last"); cj=$(printf '%016x' "$cj")
    med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    ms=$(sed -n 's/^jit: .* compiled in \([0-9.]*\) ms$/\1/p' "$out/jit-stats" | med)
    tj=$(calc "$(sed -n 's/^run: \([0-9.]*\) ms$/\1/p' "$out/jit-stats" | med) / 1000")
    rss=$( { /usr/bin/time -f '%M' "$ccfaas" wasm invoke --strategy jit "$out/$p.wasm" run >/dev/null; } 2>&1 | tail -1)
    kb=$(calc "$(stat -c %s "$out/$p.wasm") / 1024")
    sum_ms=$(calc "$sum_ms + $ms"); sum_kb=$(calc "$sum_kb + $kb")
    if [ "$have_w2c" = 1 ]; then
        wasm2c "$out/$p.wasm" -o "$out/$p.w2c.c"
        printf '#include <stdio.h>\n#include "%s.w2c.h"\nint main(void){wasm_rt_init();Z_%s_init_module();Z_%s_instance_t m;Z_%s_instantiate(&m);printf("%%llx\\n",(unsigned long long)Z_%sZ_run(&m));return 0;}\n' \
            "$p" "$p" "$p" "$p" "$p" >"$out/$p.w2c-main.c"
        gcc -O2 -I/usr/src/wasm2c -I"$out" -o "$out/$p.w2c" "$out/$p.w2c-main.c" "$out/$p.w2c.c" \
            /usr/src/wasm2c/wasm-rt-impl.c -lm
        tw=$(median "$out/$p.w2c"); cw=$(printf '%016x' "0x$(cat "$out/last")")
    else tw=nan; cw=$cn; fi
    same=ok; [ "$cn" = "$ci" ] && [ "$cn" = "$cj" ] && [ "$cn" = "$cw" ] || same="MISMATCH native=$cn interp=$ci jit=$cj w2c=$cw"
    ri=$(calc "$ti / $tn"); rj=$(calc "$tj / $tn")
    if [ "$tw" != nan ]; then rw=$(calc "$tw / $tn"); lg_w=$(calc "$lg_w + log($rw)"); else rw=nan; fi
    printf '%-8s %7.3fs %7.3fs %7.3fs %8s %9.0f %8.0f %8.1f %8.2f %8s  %s %s\n' "$p" "$tn" "$ti" "$tj" \
        "$([ "$tw" = nan ] && echo - || printf '%.3fs' "$tw")" "$(calc "$ms * 100 / $kb")" \
        "$(calc "$rss / 1024")" "$ri" "$rj" "$([ "$rw" = nan ] && echo - || printf '%.2f' "$rw")" "$cn" "$same"
    lg_i=$(calc "$lg_i + log($ri)"); lg_j=$(calc "$lg_j + log($rj)")
    n=$((n + 1))
done
printf 'geomean vs native: interp %.1fx, jit %.2fx' "$(calc "exp($lg_i / $n)")" "$(calc "exp($lg_j / $n)")"
[ "$have_w2c" = 1 ] && printf ', wasm2c+gcc %.2fx' "$(calc "exp($lg_w / $n)")"
printf '; compile %.0f ms per 100 KB of wasm\n' "$(calc "$sum_ms * 100 / $sum_kb")"
