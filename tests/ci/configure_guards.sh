#!/usr/bin/env bash
# A suite that cannot be registered must stop the configure with a message naming the cause,
# and `make test` on a build dir configured with SPL_BUILD_TESTS=OFF must fail instead of
# running zero tests. Each case configures a scratch copy of the source tree with one part
# removed (configure only: nothing is compiled). Usage: configure_guards.sh SOURCE_DIR
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

fresh_copy() {  # fresh_copy NAME: a copy of the tracked and new files of the source tree
  local dst="$tmp/$1"
  mkdir -p "$dst"
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dst" 2>/dev/null)
  else
    tar -C "$src" --exclude='./build*' --exclude=./.git --exclude=./demo-data \
        --exclude=./bench-data -cf - . | tar -C "$dst" -xf -
  fi
  echo "$dst"
}

configure() {  # configure DIR [cmake args...]: prints cmake's output, returns its status
  local dir=$1
  shift
  cmake -S "$dir" -B "$dir/build" -G Ninja "$@" >"$dir/configure.log" 2>&1
}

expect_configure_error() {  # expect_configure_error CASE MESSAGE_PART DIR [cmake args...]
  local name=$1 want=$2 dir=$3
  shift 3
  if configure "$dir" "$@"; then
    echo "FAIL ($name): configure succeeded"; fail=1
  elif ! tr -s ' \n' ' ' <"$dir/configure.log" | grep -qF -- "$want"; then
    echo "FAIL ($name): configure failed without naming the cause ('$want'):"
    cat "$dir/configure.log"; fail=1
  else
    echo "ok ($name)"
  fi
}

# The untouched copy configures: the failures below come from the removed parts.
d=$(fresh_copy base)
if configure "$d"; then echo "ok (untouched tree configures)"; else
  echo "FAIL: the untouched copy does not configure:"; cat "$d/configure.log"; fail=1
fi

d=$(fresh_copy no_scan_test)
rm "$d/tests/runtime/scan_test.cc"
expect_configure_error "runtime suite source missing" "tests/runtime/scan_test.cc is missing" "$d"

d=$(fresh_copy no_spl_specs)
rm "$d"/tests/spl/specs/*_spec.spl
expect_configure_error "no interpreter specs" "no files match tests/spl/specs/*_spec.spl" "$d"

d=$(fresh_copy no_golden)
rm "$d"/tests/spl/programs/*.spl
expect_configure_error "no golden programs" "no files match tests/spl/programs/*.spl" "$d"

d=$(fresh_copy no_std_specs)
rm "$d"/tests/simple_std/*_spec.spl
expect_configure_error "no std_lib specs" "no files match tests/simple_std/*_spec.spl" "$d"

d=$(fresh_copy no_spl_target)
rm "$d/spl/CMakeLists.txt"
expect_configure_error "no spl target" "there is no \`spl\` target" "$d"

d=$(fresh_copy no_suite_dir)
rm -r "$d/tests/install"
expect_configure_error "suite folder missing" "tests/install/CMakeLists.txt is missing" "$d"

d=$(fresh_copy tests_required)
expect_configure_error "SPL_BUILD_TESTS=OFF when tests are required" \
  "configured with SPL_BUILD_TESTS=OFF" "$d" -DSPL_BUILD_TESTS=OFF -DSPL_REQUIRE_TESTS=ON

# The real entry point: a build/ configured without tests, then `make test`.
d=$(fresh_copy make_test_on_off_build)
if ! configure "$d" -DSPL_BUILD_TESTS=OFF; then
  echo "FAIL: configuring with SPL_BUILD_TESTS=OFF failed:"; cat "$d/configure.log"; fail=1
elif make -C "$d" test >"$d/make.log" 2>&1; then
  echo "FAIL (make test on an SPL_BUILD_TESTS=OFF build dir): it succeeded:"; cat "$d/make.log"; fail=1
elif ! tr -s ' \n' ' ' <"$d/make.log" | grep -qF "configured with SPL_BUILD_TESTS=OFF"; then
  echo "FAIL (make test on an SPL_BUILD_TESTS=OFF build dir): no reason given:"; cat "$d/make.log"; fail=1
else
  echo "ok (make test on an SPL_BUILD_TESTS=OFF build dir)"
fi
# A plain configure of that dir (no SPL_REQUIRE_TESTS) still works: the flag is not cached.
if configure "$d"; then echo "ok (SPL_REQUIRE_TESTS is not kept in the cache)"; else
  echo "FAIL: SPL_REQUIRE_TESTS stayed in the cache:"; cat "$d/configure.log"; fail=1
fi
exit $fail
