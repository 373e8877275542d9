#!/usr/bin/env bash
# HH backend benchmark, side by side with Brian2 in one run (one core each).
#
# usage: bench/run_hh_backends.sh [BUILD_DIR] [N] [STEPS]
# Needs ../shared/bench/brian2_hh_bench.py (the Brian2 side), or set
# BRIAN2_HH_BENCH to its path. Prints neuron-steps per second for Brian2's
# cython and cpp_standalone targets and cellfit's backends, and the ratios the
# performance targets are stated in. Times on a shared machine are noisy: each
# side runs REPEAT times (default 3) and the best is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
n=${2:-2000}
steps=${3:-1500}
repeat=${REPEAT:-3}
peer=${BRIAN2_HH_BENCH:-$here/../../shared/bench/brian2_hh_bench.py}
if [ ! -f "$peer" ]; then
  echo "Brian2 side not found at $peer (set BRIAN2_HH_BENCH)" >&2
  exit 1
fi

best() {  # best neuron_steps_per_s over $repeat runs of a command
  local top=0 line rate
  for _ in $(seq "$repeat"); do
    line=$("$@" 2>/dev/null | grep neuron_steps_per_s | tail -1)
    rate=$(sed -E 's/.*neuron_steps_per_s=([0-9.e+-]+).*/\1/' <<<"$line")
    top=$(python3 -c "print(max($top, $rate))")
  done
  echo "$top"
}

build=$(cd "$build" && pwd)
peer=$(cd "$(dirname "$peer")" && pwd)/$(basename "$peer")
# cpp_standalone writes its project to ./output: keep it out of the tree.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# Brian2 compiles its code on the first run; warm its caches first.
taskset -c 0 /usr/bin/python3 "$peer" cython 100 100 >/dev/null 2>&1 || true
cython=$(best taskset -c 0 /usr/bin/python3 "$peer" cython "$n" "$steps")
standalone=$(best taskset -c 0 /usr/bin/python3 "$peer" cpp_standalone "$n" "$steps")
runtime=$(best taskset -c 0 "$build/bench/hh_backend_bench" runtime "$n" "$steps")
printf 'HH, N=%s x %s steps, exponential Euler, dt 0.01 ms, v recorded, one core\n' "$n" "$steps"
printf '  %-28s %12.3e neuron-steps/s\n' "Brian2 cython" "$cython" \
  "Brian2 cpp_standalone" "$standalone" "cellfit runtime" "$runtime"
printf '  runtime / Brian2 cython          = %.2fx (target >= 4x)\n' \
  "$(python3 -c "print($runtime/$cython)")"
if "$build/bench/hh_backend_bench" standalone 10 10 >/dev/null 2>&1; then
  # A cold cache: the compile a fitter's first round pays once per model.
  compile=$(CELLFIT_CACHE_DIR="$scratch/cold-cache" \
            "$build/bench/hh_backend_bench" standalone 10 10 2>&1 >/dev/null |
            sed -nE 's/.*compile_seconds=([0-9.]+).*/\1/p')
  printf '  %-28s %12s s (once per model; then cached)\n' \
    "HH model compile time" "$compile"
  sa=$(best taskset -c 0 "$build/bench/hh_backend_bench" standalone "$n" "$steps")
  printf '  %-28s %12.3e neuron-steps/s\n' "cellfit standalone" "$sa"
  printf '  standalone / Brian2 standalone   = %.2fx (target >= 3x)\n' \
    "$(python3 -c "print($sa/$standalone)")"
fi
