#!/usr/bin/env bash
# Runs one std_lib example the way a user would and compares it with its golden files:
#   run_example.sh SPL EXAMPLE.spl CASE
# CASE.args holds the arguments (paths relative to tests/simple_std; @BIG@ stands for a
# generated 64 MiB text file, large enough that its load is usually still running when the
# program first looks), CASE.out the expected stdout, CASE.err the expected stderr (empty
# when missing), CASE.code the expected exit status (0 when missing). Where the output
# depends on whether a background load had finished yet, CASE.out.N files list the other
# accepted outputs.
set -u
spl=$1 example=$2 case=$3
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
if [ -f "examples/$case.args" ]; then
  read -r -a args < "examples/$case.args"
fi
for i in "${!args[@]}"; do
  if [ "${args[$i]}" = "@BIG@" ]; then
    (set +o pipefail; yes "the quick brown fox jumps over the lazy dog 0123456789" | head -c 67108864 > "$tmp/big.txt")
    args[$i]="$tmp/big.txt"
  fi
done
"$spl" run "$example" "${args[@]}" > "$tmp/out" 2> "$tmp/err"
code=$?
sed -i "s|$tmp/big.txt|@BIG@|g" "$tmp/out" "$tmp/err"
want_code=0
[ -f "examples/$case.code" ] && want_code=$(cat "examples/$case.code")
fail=0
matched=0
for want in "examples/$case.out" "examples/$case.out".*; do
  [ -f "$want" ] && cmp -s "$want" "$tmp/out" && matched=1
done
[ $matched = 1 ] || { diff -u "examples/$case.out" "$tmp/out"; fail=1; }
if [ -f "examples/$case.err" ]; then
  diff -u "examples/$case.err" "$tmp/err" || fail=1
elif [ -s "$tmp/err" ]; then
  echo "unexpected stderr:"; cat "$tmp/err"; fail=1
fi
[ "$code" = "$want_code" ] || { echo "exit status $code, expected $want_code"; fail=1; }
exit $fail
