#!/bin/bash
# WebAssembly engine benchmark (issue 4). Builds the programs of
# ../shared/bench-wasm (BENCH_SRC) natively (gcc -O2) and as import-free
# wasm32 modules (clang --target=wasm32-wasi -O2 -DBENCH_EXPORT, exported
# `run() -> i64`, no WASI needed), then times, per program (median of RUNS):
#   native, `ccfaas wasm invoke X.wasm run`, and (unless NO_WABT=1)
#   wabt's `wasm-interp --run-all-exports X.wasm`.
# Prints CPU times (user+sys), ratios to native, geometric means and the checksums (which
# must agree). usage: bench/wasm/run.sh [CCFAAS]  (default build/src/cli/ccfaas)
# env: BENCH_SRC, RUNS (default 3), NO_WABT=1, PROGRAMS="matmul sha256 ..."
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ccfaas=${1:-$root/build/src/cli/ccfaas}
src=${BENCH_SRC:-$root/../shared/bench-wasm}
runs=${RUNS:-3}
programs=${PROGRAMS:-matmul sha256 nbody sort csvreg}
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
done

# median CPU time in seconds (perf's task-clock when perf works, else
# user+sys from time(1); robust against other load on the machine) of $runs runs of "$@"; output of the last run in $out/last
median() {
    local ts=()
    for _ in $(seq "$runs"); do
        if [ "$have_perf" = 1 ]; then
            perf stat -x, -e task-clock -o "$out/time" "$@" >"$out/last" 2>&1
            ts+=("$(awk -F, '/task-clock/ {print $1 / 1000}' "$out/time")")
        else
            /usr/bin/time -f "%U %S" -o "$out/time" "$@" >"$out/last" 2>&1
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
    if [ "${NO_WABT:-0}" != 1 ]; then
        tw=$(runs=1 median wasm-interp --run-all-exports "$out/$p.wasm")
        cw=$(sed -n 's/.*i64:\([0-9]*\).*/\1/p' "$out/last"); cw=$(printf '%016x' "$cw")
    else tw=nan; cw=$co; fi
    ro=$(echo "$to / $tn" | bc -l)
    same=ok; [ "$cn" = "$co" ] && [ "$cn" = "$cw" ] || same="MISMATCH native=$cn ours=$co wabt=$cw"
    if [ "$tw" != nan ]; then
        rw=$(echo "$tw / $tn" | bc -l); rwo=$(echo "$tw / $to" | bc -l)
        printf '%-8s %8.3fs %8.3fs %8.2fs %8.1f %8.1f %8.1f  %s %s\n' "$p" "$tn" "$to" "$tw" "$ro" \
            "$rw" "$rwo" "$cn" "$same"
    else
        printf '%-8s %8.3fs %8.3fs %9s %8.1f %8s %8s  %s %s\n' "$p" "$tn" "$to" - "$ro" - - "$cn" "$same"
    fi
    lg_o=$(echo "$lg_o + l($ro)" | bc -l)
    [ "$tw" != nan ] && { lg_w=$(echo "$lg_w + l($rw)" | bc -l); lg_ow=$(echo "$lg_ow + l($rwo)" | bc -l); }
    n=$((n + 1))
done
printf 'geomean ours/native %.1fx' "$(echo "e($lg_o / $n)" | bc -l)"
[ "${NO_WABT:-0}" != 1 ] && printf ', wabt/native %.1fx, wabt/ours %.1fx' \
    "$(echo "e($lg_w / $n)" | bc -l)" "$(echo "e($lg_ow / $n)" | bc -l)"
echo
