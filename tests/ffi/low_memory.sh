#!/usr/bin/env bash
# Process-level check that the C ABI never lets a C++ exception abort its host when memory,
# address space or mappings run out (issue: spl_submit used to let std::system_error escape
# when the loader's threads could not be created). Runs low_memory_test, a C program linking
# the library, under `ulimit -v` and in its as-limit and maps modes (see low_memory_test.c).
# Skipped (exit 77) in sanitizer builds: ASan and TSan reserve terabytes of address space and
# abort themselves when mmap fails, so these limits cannot apply there.
# Usage: low_memory.sh LOW_MEMORY_TEST [sanitized]
set -u
bin=$1
if [ "${2:-}" = sanitized ]; then
  echo "SKIP: sanitizer builds cannot run under address-space or mapping limits"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'hello\n' > "$tmp/small.txt"
(set +o pipefail; yes 'a line of text for the mapped file' | head -c $((2 << 20)) > "$tmp/big.txt")
fail=0

# Under ulimit -v the program must end normally (0) or, when the limit is too low for the
# dynamic loader to even start it, fail before main; never die of a signal (abort = 134).
for kb in 30000 20000 12000; do
  out=$( (ulimit -v "$kb"; exec "$bin" any "$tmp/big.txt") 2>&1)
  rc=$?
  echo "ulimit -v $kb: exit $rc"
  echo "$out" | sed 's/^/  /'
  if [ "$rc" -ge 128 ]; then
    echo "FAIL: killed by signal $((rc - 128)) under ulimit -v $kb"
    fail=1
  elif [ "$kb" = 30000 ] && [ "$rc" != 0 ]; then
    echo "FAIL: exit $rc under ulimit -v 30000"
    fail=1
  fi
done

for mode in as-limit maps; do
  "$bin" "$mode" "$tmp/big.txt"
  rc=$?
  if [ "$rc" = 77 ]; then
    echo "$mode: skipped"
  elif [ "$rc" != 0 ]; then
    echo "FAIL: $mode exited $rc"
    fail=1
  fi
done
exit $fail
