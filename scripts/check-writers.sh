#!/usr/bin/env bash
# Every file hnn writes goes to a temporary name and is renamed when complete (hnn/core/fs.h
# write_atomically, or a writer's own "<path>.tmp-<pid>"), so a crash never leaves half a file
# under the real name. This check (ctest lint.atomic_writers) finds the calls that create files
# in src/, apps/ and python/ and fails on any that does not write to a temporary name.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='std::ofstream [a-z_]+\(|fopen\(.*"[wa]b?\+?"|cv::imwrite\(|H5Fcreate\(|torch::save\(|save_to\(|plsfnam\(|EGifOpenFileName\(|\.open\(.*(fourcc|CAP_FFMPEG)'
bad=$(grep -rnE "$pattern" src apps python --include='*.cpp' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*//' |
  grep -v 'tmp' || true)
if [ -n "$bad" ]; then
  echo "files created under their final name (write to a temporary name and rename; see hnn/core/fs.h):"
  echo "$bad"
  exit 1
fi
echo "every writer writes to a temporary name ($(grep -rnE "$pattern" src apps python --include='*.cpp' --include='*.h' | wc -l) call sites)"
