#!/usr/bin/env bash
# Runs the libFuzzer targets of a HNN_FUZZ build, one after the other, and prints a markdown table.
#   scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]     (TARGET: aedat4, idx, ...; default: all built)
# Each target fuzz_<name> (in BUILD_DIR/fuzz) runs for SECONDS with -rss_limit_mb=2048 -timeout=30
# over its work corpus BUILD_DIR/fuzz/work/<name> (new inputs go there and are kept between runs)
# plus the seeds fuzz/corpus/<name>, BUILD_DIR/fuzz/real-seeds/<name> (cut from the shared data by
# ctest -R fuzz.real_seeds) and the past findings fuzz/crashes/<name> (read only). Crash,
# timeout, leak and out-of-memory inputs are kept in BUILD_DIR/fuzz/findings/<name>/ (copy one to fuzz/crashes/<name>/ as a regression test
# once fixed) and the log in BUILD_DIR/fuzz/logs/<name>.log. libFuzzer stops at a target's first
# finding; leaks inside libhdf5 on corrupt files are suppressed (fuzz/lsan.supp says why).
# Exit status: 0 when nothing was found, 1 when something was, 2 on a usage error.
# Build first (clang):
#   cmake -S . -B build-fuzz -DHNN_FUZZ=ON -DHNN_TESTS=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
#   cmake --build build-fuzz -j2 --target fuzz_all
set -uo pipefail
usage() {
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" 2>/dev/null && pwd)" || {
  echo "$0: no build folder '$1'" >&2
  exit 2
}
seconds="$2"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || usage
shift 2
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$root"/fuzz/fuzz_*.cpp; do
    name="$(basename "$f" .cpp)"
    name="${name#fuzz_}"
    [[ -x "$build/fuzz/fuzz_$name" ]] && targets+=("$name")
  done
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "$0: no libFuzzer targets in $build/fuzz (configure with -DHNN_FUZZ=ON and build fuzz_all)" >&2
  exit 2
fi
for name in "${targets[@]}"; do
  if [[ ! -x "$build/fuzz/fuzz_$name" ]]; then
    echo "$0: $build/fuzz/fuzz_$name is not built (cmake --build $1 --target fuzz_$name)" >&2
    exit 2
  fi
done

# The value of a "stat::KEY: N" line, or of "KEY: N" in the last status line ("#123 DONE cov: ...").
stat() { grep -a "^stat::$2:" "$1" | tail -1 | awk '{print $2}'; }
status() { grep -a -E '^#[0-9]+' "$1" | grep -a " $2: " | tail -1 | sed -E "s/.* $2: ([^ ]+).*/\1/"; }

rows=()
found_any=0
for name in "${targets[@]}"; do
  work="$build/fuzz/work/$name"
  findings="$build/fuzz/findings/$name"
  log="$build/fuzz/logs/$name.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  seeds=()
  for d in "$root/fuzz/corpus/$name" "$build/fuzz/real-seeds/$name" "$root/fuzz/crashes/$name"; do
    [[ -d "$d" && -n "$(ls -A "$d")" ]] && seeds+=("$d")
  done
  before=$(find "$findings" -type f | wc -l)
  echo "fuzz: $name for ${seconds} s (log $log)" >&2
  OMP_NUM_THREADS=1 LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$work" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  after=$(find "$findings" -type f | wc -l)
  new=$((after - before))
  execs="$(stat "$log" number_of_executed_units)"
  rate="$(stat "$log" average_exec_per_sec)"
  cov="$(status "$log" cov)"
  ft="$(status "$log" ft)"
  corp="$(status "$log" corp)"
  if [[ $new -gt 0 || $rc -ne 0 ]]; then
    found_any=1
    what="$new in $findings"
    [[ $rc -ne 0 && $new -eq 0 ]] && what="exit $rc, see $log"
  else
    what="none"
  fi
  rows+=("| $name | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $(find "$work" -type f | wc -l) | $what |")
done

echo
echo "| target | executions | exec/s | cov (edges) | ft (features) | corpus (inputs/bytes) | work files | findings |"
echo "|---|---:|---:|---:|---:|---|---:|---|"
printf '%s\n' "${rows[@]}"
exit $found_any
