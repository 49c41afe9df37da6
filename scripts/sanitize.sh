#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UBSan: a clang build of the library, the hnn
# command, the tests and the fuzz targets (HNN_FUZZ implies HNN_SANITIZE) in build-san/, then
# ctest. Too slow for CI on two cores (about two hours in all; see docs/reliability.md).
#   scripts/sanitize.sh [BUILD_DIR] [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-san}
shift || true
cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only -DNDEBUG" -DHNN_FUZZ=ON -DHNN_TESTS=ON -DHNN_PYTHON=OFF
cmake --build "$dir" -j2
# LibTorch and OpenBLAS are not instrumented: their allocations are only checked at the boundary.
# Leaks are not reported: LibTorch keeps its allocator caches and thread pools to the end.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" -j2 --output-on-failure --timeout 3000 "$@"
