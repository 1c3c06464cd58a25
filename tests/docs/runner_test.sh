#!/usr/bin/env bash
# tools/check_doc_snippets can fail: a doc whose shown output differs, one whose exit status
# differs, one with a runnable block lacking its output block, and docs with fewer runnable
# snippets than required. Usage: runner_test.sh SOURCE_DIR SPL
set -u
src=$1 spl=$2
check="$src/tools/check_doc_snippets"
here="$src/tests/docs"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
expect() {  # expect STATUS TEXT ARGS...
  local want=$1 text=$2
  shift 2
  "$check" --spl "$spl" "$@" >"$out" 2>&1
  local st=$?
  if [ "$st" != "$want" ] || ! grep -qF -- "$text" "$out"; then
    echo "FAIL: check_doc_snippets $*: status $st (want $want), wanted '$text' in:"; cat "$out"; fail=1
  else
    echo "ok: $* -> $st"
  fi
}
expect 1 "+2" "$here/drift.md"
expect 1 "exit status 1, the doc says 0" "$here/wrong_exit.md"
expect 2 "must be its 'output' block" "$here/missing_output.md"
printf '# no snippets here\n' >"$out.md"
expect 2 "found 0 runnable snippets" "$out.md"
rm -f "$out.md"
exit $fail
