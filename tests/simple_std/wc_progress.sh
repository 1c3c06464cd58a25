#!/usr/bin/env bash
# With stderr on a terminal, examples/wc.spl draws a progress bar while counting a big file
# takes long and clears it before printing; without a terminal it draws nothing. The terminal
# is a pty from script(1); the big file is a 1 GiB sparse one, counted in 64 MiB slices, and
# SPL_WC_PROGRESS_AFTER_MS=0 makes the bar appear after the first slice whatever the speed.
# Usage: wc_progress.sh SPL REPO_DIR
set -u
spl=$1 repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 1G "$tmp/sparse"
fail=0
SPL_WC_PROGRESS_AFTER_MS=0 script -qc "$spl run $repo/examples/wc.spl -lc $tmp/sparse" /dev/null > "$tmp/tty.out" < /dev/null
grep -q "wc: counting $tmp/sparse \[" "$tmp/tty.out" || { echo "no progress bar on a terminal"; fail=1; }
grep -q "%" "$tmp/tty.out" || { echo "no percentage on a terminal"; fail=1; }
grep -q $'\e\[K' "$tmp/tty.out" || { echo "the bar was not cleared"; fail=1; }
grep -q "0 1073741824 $tmp/sparse" "$tmp/tty.out" || { echo "no count line"; cat -v "$tmp/tty.out"; fail=1; }
SPL_WC_PROGRESS_AFTER_MS=0 "$spl" run "$repo/examples/wc.spl" -c "$tmp/sparse" > "$tmp/plain.out" 2> "$tmp/plain.err"
[ -s "$tmp/plain.err" ] && { echo "progress drawn without a terminal:"; cat -v "$tmp/plain.err"; fail=1; }
[ "$(cat "$tmp/plain.out")" = "1073741824 $tmp/sparse" ] || { echo "wrong count: $(cat "$tmp/plain.out")"; fail=1; }
# Counted in slices under the bar, a text file gives GNU's numbers (words and characters too:
# slices end after a newline).
(set +o pipefail; yes 'cafÃ© naÃ¯ve words  on a line' | head -c 150000000 > "$tmp/text")
want=$(LC_ALL=C.UTF-8 wc -lwmc "$tmp/text")
SPL_WC_PROGRESS_AFTER_MS=0 script -qc "$spl run $repo/examples/wc.spl -lwmc $tmp/text" /dev/null > "$tmp/text.out" < /dev/null
grep -q "wc: counting $tmp/text \[" "$tmp/text.out" || { echo "no progress bar for the text file"; fail=1; }
grep -qF "$want" "$tmp/text.out" || { echo "counted in slices: not GNU's '$want':"; cat -v "$tmp/text.out"; fail=1; }
# Standard input on a terminal (here: a slow pipe into the pty) is typed, not measured: no bar.
script -qc "sh -c '(sleep 0.5; printf \"a b\\n\") | $spl run $repo/examples/wc.spl'" /dev/null > "$tmp/stdin.out" < /dev/null
grep -q "wc: \(loading\|counting\)" "$tmp/stdin.out" && { echo "progress bar drawn for standard input:"; cat -v "$tmp/stdin.out"; fail=1; }
grep -q "      1       2       4" "$tmp/stdin.out" || { echo "no count for standard input:"; cat -v "$tmp/stdin.out"; fail=1; }
[ $fail = 0 ] && echo "progress bar: drawn and cleared on a terminal, absent otherwise and for standard input"
exit $fail
