#!/usr/bin/env bash
# Regenerates the pictures in docs/images/ with the hnn command (build it first).
set -euo pipefail
cd "$(dirname "$0")/.."
HNN=${HNN:-build/hnn}
mkdir -p docs/images/hu
for p in $($HNN hu list | awk '{print $1}'); do
  $HNN -q --seed 1 hu plot --preset "$p" --out "docs/images/hu/$p.png" > /dev/null
done
echo "docs/images/hu: $(ls docs/images/hu | wc -l) pictures"
