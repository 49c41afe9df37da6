#!/usr/bin/env bash
# Installs what is missing, builds (Release, tests on) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-format.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHNN_TESTS=ON
cmake --build build -j2
ctest --test-dir build -j2 --output-on-failure
