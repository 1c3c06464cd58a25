#!/usr/bin/env bash
# Runs a test program with TMPDIR pointing at an empty scratch folder and fails if the program
# fails or leaves anything in it (temporary files or folders it did not remove).
# Usage: no_temp_leftovers.sh PROGRAM [ARGS...]
set -u
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
log="$scratch.log"
TMPDIR="$scratch" "$@" >"$log" 2>&1
status=$?
left=$(cd "$scratch" && ls -A)
if [ "$status" -ne 0 ]; then
  cat "$log"
  echo "FAIL: $* exited with status $status"
fi
if [ -n "$left" ]; then
  echo "FAIL: $* left these in \$TMPDIR:"
  (cd "$scratch" && ls -lA)
fi
rm -f "$log"
[ "$status" -eq 0 ] && [ -z "$left" ]
