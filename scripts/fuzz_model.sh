#!/bin/sh
# Builds the model language's libFuzzer target with clang (address and
# undefined-behaviour sanitizers) in its own build directory and runs it for a
# fixed time. Exits non-zero on any crash, leak, timeout or sanitizer report.
#
# Usage: scripts/fuzz_model.sh [SECONDS] [BUILD_DIR]
#   SECONDS    how long to fuzz (default 60)
#   BUILD_DIR  where to build (default build-fuzz)
# Environment: FUZZ_JOBS (parallel build jobs, default 2).
set -eu

seconds=${1:-60}
build_dir=${2:-build-fuzz}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$source_dir"

CC=clang CXX=clang++ cmake -S . -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCELLFIT_FUZZ=ON -DCELLFIT_BUILD_TESTS=OFF -DCELLFIT_BUILD_BENCH=OFF \
  -DCELLFIT_NATIVE=OFF >/dev/null
cmake --build "$build_dir" -j"${FUZZ_JOBS:-2}" --target model_fuzzer

# The checked-in seeds stay untouched; new inputs go to a scratch corpus.
work="$build_dir/fuzz-model"
mkdir -p "$work/corpus" "$work/artifacts"
cp model/fuzz/corpus/* "$work/corpus/"

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
"$build_dir/model/fuzz/model_fuzzer" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict=model/fuzz/model.dict -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  "$work/corpus"
