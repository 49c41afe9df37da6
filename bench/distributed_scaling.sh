#!/usr/bin/env bash
# Scaling of data-parallel training from 1 to 2 processes on this machine: the training epoch of a
# system (the hybrid-plasticity spiking CNN and MLP of `hnn hp`), timed as the median of REPEATS
# runs of each of
#   1p x 1t   one process, one thread          (the baseline of the efficiency)
#   2p x 1t   hnn launch --nproc 2, one thread each
#   1p x 2t   one process, two threads         (what the same cores give without distribution)
# efficiency = t(1p x 1t) / (2 t(2p x 1t)); the epoch time is the one the command prints, which
# includes validation on the (small) test set, done by every rank.
#   bench/distributed_scaling.sh [path/to/hnn] [repeats]
set -euo pipefail
HNN=${1:-build/hnn}
REPEATS=${2:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

workloads=(
  "cnn|hp classify --dataset fashion --train-limit 400 --test-limit 50 --epochs 1 --batch 50"
  "mlp|hp demo --modes hp --train-limit 6000 --test-limit 100 --epochs 1 --batch 100 --levels 1"
)

# The seconds of the first "epoch 1/1 ... | X s" line a run prints.
epoch_seconds() {
  # Reads all of its input (stopping early would kill the writer with SIGPIPE).
  awk '/epoch 1\/1/ && !done { sub(/ s$/, ""); print $NF; done = 1 }'
}

median() {
  sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

printf "| workload | 1p x 1t (s) | 2p x 1t (s) | 1p x 2t (s) | speedup 2p/1p | efficiency | 2p vs 1p x 2t |\n"
printf "|---|---|---|---|---|---|---|\n"
for w in "${workloads[@]}"; do
  name=${w%%|*}
  cmd=${w#*|}
  declare -a a=() b=() c=()
  # Warm-up: loads the data set caches and faults in the binary.
  OMP_NUM_THREADS=1 "$HNN" -q --threads 1 $cmd --out "$OUT/w" > /dev/null
  for ((r = 0; r < REPEATS; ++r)); do
    a+=("$(OMP_NUM_THREADS=1 "$HNN" -q --threads 1 $cmd --out "$OUT/a" 2>/dev/null | epoch_seconds)")
    b+=("$(OMP_NUM_THREADS=1 "$HNN" launch --nproc 2 -- -q --threads 1 $cmd --out "$OUT/b" 2>/dev/null | epoch_seconds)")
    c+=("$(OMP_NUM_THREADS=2 "$HNN" -q --threads 2 $cmd --out "$OUT/c" 2>/dev/null | epoch_seconds)")
  done
  ta=$(printf "%s\n" "${a[@]}" | median)
  tb=$(printf "%s\n" "${b[@]}" | median)
  tc=$(printf "%s\n" "${c[@]}" | median)
  awk -v n="$name" -v a="$ta" -v b="$tb" -v c="$tc" \
    'BEGIN {printf "| %s | %.2f | %.2f | %.2f | %.2fx | %.0f%% | %.2fx |\n", n, a, b, c, a / b, 100 * a / (2 * b), c / b}'
done
