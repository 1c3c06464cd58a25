#!/usr/bin/env bash
# Compares examples/grep.spl with GNU grep -nF (LC_ALL=C.UTF-8) byte for byte: stdout, stderr
# and exit status, on generated files: one file and several (the "FILE:" prefix), a pattern
# found or not (status 1), the empty pattern, last lines without a newline, UTF-8 text and
# patterns, -i with the letters whose case folding is special (ſ, ı, the Kelvin sign, ß/ẞ, final
# sigma, É), -c, missing files, a directory, names the system refuses, standard input (none,
# "-" among files, a pipe), binary files (a NUL byte, a selected line that is not UTF-8), a
# 24 MiB file searched in parallel chunks with matches across chunk edges, the same cut in
# small pieces (SPL_GREP_PIECE_BYTES), and many files loaded through the window.
# Usage: grep_compare.sh SPL REPO_DIR
set -u
spl=$(realpath "$1") repo=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
printf 'hello world\nsay hello\nnothing here\nHELLO loud\nhello' > a.txt
printf 'one\ntwo hello\nthree\n' > b.txt
: > empty.txt
printf 'caf\xc3\xa9 na\xc3\xafve\nCAF\xc3\x89 LOUD\n\xce\xb1\xce\xb2\xce\xb3 greek\n\xe4\xb8\xad\xe6\x96\x87 text\n' > utf8.txt
printf '\xc4\xb0\n\xc4\xb1\n\xe2\x84\xaa\n\xc5\xbf\n\xe1\xba\x9e\n\xc3\x9f\n\xce\xa3\n\xcf\x82\n\xcf\x83\nkiss\nKISS\n' > fold.txt
printf 'hello\nwor\x00ld hello\n' > nul.txt
printf 'hello ok\nbad \xff hello\nhello after\n' > badutf8.txt
python3 - <<'PY'
import random
random.seed(7)
words = ['alpha', 'beta', 'gamma', 'delta', 'needle', 'caf\u00e9', 'x' * 40]
out = []
size = 0
while size < 24 * 1024 * 1024:
    line = ' '.join(random.choice(words[:4] + words[5:]) for _ in range(random.randint(0, 12)))
    if random.random() < 0.002:
        line += ' needle'
    b = (line + '\n').encode()
    out.append(b)
    size += len(b)
open('big.txt', 'wb').write(b''.join(out))
# lines around every 8 MiB edge hold the needle, so matches sit on chunk boundaries
data = bytearray(open('big.txt', 'rb').read())
for edge in range(8 << 20, len(data), 8 << 20):
    data[edge - 3:edge + 3] = b'needle'
open('edges.txt', 'wb').write(bytes(data))
import os
os.mkdir('many')
for i in range(300):
    open(f'many/f{i:03d}', 'w').write(('row %d\n' % i) * (i % 5) + ('needle %d\n' % i if i % 7 == 0 else ''))
PY
mkdir adir
ln -s loop loop
long_name=$(printf 'x%.0s' $(seq 1 300))
fail=0
compare() {  # WANT_CODE GOT_CODE DESCRIPTION
  if ! cmp -s want.out got.out || ! cmp -s want.err got.err || [ "$1" != "$2" ]; then
    echo "MISMATCH for $3"
    diff -u want.out got.out | head -20
    diff -u want.err got.err | head -20
    echo "exit: grep $1, grep.spl $2"
    fail=1
  else
    echo "same: $3"
  fi
}
check() {  # ARGS... (standard input: /dev/null)
  LC_ALL=C.UTF-8 grep -nF "$@" > want.out 2> want.err < /dev/null
  local want=$?
  "$spl" run "$repo/examples/grep.spl" "$@" > got.out 2> got.err < /dev/null
  compare $want $? "grep -nF $*"
}
check_pipe() {  # INPUT ARGS...
  local input=$1
  shift
  cat "$input" | LC_ALL=C.UTF-8 grep -nF "$@" > want.out 2> want.err
  local want=${PIPESTATUS[1]}
  cat "$input" | "$spl" run "$repo/examples/grep.spl" "$@" > got.out 2> got.err
  compare $want "${PIPESTATUS[1]}" "cat $input | grep -nF $*"
}
check hello a.txt
check hello a.txt b.txt
check absent a.txt b.txt
check '' a.txt
check '' empty.txt
check hello empty.txt a.txt
check world a.txt
check -i hello a.txt b.txt
check -c hello a.txt
check -c hello a.txt b.txt empty.txt
check 'café' utf8.txt
check -i 'café' utf8.txt
check -i 'ΑΒΓ' utf8.txt
check 'ü' utf8.txt
for p in i I k K s S ß ẞ σ ς Σ İ ı kiss KISS; do check -i "$p" fold.txt; done
check hello a.txt missing.txt b.txt
check -c hello missing.txt a.txt
check hello adir a.txt
check -c hello adir a.txt
check hello loop a.txt
check hello "$long_name" a.txt
check hello nul.txt
check hello a.txt nul.txt
check -c hello nul.txt
check hello badutf8.txt
check hello a.txt badutf8.txt
check -c hello badutf8.txt
check needle big.txt
check -c needle big.txt
check needle edges.txt
check -i NEEDLE edges.txt
check x big.txt
SPL_GREP_PIECE_BYTES=1000 check needle edges.txt
SPL_GREP_PIECE_BYTES=7 check hello a.txt b.txt
check needle many/*
check -c row many/*
check_pipe a.txt hello
check_pipe a.txt hello -
check_pipe a.txt hello - b.txt
check_pipe empty.txt hello
check_pipe a.txt -c hello
# A PATTERN holding a newline (GNU: several patterns) is refused with status 2.
"$spl" run "$repo/examples/grep.spl" $'a\nb' a.txt > got.out 2> got.err
code=$?
if [ $code != 2 ] || ! grep -q "several patterns" got.err; then
  echo "MISMATCH: a pattern with a newline gave status $code: $(cat got.err)"
  fail=1
else
  echo "same: a pattern with a newline is refused (status 2)"
fi
exit $fail
