#!/usr/bin/env bash
# The main command: installs the dependencies, builds cellfit, and runs the
# HH example of examples/hh/ with the embedded default (a private server with
# one worker per core and the database ./cellfit.db, started for each
# command and stopped after it).
#
# The fitting verbs of the CLI are not built yet: for now this reads the job
# file and its CSVs, and shows the embedded server's status with its workers.
#
#   bash scripts/run-example.sh     # build directory: build/ (BUILD_DIR=...)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-2}"

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$JOBS" --target cellfit cellfit-server cellfit-worker

CELLFIT="$BUILD_DIR/bin/cellfit"
echo "== cellfit parse examples/hh/job.toml"
"$CELLFIT" parse examples/hh/job.toml
echo
echo "== cellfit status   (embedded server, workers: one per core)"
"$CELLFIT" status
