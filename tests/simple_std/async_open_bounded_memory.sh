#!/usr/bin/env bash
# `async with await file.open(p)` one file after another, 3,000 cached small files ten times
# over (30,000 loads), in a program that never has to wait (each load is done at once on the
# calling thread): its memory must stay flat. It once grew by about 1 KiB per load, because
# every such load was also queued as a completion for the event loop, which such a program
# never runs. Prints the resident size after the first round and after the last.
# Usage: async_open_bounded_memory.sh SPL REPO_DIR plain|sanitized
set -u
spl=$1 repo=$2 mode=${3:-plain}
allow_kib=4096
if [ "$mode" = sanitized ]; then
  # ASan keeps freed memory quarantined (256 MiB by default): that is its memory, not ours.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
  allow_kib=8192
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/files"
python3 - "$tmp/files" <<'PY'
import sys
for i in range(3000):
    with open(f"{sys.argv[1]}/f{i:04d}.txt", "w") as f:
        f.write("a line\n" * 100)
PY
cat > "$tmp/loop.spl" <<'SPL'
use file

fn rss_kib() -> i64:
    val s = file.open_sync("/proc/self/status").unwrap().as_str().unwrap()
    for line in s.split("\n"):
        if line.starts_with("VmRSS:"):
            return line[6..].trim().split(" ")[0].parse_int().unwrap()
    -1

async fn main():
    val paths = sys_get_args()[1..]
    var lines = 0
    var first = 0
    var round = 0
    while round < 10:
        for p in paths:
            async with await file.open(p) as r:
                lines = lines + r.count_lines()
        if round == 0:
            first = rss_kib()
        round += 1
    print(lines, first, rss_kib())
SPL
out=$(SPL_STDLIB_PATH="$repo/simple_std" "$spl" run "$tmp/loop.spl" "$tmp"/files/*.txt) || {
  echo "the program failed: $out"
  exit 1
}
read -r lines first last <<< "$out"
echo "lines $lines; resident after round 1: $first KiB, after round 10: $last KiB"
[ "$lines" = 3000000 ] || { echo "wrong line count: $lines (want 3000000)"; exit 1; }
# 27,000 loads after the first round: 1 KiB each would be 27 MiB; allow a few MiB of noise.
if [ $((last - first)) -gt $allow_kib ]; then
  echo "memory grew by $((last - first)) KiB over 27,000 loads"
  exit 1
fi
