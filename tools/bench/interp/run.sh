#!/usr/bin/env bash
# Interpreter benchmarks: each program in Simple (spl) and Python (CPython), median wall time
# of 5 runs each, interleaved, and the ratio spl/python (below 1.0 means spl is faster).
# usage: tools/bench/interp/run.sh [path/to/spl]   (default: build/spl/spl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spl=${1:-$here/../../../build/spl/spl}
# Distribution CPython by default (a pyenv build on the dev box had quadratic += on text).
py=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
runs=${RUNS:-5}
[ -x "$spl" ] || { echo "spl binary not found: $spl (pass its path)"; exit 2; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
time_one() {  # prints seconds
  local s e
  s=$(now); "$@" >/dev/null; e=$(now)
  echo "$e - $s" | bc -l
}

printf "%-10s %12s %12s %8s\n" benchmark "spl (s)" "python (s)" ratio
for name in fib loop strings methods words hello; do
  # outputs must agree
  a=$("$spl" run "$here/$name.spl"); b=$("$py" "$here/$name.py")
  if [ "$a" != "$b" ]; then echo "$name: outputs differ: spl='$a' python='$b'"; exit 1; fi
  ts=(); tp=()
  for _ in $(seq "$runs"); do
    ts+=("$(time_one "$spl" run "$here/$name.spl")")
    tp+=("$(time_one "$py" "$here/$name.py")")
  done
  ms=$(printf "%s\n" "${ts[@]}" | median)
  mp=$(printf "%s\n" "${tp[@]}" | median)
  printf "%-10s %12.4f %12.4f %8.2f\n" "$name" "$ms" "$mp" "$(echo "$ms / $mp" | bc -l)"
done
