#!/usr/bin/env bash
# Interpreter benchmarks: each program in Simple (spl) and Python (Debian's CPython), run in
# pairs (spl then python, RUNS times); prints the median wall time of each, the median of the
# per-pair ratios spl/python (below 1.0: spl is faster) and the peak resident memory of each.
# The programs are sized so that CPython needs at least 0.3 s; hello is the start-up row.
# usage: tools/bench/interp/run.sh [path/to/spl]   (default: build/spl/spl)
#        BENCHES="fib loop" RUNS=11 tools/bench/interp/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spl=${1:-$here/../../../build/spl/spl}
# Distribution CPython, never a shim first on PATH (a pyenv build had quadratic += on text).
py=${PYTHON:-/usr/bin/python3}
runs=${RUNS:-7}
benches=${BENCHES:-fib loop objects closures strings words text hello}
[ -x "$spl" ] || { echo "spl binary not found: $spl (pass its path)"; exit 2; }
[ -x "$py" ] || { echo "python not found: $py (set PYTHON)"; exit 2; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# One run: "<seconds> <peak KiB>" (peak RSS from wait4 via /usr/bin/time when present).
run_one() {
  local s e kb=0 out
  if [ -x /usr/bin/time ]; then
    out=$(mktemp)
    s=$(date +%s.%N)
    /usr/bin/time -f %M -o "$out" "$@" >/dev/null
    e=$(date +%s.%N)
    kb=$(tail -1 "$out")
    rm -f "$out"
  else
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
  fi
  echo "$(echo "$e - $s" | bc -l) $kb"
}

printf "%-10s %10s %10s %8s %12s %12s\n" benchmark "spl (s)" "python (s)" ratio "spl peak" "python peak"
for name in $benches; do
  # outputs must agree
  a=$("$spl" run "$here/$name.spl"); b=$("$py" "$here/$name.py")
  if [ "$a" != "$b" ]; then echo "$name: outputs differ: spl='$a' python='$b'"; exit 1; fi
  ts=(); tp=(); ratios=(); ks=0; kp=0
  for _ in $(seq "$runs"); do
    read -r t k < <(run_one "$spl" run "$here/$name.spl")
    ts+=("$t"); [ "$k" -gt "$ks" ] && ks=$k
    read -r u m < <(run_one "$py" "$here/$name.py")
    tp+=("$u"); [ "$m" -gt "$kp" ] && kp=$m
    ratios+=("$(echo "$t / $u" | bc -l)")
  done
  ms=$(printf "%s\n" "${ts[@]}" | median)
  mp=$(printf "%s\n" "${tp[@]}" | median)
  mr=$(printf "%s\n" "${ratios[@]}" | median)
  printf "%-10s %10.3f %10.3f %8.3f %9.1f MB %9.1f MB\n" "$name" "$ms" "$mp" "$mr" \
    "$(echo "$ks / 1024" | bc -l)" "$(echo "$kp / 1024" | bc -l)"
done
