#!/usr/bin/env bash
# The README's main job: install what is missing, build, and reproduce GraphPipe's evaluation on
# simulated Summit V100s (experiments/graphpipe_eval.yaml): prints the speedup table and writes
# tables, plots and report.md to experiments/results/graphpipe_eval/. Extra arguments go to
# `gppsim experiment` (e.g. --quick for the one-minute subset, --out DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh" "$root/build" > "$root/build.log" 2>&1 || { tail -50 "$root/build.log"; exit 1; }
cd "$root"
exec "$root/build/sim/cli/gppsim" experiment experiments/graphpipe_eval.yaml "$@"
