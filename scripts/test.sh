#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test with CTest.
# GPPSIM_SANITIZE=1 builds into build-asan with AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
if [ "${GPPSIM_SANITIZE:-0}" = 1 ]; then
  build="$root/build-asan"
  # The sanitizers instrument host code only, and the CUDA tests skip without a GPU: the CUDA
  # kernels are left out of this build (the normal build compiles and links them).
  args=(-DGPPSIM_SANITIZE=ON -DGPPSIM_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Debug -DGPPSIM_CUDA=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build="$root/build"
  args=()
fi
bash "$root/scripts/build.sh" "$build" "${args[@]}" > "$build.log" 2>&1 || { tail -80 "$build.log"; exit 1; }
cd "$build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 300
