#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs the main demo on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target hnn_cli
build/hnn demo "$@"
