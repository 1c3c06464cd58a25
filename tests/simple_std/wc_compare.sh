#!/usr/bin/env bash
# Compares examples/wc.spl with GNU wc (LC_ALL=C.UTF-8) byte for byte: stdout, stderr
# (with the program name normalised) and exit status, on generated files: empty, no trailing
# newline, non-ASCII text, invalid UTF-8, tabs and other spaces, a big mapped file, several
# files with a total, a missing file, a directory, and each option; and on standard input
# ("-" or no FILE) redirected from a file, from /dev/null and from a pipe, on /dev/null
# named as a file, on a FIFO fed by a writer; and on names the system refuses (a symlink
# loop, a name longer than NAME_MAX), where wc prints the system's reason after the name once.
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
ln -s loop loop
long_name=$(printf 'x%.0s' $(seq 1 300))
fail=0
# Compares the two runs just made: want.* (GNU wc) and got.* (wc.spl), exit codes $1 $2.
compare() {  # WANT_CODE GOT_CODE DESCRIPTION
  if ! cmp -s want.out got.out || ! cmp -s want.err got.err || [ "$1" != "$2" ]; then
    echo "MISMATCH for $3"
    diff -u want.out got.out
    diff -u want.err got.err
    echo "exit: wc $1, wc.spl $2"
    fail=1
  else
    echo "same: $3"
  fi
}
check() {  # ARGS...  (standard input: /dev/null, so nothing waits for a terminal)
  LC_ALL=C.UTF-8 wc "$@" > want.out 2> want.err < /dev/null
  local want_code=$?
  "$spl" run "$repo/examples/wc.spl" "$@" > got.out 2> got.err < /dev/null
  compare $want_code $? "wc $*"
}
check_stdin() {  # INPUT ARGS...  (standard input redirected from INPUT)
  local input=$1
  shift
  LC_ALL=C.UTF-8 wc "$@" > want.out 2> want.err < "$input"
  local want_code=$?
  "$spl" run "$repo/examples/wc.spl" "$@" > got.out 2> got.err < "$input"
  compare $want_code $? "wc $* < $input"
}
check_pipe() {  # INPUT ARGS...  (standard input is a pipe fed from INPUT)
  local input=$1
  shift
  cat "$input" | LC_ALL=C.UTF-8 wc "$@" > want.out 2> want.err
  local want_code=${PIPESTATUS[1]}
  cat "$input" | "$spl" run "$repo/examples/wc.spl" "$@" > got.out 2> got.err
  compare $want_code "${PIPESTATUS[1]}" "cat $input | wc $*"
}
check_fifo() {  # INPUT ARGS...  (ARGS name the FIFO ./fifo, fed from INPUT by a writer)
  local input=$1
  shift
  rm -f fifo
  mkfifo fifo
  (sleep 0.2; cat "$input" > fifo) &
  LC_ALL=C.UTF-8 wc "$@" > want.out 2> want.err < /dev/null
  local want_code=$?
  wait
  (sleep 0.2; cat "$input" > fifo) &
  "$spl" run "$repo/examples/wc.spl" "$@" > got.out 2> got.err < /dev/null
  local got_code=$?
  wait
  compare $want_code $got_code "wc $* (FIFO fed from $input)"
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
check loop utf8.txt
check "$long_name" "$long_name/inner.txt" nonl.txt
check /dev/null
check -l /dev/null
check /dev/null utf8.txt
check_stdin utf8.txt
check_stdin utf8.txt -
check_stdin utf8.txt -l
check_stdin utf8.txt -lwmc
check_stdin empty.txt
check_stdin /dev/null
check_stdin /dev/null -
check_stdin big.txt
check_stdin .  # a directory as standard input: GNU names it 'standard input' in the message
check_stdin . -
check_pipe utf8.txt
check_pipe utf8.txt -
check_pipe utf8.txt -c
check_pipe big.txt
check_pipe invalid.txt -lwmc - nonl.txt
check_pipe spaces.txt - -
check_pipe empty.txt
check_fifo utf8.txt fifo
check_fifo big.txt -l fifo utf8.txt
exit $fail
