#!/usr/bin/env bash
# A file five times bigger than a memory cgroup's limit, out of the page cache, counted by
# examples/wc.spl -l and searched by examples/grep.spl inside that cgroup: both finish with
# GNU's answers and are never OOM-killed (one-pass scans drop what they have read, and the
# background prefault stays within a quarter of the limit). Needs a writable memory cgroup
# (root; v1 nested under this process's own memory cgroup, or v2 under the root of the
# unified hierarchy): elsewhere it is skipped (status 77) with a message saying why.
# Usage: cgroup_scan.sh SPL REPO_DIR plain|sanitized
set -u
spl=$(realpath "$1") repo=$(realpath "$2") mode=${3:-plain}
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: cannot create a memory cgroup"
limit_mib=128
[ "$mode" = sanitized ] && limit_mib=384  # the sanitizers' own memory needs room too
file_mib=$((limit_mib * 5))
cg=""
version=""
own=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup | head -1 | cut -d: -f3)
if [ -n "$own" ] && [ -d "/sys/fs/cgroup/memory$own" ]; then
  cg="/sys/fs/cgroup/memory$own/spl_test_$$"
  version=1
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  cg="/sys/fs/cgroup/spl_test_$$"
  version=2
  grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
    echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
    skip "cannot enable the memory controller for child cgroups"
else
  skip "no memory cgroup hierarchy here"
fi
mkdir "$cg" 2>/dev/null || skip "cannot create $cg (cgroups not writable)"
tmp=$(mktemp -d)
trap 'rmdir "$cg" 2>/dev/null; rm -rf "$tmp"' EXIT
if [ $version = 1 ]; then
  echo $((limit_mib * 1048576)) > "$cg/memory.limit_in_bytes" || skip "cannot set a limit"
else
  echo $((limit_mib * 1048576)) > "$cg/memory.max" || skip "cannot set a limit"
fi
(set +o pipefail; yes 'a line of text, some words, and a needle now and then: 0123456789' |
  head -c $((file_mib * 1048576)) > "$tmp/big.txt")
printf 'the last needle\n' >> "$tmp/big.txt"
# Out of the page cache (this file only), so the scans read it from the disk.
python3 -c "
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)" "$tmp/big.txt"
fail=0
# Runs a command inside the cgroup; its stdout to $tmp/out, stderr to $tmp/err.
in_cgroup() {
  bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@" > "$tmp/out" 2> "$tmp/err"
}
oom_kills() {
  if [ $version = 1 ]; then
    sed -n 's/^oom_kill //p' "$cg/memory.oom_control"
  else
    sed -n 's/^oom_kill //p' "$cg/memory.events"
  fi
}
in_cgroup "$spl" run "$repo/examples/wc.spl" -l "$tmp/big.txt"
code=$?
want=$(LC_ALL=C.UTF-8 wc -l "$tmp/big.txt")
if [ $code != 0 ] || [ "$(cat "$tmp/out")" != "$want" ]; then
  echo "wc.spl -l in a ${limit_mib} MiB cgroup: status $code, '$(cat "$tmp/out")' (want '$want'): $(head -c 300 "$tmp/err")"
  fail=1
fi
python3 -c "
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)" "$tmp/big.txt"
in_cgroup "$spl" run "$repo/examples/grep.spl" -c 'the last needle' "$tmp/big.txt"
code=$?
if [ $code != 0 ] || [ "$(cat "$tmp/out")" != 1 ]; then
  echo "grep.spl -c in a ${limit_mib} MiB cgroup: status $code, '$(cat "$tmp/out")': $(head -c 300 "$tmp/err")"
  fail=1
fi
kills=$(oom_kills)
# The scans stayed below the limit: it was never hit (so nothing had to be reclaimed).
if [ $version = 1 ]; then
  hits=$(cat "$cg/memory.failcnt")
  peak=$(( $(cat "$cg/memory.max_usage_in_bytes") / 1048576 ))
else
  hits=$(sed -n 's/^max //p' "$cg/memory.events")
  peak=$(( $(cat "$cg/memory.peak" 2>/dev/null || echo 0) / 1048576 ))
fi
echo "peak ${peak} MiB of ${limit_mib} MiB; limit hit ${hits:-0} times"
if [ "${hits:-0}" != 0 ]; then
  echo "the scans pressed against the limit ${hits} times"
  fail=1
fi
if [ "${kills:-0}" != 0 ]; then
  echo "OOM kills in the cgroup: $kills"
  fail=1
fi
[ $fail = 0 ] && echo "a ${file_mib} MiB file through a ${limit_mib} MiB cgroup (v$version): right counts, no OOM kill"
exit $fail
