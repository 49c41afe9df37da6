#!/usr/bin/env bash
# Installs the Debian packages hnn needs, only those missing. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ccache git pkg-config clang-format
  libtorch-dev            # LibTorch 1.13 (CPU)
  libopenblas0-openmp     # fast BLAS behind LibTorch (Debian's default is the reference BLAS)
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev zlib1g-dev
  libplplot-dev plplot-driver-cairo
  libflatbuffers-dev flatbuffers-compiler liblz4-dev libzstd-dev   # event files (AEDAT 4)
  python3 lz4 zstd           # scripts/check_aedat4.py, the independent AEDAT 4 check in the tests
  libopencv-dev libgif-dev   # frames, overlays, video and GIF for the events layer
  libhdf5-dev hdf5-tools     # HDF5: NIR graphs, DASBE datasets; h5dump for the tests
  libgloo-dev                # Gloo headers: libtorch's c10d data parallelism (docs/distributed.md)
  dataset-fashion-mnist
  # The Python module (python/): Debian's python3-torch is the same LibTorch 1.13 build as
  # libtorch-dev (its torch/lib/*.so link to the same files), so tensors and autograd pass
  # between Python and hnn unchanged; pybind11 for the binding, pytest and numpy for its tests.
  python3-torch python3-dev pybind11-dev python3-pybind11 python3-pytest python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
