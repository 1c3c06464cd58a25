#!/usr/bin/env bash
# The libFuzzer targets of spl/fuzz keep building and running: configures spl/ with clang and
# SPL_FUZZ=ON in BUILD_DIR (kept between runs, so a rebuild is incremental), builds
# spl_fuzz_parser and spl_fuzz_run, and runs each over the seed corpus and the golden programs
# and then for a few thousand generated inputs. A crash, a sanitizer report or a leak fails the
# test. This is a smoke run; the 10-minute runs are described in docs/interpreter.md
# ("Fuzzing"). clang compiles the interpreter here too, so a construct GCC accepts and clang
# rejects (e.g. a computed goto that leaves a scope with a destructor) fails this test.
# Usage: fuzz_targets.sh SOURCE_DIR BUILD_DIR. Exit 77 (skipped) without clang.
set -u
src=$1
build=$2
if ! command -v clang++ >/dev/null 2>&1; then
  echo "SKIPPED: clang++ is not installed (tools/bootstrap installs it)"
  exit 77
fi
if ! CC=clang CXX=clang++ cmake -S "$src/spl" -B "$build" -G Ninja -DSPL_FUZZ=ON \
    >"$build.configure.log" 2>&1; then
  cat "$build.configure.log"
  echo "FAIL: configuring the fuzz targets"
  exit 1
fi
if ! cmake --build "$build" -j "${JOBS:-2}" --target spl_fuzz_parser spl_fuzz_run; then
  echo "FAIL: building the fuzz targets with clang"
  exit 1
fi
fail=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in spl_fuzz_parser spl_fuzz_run; do
  mkdir -p "$scratch/$target"
  # The seeds and goldens first (every one is run), then generated inputs up to -runs.
  if "$build/$target" -runs=3000 -max_total_time=120 -timeout=30 -close_fd_mask=3 \
      -artifact_prefix="$scratch/" "$scratch/$target" "$src/spl/fuzz/corpus" \
      "$src/tests/spl/programs" >"$scratch/$target.log" 2>&1; then
    echo "ok: $target: $(grep -E '^Done [0-9]+ runs' "$scratch/$target.log")"
  else
    tail -40 "$scratch/$target.log"
    echo "FAIL: $target found a failing input"
    fail=1
  fi
done
exit $fail
