#!/usr/bin/env bash
# Line-loop benchmarks (issue 9, goal 1): `for line in region.lines()` in Simple against
# `for line in open(p)` in Debian's CPython, over the same generated file of ~100 MiB
# (bench-data/lines100.txt, made by gen.py when missing, kept between runs). Runs each program
# pair RUNS times (spl then python), checks that the outputs agree, and prints the median wall
# time of each, the median of the per-pair ratios spl/python and the peak resident memory.
# usage: tools/bench/lines/run.sh [path/to/spl]   (default: build/spl/spl)
#        BENCHES="contains" RUNS=11 tools/bench/lines/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
spl=${1:-$repo/build/spl/spl}
py=${PYTHON:-/usr/bin/python3}
runs=${RUNS:-7}
benches=${BENCHES:-contains words}
data=${LINES_DATA:-$repo/bench-data/lines100.txt}
[ -x "$spl" ] || { echo "spl binary not found: $spl (pass its path)"; exit 2; }
[ -x "$py" ] || { echo "python not found: $py (set PYTHON)"; exit 2; }
if [ ! -f "$data" ]; then
  mkdir -p "$(dirname "$data")"
  "$py" "$here/gen.py" "$data" 100
fi
cat "$data" > /dev/null  # warm

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
run_one() {  # "<seconds> <peak KiB>"
  local s e out
  out=$(mktemp)
  s=$(date +%s.%N)
  /usr/bin/time -f %M -o "$out" "$@" > /dev/null
  e=$(date +%s.%N)
  echo "$(echo "$e - $s" | bc -l) $(tail -1 "$out")"
  rm -f "$out"
}

echo "data: $data ($(wc -l < "$data") lines, $(stat -c %s "$data") bytes)"
printf "%-10s %10s %10s %8s %12s %12s\n" benchmark "spl (s)" "python (s)" ratio "spl peak" "python peak"
for name in $benches; do
  a=$("$spl" run "$here/$name.spl" "$data"); b=$("$py" "$here/$name.py" "$data")
  if [ "$a" != "$b" ]; then echo "$name: outputs differ: spl='$a' python='$b'"; exit 1; fi
  ts=(); tp=(); ratios=(); ks=0; kp=0
  for _ in $(seq "$runs"); do
    read -r t k < <(run_one "$spl" run "$here/$name.spl" "$data")
    ts+=("$t"); [ "$k" -gt "$ks" ] && ks=$k
    read -r u m < <(run_one "$py" "$here/$name.py" "$data")
    tp+=("$u"); [ "$m" -gt "$kp" ] && kp=$m
    ratios+=("$(echo "$t / $u" | bc -l)")
  done
  printf "%-10s %10.3f %10.3f %8.3f %9.1f MB %9.1f MB\n" "$name" \
    "$(printf "%s\n" "${ts[@]}" | median)" "$(printf "%s\n" "${tp[@]}" | median)" \
    "$(printf "%s\n" "${ratios[@]}" | median)" "$(echo "$ks / 1024" | bc -l)" "$(echo "$kp / 1024" | bc -l)"
done
