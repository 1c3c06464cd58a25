#!/usr/bin/env bash
# file.write_text / write_bytes on a full disk: mounts a small tmpfs (needs root), fills it,
# and checks that a write that does not fit fails with a message naming the path and the
# cause while the old file stays exactly as it was and no temporary file is left behind.
# Skipped (exit 77) where mounting is not permitted (not root, or no CAP_SYS_ADMIN).
# Usage: atomic_write.sh SPL
set -u
spl=$1
tmp=$(mktemp -d)
mnt="$tmp/mnt"
mkdir "$mnt"
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=256k,mode=0755 spl-atomic-write "$mnt" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"
  exit 77
fi
cat > "$tmp/fill.spl" <<'SPL'
# Writes the old file, then tries contents that cannot fit next to it; prints what happened.
use file
fn main():
    val dir = sys_get_args()[1]
    val p = "{dir}/data.txt"
    val old = "old line of text\n" * 5000
    file.write_text(p, old).unwrap()
    file.chmod(p, 0o640).unwrap()
    match file.write_text(p, "new line of text, longer\n" * 12000):
        case Ok(_): print("write_text: succeeded (it should not fit)")
        case Err(e): print("write_text: {e.message()}")
    var bytes = []
    for i in 0..200000:
        bytes.push(i % 256)
    match file.write_bytes(p, bytes):
        case Ok(_): print("write_bytes: succeeded (it should not fit)")
        case Err(e): print("write_bytes: {e.message()}")
    with file.open_sync(p) as r:
        print("intact: {r.as_str().unwrap() == old}")
    # A write that fits still replaces the file.
    match file.write_text("{dir}/small.txt", "fits\n"):
        case Ok(_): print("small: ok")
        case Err(e): print("small: {e.message()}")
SPL
fail=0
out=$("$spl" run "$tmp/fill.spl" "$mnt" 2>&1)
echo "$out"
expect() {  # LINE
  if ! grep -qxF "$1" <<<"$out"; then
    echo "FAIL: expected the line: $1"
    fail=1
  fi
}
expect "write_text: I/O error: $mnt/data.txt (No space left on device)"
expect "write_bytes: I/O error: $mnt/data.txt (No space left on device)"
expect "intact: true"
expect "small: ok"
left=$(cd "$mnt" && ls -A | tr '\n' ' ')
if [ "$left" != "data.txt small.txt " ]; then
  echo "FAIL: files left on the file system: $left"
  fail=1
fi
mode=$(stat -c %a "$mnt/data.txt")
if [ "$mode" != 640 ]; then
  echo "FAIL: data.txt mode is $mode, not 640"
  fail=1
fi
exit $fail
