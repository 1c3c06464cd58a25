#!/usr/bin/env bash
# tools/check_test_count: passes at or above the floor, fails below it, without a summary line
# and for an unknown run name. Usage: check_test_count_test.sh SOURCE_DIR
set -u
check="$1/tools/check_test_count"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '# comment\nmake-test 10\n' >"$tmp/floor"
fail=0
expect() {  # expect STATUS MESSAGE_PART LOG_TEXT RUN
  printf '%s\n' "$3" >"$tmp/log"
  "$check" "$tmp/log" "$tmp/floor" "$4" >"$tmp/out" 2>&1
  local st=$?
  if [ "$st" != "$1" ] || ! grep -qF -- "$2" "$tmp/out"; then
    echo "FAIL: log '$3' run $4: status $st (want $1), output:"; cat "$tmp/out"; fail=1
  fi
}
expect 0 "ran 12 tests (floor 10)" "100% tests passed, 0 tests failed out of 12" make-test
expect 0 "ran 10 tests (floor 10)" "90% tests passed, 1 tests failed out of 10" make-test
expect 1 "ran 9 tests, below the floor of 10" "100% tests passed, 0 tests failed out of 9" make-test
expect 1 "no ctest summary line" "No tests were found!!!" make-test
expect 2 "no floor for run 'make-test-asan'" "100% tests passed, 0 tests failed out of 12" make-test-asan
# The repository's own floor file names every run .ci/run checks.
for run in make-test make-test-asan make-test-tsan; do
  grep -qE "^$run [0-9]+$" "$1/tests/min_test_count" || { echo "FAIL: tests/min_test_count lacks $run"; fail=1; }
done
exit $fail
