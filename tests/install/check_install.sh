#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds a C program against it twice: with
# find_package(spl_file) and with pkg-config. Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/spl/file.h"
cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/consumer/consumer" "$src/tests/ffi/c_api_test.c"
libdir=$(dirname "$(find "$tmp/prefix" -name spl_file.pc)")
# The .pc file names the prefix it was configured with; point pkg-config at the temp one.
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --define-variable=prefix="$tmp/prefix" \
  --cflags --libs spl_file)
cc -std=c11 "$src/tests/ffi/c_api_test.c" $flags -o "$tmp/pc_consumer"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/pc_consumer" "$src/tests/ffi/c_api_test.c"
echo "install: find_package and pkg-config consumers both work"
