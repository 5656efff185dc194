#!/usr/bin/env bash
# The README's main job: install what is missing, build, and run the most complete verb on the
# built-in default scenario (the paper's MMT on 8 simulated Summit V100s).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh" "$root/build" > "$root/build.log" 2>&1 || { tail -50 "$root/build.log"; exit 1; }
exec "$root/build/sim/cli/gppsim" inspect "$root/configs/scenarios/mmt-summit-8.yaml" "$@"
