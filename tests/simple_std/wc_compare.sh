#!/usr/bin/env bash
# Compares examples/wc.spl with GNU wc (LC_ALL=C.UTF-8) byte for byte: stdout, stderr
# (with the program name normalised) and exit status, on generated files: empty, no trailing
# newline, non-ASCII text, invalid UTF-8, tabs and other spaces, a big mapped file, several
# files with a total, a missing file, a directory, and each option.
# Usage: wc_compare.sh SPL REPO_DIR
set -u
spl=$1 repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
: > empty.txt
printf 'no trailing newline' > nonl.txt
printf 'caf\xc3\xa9 na\xc3\xafve \xce\xb1\xce\xb2\xce\xb3\n\xe4\xb8\xad\xe6\x96\x87 text\n' > utf8.txt
printf 'bad \xff\xfe bytes\n\xc3 cut\n' > invalid.txt
printf 'tabs\there\n  lead and trail  \n\v\f\r\nwords\xc2\xa0nbsp\n' > spaces.txt
printf 'one\n\n\nfour\n' > blank_lines.txt
(set +o pipefail; yes 'the quick brown fox jumps over the lazy dog, caf\xc3\xa9' | head -c 3000000 > big.txt)
mkdir adir
fail=0
check() {  # ARGS...
  LC_ALL=C.UTF-8 wc "$@" > want.out 2> want.err
  local want_code=$?
  "$spl" run "$repo/examples/wc.spl" "$@" > got.out 2> got.err
  local got_code=$?
  if ! cmp -s want.out got.out || ! cmp -s want.err got.err || [ $want_code != $got_code ]; then
    echo "MISMATCH for wc $*"
    diff -u want.out got.out
    diff -u want.err got.err
    echo "exit: wc $want_code, wc.spl $got_code"
    fail=1
  else
    echo "same: wc $*"
  fi
}
check empty.txt
check nonl.txt
check utf8.txt
check invalid.txt
check spaces.txt
check blank_lines.txt
check big.txt
check -l big.txt
check -w utf8.txt
check -c nonl.txt
check -m utf8.txt
check -l -w empty.txt nonl.txt
check -lwmc utf8.txt invalid.txt spaces.txt
check empty.txt nonl.txt utf8.txt invalid.txt spaces.txt blank_lines.txt big.txt
check utf8.txt missing.txt nonl.txt
check missing.txt utf8.txt
check adir utf8.txt
exit $fail
