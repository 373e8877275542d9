#!/usr/bin/env bash
# The test command: installs the dependencies, builds everything with
# warnings as errors, and runs every test (unit, integration with real
# server/worker/CLI processes, Brian2 reference checks), then fuzzes the model
# parser and checker with libFuzzer and sanitizers for FUZZ_SECONDS (default
# 60; 0 skips it).
#
#   bash scripts/test.sh            # build directory: build/ (BUILD_DIR=...)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-2}"

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCELLFIT_WERROR=ON
cmake --build "$BUILD_DIR" -j"$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS"
if [[ "${FUZZ_SECONDS:-60}" != "0" ]]; then
  bash scripts/fuzz_model.sh "${FUZZ_SECONDS:-60}" "${BUILD_DIR}-fuzz"
fi
