#!/usr/bin/env bash
# Runs one golden program: `spl run NAME.spl [args from NAME.args]` inside the program's
# folder, then compares stdout with NAME.out, stderr with NAME.err (empty when missing) and
# the exit status with NAME.code (0 when missing). Prints a diff on mismatch.
set -u
spl="$1"
prog="$2"
dir=$(dirname "$prog")
name=$(basename "$prog" .spl)
cd "$dir" || exit 2
args=()
[ -f "$name.args" ] && read -r -a args < "$name.args"
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cmd=run
[ -f "$name.cmd" ] && cmd=$(cat "$name.cmd")
"$spl" $cmd "$name.spl" "${args[@]}" >"$out" 2>"$err"
code=$?
want_code=0
[ -f "$name.code" ] && want_code=$(cat "$name.code")
# Frame counts of elided stack traces depend on the stack size (sanitizer builds differ).
sed -i -E 's/[0-9]+ more frames/N more frames/' "$out" "$err"
# The std_lib folder depends on where the checkout lives.
sed -i -E 's#the std_lib folder [^)]*\)#the std_lib folder STDLIB)#' "$err"
# ASan's one-time notice about swapcontext (our fibers are annotated) is not program output.
sed -i -E "/^==[0-9]+==WARNING: ASan doesn't fully support makecontext/d" "$err"
fail=0
if ! diff -u "$name.out" "$out" >/dev/null 2>&1; then
  if [ -f "$name.out" ] || [ -s "$out" ]; then
    echo "--- stdout differs:"; diff -u "${name}.out" "$out" 2>/dev/null || cat "$out"; fail=1
  fi
fi
if [ -f "$name.err" ]; then
  diff -u "$name.err" "$err" >/dev/null || { echo "--- stderr differs:"; diff -u "$name.err" "$err"; fail=1; }
elif [ -s "$err" ]; then
  echo "--- unexpected stderr:"; cat "$err"; fail=1
fi
if [ "$code" != "$want_code" ]; then
  echo "--- exit status $code, expected $want_code"; fail=1
fi
exit $fail
