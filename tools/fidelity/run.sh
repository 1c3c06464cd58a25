#!/usr/bin/env bash
# Upstream fidelity table: runs eleven specs of the upstream Simple repository (ormastes/simple)
# with `spl test`, unmodified, and prints a Markdown table of passed/failed/skipped per spec
# (docs/fidelity.md explains the figures and how to refresh them).
#
# Not part of CI and not run by `make test`: upstream's files never enter this repository.
# Whoever refreshes the table reads them with the search tools into a scratch folder that
# mirrors upstream's layout (simple/std_lib/src/..., simple/std_lib/test/...).
#
# Usage: tools/fidelity/run.sh FOLDER SPL_BINARY
#   FOLDER      the folder holding upstream's files; each spec runs from there, as upstream's
#               own paths inside the specs (file_io_spec) are relative to that root
#   SPL_BINARY  the spl to measure (e.g. build/spl/spl)
# Environment: FIDELITY_TIMEOUT seconds per spec (default 60).
# It does not fetch anything, change the folder, or judge why an example fails.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 FOLDER SPL_BINARY" >&2
  exit 2
fi
folder=$1
spl=$2
[ -d "$folder" ] || { echo "$0: '$folder' is not a folder" >&2; exit 2; }
case "$spl" in /*) ;; *) spl="$PWD/$spl" ;; esac
[ -x "$spl" ] || { echo "$0: '$spl' is not an executable" >&2; exit 2; }
timeout_s=${FIDELITY_TIMEOUT:-60}

specs=(
  simple/std_lib/test/unit/cli_spec.spl
  simple/std_lib/test/unit/file/file_io_spec.spl
  simple/std_lib/test/unit/core/try_operator_spec.spl
  simple/std_lib/test/unit/core/string_spec.spl
  simple/std_lib/test/unit/core/collections_spec.spl
  simple/std_lib/test/unit/core/string_literals_spec.spl
  simple/std_lib/test/unit/core/arithmetic_spec.spl
  simple/std_lib/test/unit/core/comparison_spec.spl
  simple/std_lib/test/unit/core/primitives_spec.spl
  simple/std_lib/test/unit/core/pattern_matching_spec.spl
  simple/std_lib/test/unit/core/decorators_spec.spl
)

echo "| spec | passed | failed | skipped | status |"
echo "|---|---:|---:|---:|---|"
for rel in "${specs[@]}"; do
  name=$(basename "$rel" .spl)
  if [ ! -f "$folder/$rel" ]; then
    echo "| $name | | | | missing from the folder |"
    continue
  fi
  out=$(cd "$folder" && timeout "$timeout_s" "$spl" test "$rel" 2>&1)
  rc=$?
  # The summary is the last line "N passed, M failed" or "N passed, M failed, K skipped".
  summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' | tail -n 1)
  if [ "$rc" = 124 ]; then
    echo "| $name | | | | timeout after ${timeout_s}s |"
  elif printf '%s\n' "$out" | grep -q 'could not be loaded$'; then
    echo "| $name | | | | load error |"
  elif [ -z "$summary" ]; then
    echo "| $name | | | | no summary (exit $rc) |"
  else
    read -r passed failed skipped <<<"$(printf '%s\n' "$summary" |
      sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/')"
    status=ok
    [ "$failed" != 0 ] && status="failures"
    echo "| $name | $passed | $failed | ${skipped:--} | $status |"
  fi
done
