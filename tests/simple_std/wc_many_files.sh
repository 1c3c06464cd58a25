#!/usr/bin/env bash
# examples/wc.spl over many files: the same output as GNU wc -l, and memory bounded by the
# loading window rather than by the data: 400 files of 256 KiB (100 MiB in all) stay under
# 48 MiB of peak RSS, and 20,000 small files cost little more than 2,000 do (a few hundred
# bytes per file at most: the name, the counts). Sizes are checked only in plain builds
# (sanitizers multiply memory use). Usage: wc_many_files.sh SPL REPO_DIR plain|sanitized
set -u
spl=$(realpath "$1") repo=$(realpath "$2") mode=${3:-plain}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
python3 - <<'PY'
import os
os.makedirs('big'); os.makedirs('tiny')
line = b'some words on a line of text 0123456789\n'
big = (line * 7000)[:262144]
for i in range(400):
    open(f'big/b{i:04d}', 'wb').write(big)
for i in range(20000):
    open(f'tiny/t{i:05d}', 'wb').write(line * (1 + i % 3))
PY
fail=0
# Runs wc.spl -l on the files matching GLOB; compares with GNU wc -l; prints peak RSS in KiB.
run() {  # GLOB
  python3 - "$spl" "$repo/examples/wc.spl" "$1" <<'PY'
import glob, resource, subprocess, sys
spl, wc_spl, pattern = sys.argv[1:4]
files = sorted(glob.glob(pattern))
got = subprocess.run([spl, 'run', wc_spl, '-l'] + files, capture_output=True)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
want = subprocess.run(['wc', '-l'] + files, capture_output=True, env={'LC_ALL': 'C.UTF-8'})
if got.stdout != want.stdout or got.stderr != want.stderr or got.returncode != want.returncode:
    print(f'MISMATCH with GNU wc -l on {pattern} ({len(files)} files)', file=sys.stderr)
    print(got.stderr.decode()[:2000], file=sys.stderr)
    sys.exit(1)
print(rss)
PY
}
big=$(run 'big/*') || fail=1
few=$(run 'tiny/t0[01]*') || fail=1
all=$(run 'tiny/*') || fail=1
echo "peak RSS: 400 x 256 KiB: ${big} KiB; 2,000 small files: ${few} KiB; 20,000: ${all} KiB"
if [ "$mode" = plain ] && [ $fail = 0 ]; then
  [ "$big" -lt $((48 * 1024)) ] || { echo "100 MiB of files took ${big} KiB (limit 48 MiB)"; fail=1; }
  grow=$((all - few))
  [ "$grow" -lt $((8 * 1024)) ] || { echo "18,000 more files took ${grow} KiB more (limit 8 MiB)"; fail=1; }
fi
[ $fail = 0 ] && echo "wc.spl over many files: same as GNU wc -l, memory bounded"
exit $fail
