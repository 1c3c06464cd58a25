#!/usr/bin/env bash
# file.remove never follows a symlink out of the tree, not even one swapped in for a
# directory at the moment it is opened (the race of CVE-2022-21658): swap_on_open.so, loaded
# with LD_PRELOAD, turns every directory named "swapme" into a symlink to an outside folder
# right before the process opens it. The outside files must survive, the tree must be gone.
# Also a symlink planted in the tree beforehand, pointing outside.
# Usage: remove_tree_swap.sh SPL SWAP_ON_OPEN_SO
set -u
spl=$1 shim=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
outside="$tmp/outside"
mkdir -p "$outside/sub" "$tmp/park"
for i in 1 2 3; do echo precious > "$outside/keep$i.txt"; done
echo precious > "$outside/sub/deep.txt"
tree="$tmp/tree"
mkdir -p "$tree/a/swapme/inner" "$tree/b/c/swapme" "$tree/planted_dir"
echo x > "$tree/a/swapme/f.txt"
echo x > "$tree/a/swapme/inner/g.txt"
echo x > "$tree/b/c/swapme/h.txt"
echo x > "$tree/b/file.txt"
ln -s "$outside" "$tree/planted_link"
ln -s "$outside/keep1.txt" "$tree/planted_dir/file_link"

cat > "$tmp/remove.spl" <<'SPL'
use file
fn main():
    match file.remove(sys_get_args()[1]):
        case Ok(_): print("removed")
        case Err(e): print("error: {e.message()}")
SPL
# ASan must come first in the library list; the shim is fine after it.
out=$(SPL_SWAP_TARGET="$outside" SPL_SWAP_PARK="$tmp/park" LD_PRELOAD="$shim" \
      ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
      "$spl" run "$tmp/remove.spl" "$tree" 2>"$tmp/err")
cat "$tmp/err"
echo "$out"
fail=0
swaps=$(grep -c 'is now a symlink' "$tmp/err")
if [ "$swaps" -lt 2 ]; then
  echo "FAIL: the shim swapped $swaps directories (expected both swapme folders)"
  fail=1
fi
[ "$out" = removed ] || { echo "FAIL: remove did not succeed"; fail=1; }
[ -e "$tree" ] && { echo "FAIL: the tree is still there"; ls -laR "$tree"; fail=1; }
for f in keep1.txt keep2.txt keep3.txt sub/deep.txt; do
  [ -f "$outside/$f" ] || { echo "FAIL: $outside/$f was deleted through a symlink"; fail=1; }
done
[ "$fail" = 0 ] && echo "outside folder intact, tree removed, $swaps swaps"
exit $fail
