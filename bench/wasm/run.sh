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
