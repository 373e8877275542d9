#!/usr/bin/env bash
# The main command: installs the dependencies, builds cellfit, and fits the
# HH example of examples/hh/ with the embedded default (each `cellfit`
# command starts a private server with one worker per core and the database
# ./cellfit.db, and stops it when it ends; the fitter stays in the database
# for the next command).
#
# It checks the model, fits it (60 rounds of 20 samples, differential
# evolution, progress printed per round), writes every evaluation to
# example-output/results.csv, the best model's traces to
# example-output/fitted_v.csv (mV) and draws them against the recorded
# traces in example-output/fit.svg.
#
#   bash scripts/run-example.sh     # build directory: build/ (BUILD_DIR=...)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-2}"
OUT="${OUT_DIR:-example-output}"

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$JOBS" --target cellfit cellfit-server cellfit-worker

CELLFIT="$BUILD_DIR/bin/cellfit"
mkdir -p "$OUT"

echo "== cellfit check examples/hh/job.toml"
"$CELLFIT" check examples/hh/job.toml
echo
echo "== cellfit fit examples/hh/job.toml"
"$CELLFIT" fit examples/hh/job.toml | tee "$OUT/fit.log"
ID="$(sed -n 's/^fitter: \([0-9a-f]*\)$/\1/p' "$OUT/fit.log" | head -n 1)"
if [[ -z "$ID" ]]; then
  echo "run-example.sh: no fitter id in the fit's output" >&2
  exit 1
fi
echo
echo "== cellfit results $ID --format csv"
"$CELLFIT" results "$ID" --format csv --out "$OUT/results.csv"
echo
echo "== cellfit generate $ID --unit mV --plot"
"$CELLFIT" generate "$ID" --out "$OUT/fitted_v.csv" --unit mV --plot "$OUT/fit.svg"
echo
echo "The fit is recorded in ./cellfit.db as fitter $ID:"
echo "  $CELLFIT results $ID          # every evaluation, in readable units"
echo "  $CELLFIT fit examples/hh/job.toml --fitter $ID --rounds 20   # continue"
echo "  $CELLFIT refine $ID           # local refinement from the best parameters"
echo "Open $OUT/fit.svg to see the fitted traces over the recorded ones."
