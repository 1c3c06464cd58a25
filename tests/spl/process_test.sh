#!/usr/bin/env bash
# Process-level behaviour of `spl` that a golden file cannot express: closed standard
# descriptors, write errors, special files as source, memory limits, signals, runaway task
# counts and huge generated programs. Usage: process_test.sh SPL CASE [SANITIZE]
# Each case prints what went wrong and exits non-zero on failure.
set -u
spl=$1 case=$2 sanitize=${3:-}
here=$(cd "$(dirname "$0")" && pwd)/process
tmp=$(mktemp -d /tmp/spl_process_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL ($case): $*"; exit 1; }
expect_code() {  # expect_code WANT GOT WHAT
  [ "$2" = "$1" ] || fail "$3: exit status $2, expected $1; stderr: $(head -c 600 "$tmp/err" 2>/dev/null)"
}
expect_err() {  # expect_err TEXT
  grep -qF -- "$1" "$tmp/err" || fail "stderr lacks '$1': $(head -c 600 "$tmp/err")"
}
skip_sanitized() {
  if [ -n "$sanitize" ]; then
    echo "skipped under $sanitize: the sanitizer runtime reserves terabytes of address space" \
         "and needs its own stack handling, so this limit cannot be applied"
    exit 0
  fi
}

case $case in
closed_stdout)
  "$spl" run "$here/hello.spl" >&- 2>"$tmp/err"; expect_code 0 $? "stdout closed"
  "$spl" run "$here/hello.spl" <&- >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "stdin closed"
  grep -qx hello "$tmp/out" || fail "stdin closed: no output"
  "$spl" run "$here/hello.spl" 2>&- >"$tmp/out"; expect_code 0 $? "stderr closed"
  grep -qx hello "$tmp/out" || fail "stderr closed: no output"
  ;;
dev_full)
  "$spl" run "$here/hello.spl" >/dev/full 2>"$tmp/err"; expect_code 1 $? "> /dev/full"
  expect_err "cannot write to standard output: No space left on device"
  timeout 20 "$spl" run "$here/endless_print.spl" >/dev/full 2>"$tmp/err"
  expect_code 1 $? "endless print > /dev/full"
  expect_err "cannot write to standard output"
  ;;
closed_pipe)
  timeout 20 "$spl" run "$here/endless_print.spl" 2>"$tmp/err" | head -n 2 >"$tmp/out"
  code=${PIPESTATUS[0]}
  [ "$code" = 141 ] || [ "$code" = 1 ] || fail "closed pipe: exit status $code"
  [ -s "$tmp/err" ] && fail "closed pipe: unexpected stderr: $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/out")" = 2 ] || fail "closed pipe: output lost"
  ;;
fifo_source)
  mkfifo "$tmp/prog.spl"
  for cmd in run check test; do
    timeout 10 "$spl" $cmd "$tmp/prog.spl" >/dev/null 2>"$tmp/err"; code=$?
    [ $code = 124 ] && fail "spl $cmd on a FIFO hangs"
    [ $code = 0 ] && fail "spl $cmd on a FIFO succeeds"
    expect_err "not a regular file (a FIFO)"
  done
  ;;
device_source)
  timeout 10 "$spl" run /dev/zero >/dev/null 2>"$tmp/err"; code=$?
  expect_code 1 $code "spl run /dev/zero"
  expect_err "not a regular file (a character device)"
  truncate -s 65M "$tmp/huge.spl"
  timeout 10 "$spl" run "$tmp/huge.spl" >/dev/null 2>"$tmp/err"; expect_code 1 $? "65 MiB source"
  expect_err "larger than 64 MiB"
  ;;
directory_source)
  "$spl" run "$tmp" >/dev/null 2>"$tmp/err"; expect_code 1 $? "spl run DIR"
  expect_err "is a directory"
  mkdir "$tmp/d" "$tmp/d/sub" "$tmp/ok"
  printf 'prit(1)\n' >"$tmp/d/a.spl"; printf 'x = \n' >"$tmp/d/sub/b.spl"
  printf 'print(1)\n' >"$tmp/ok/c.spl"
  "$spl" check "$tmp/d" >/dev/null 2>"$tmp/err"; expect_code 1 $? "spl check DIR with errors"
  expect_err "a.spl:1:1: error: unknown name 'prit'"
  expect_err "b.spl:1:5: error: expected an expression"
  "$spl" check "$tmp/ok" >/dev/null 2>"$tmp/err"; expect_code 0 $? "spl check DIR without errors"
  "$spl" test "$tmp/ok" >"$tmp/out" 2>"$tmp/err"; expect_code 5 $? "spl test DIR without specs"
  expect_err "no specs found under $tmp/ok"
  ;;
memory_limit)
  skip_sanitized
  (ulimit -v 100000; "$spl" run "$here/hello.spl" >"$tmp/out" 2>"$tmp/err"); expect_code 0 $? "ulimit -v 100000"
  grep -qx hello "$tmp/out" || fail "ulimit -v 100000: no output"
  for kb in 60000 30000 15000; do
    (ulimit -v $kb; "$spl" run "$here/hello.spl" >"$tmp/out" 2>"$tmp/err"); code=$?
    # Runs, or fails with a message: never killed by a signal.
    [ $code -ge 128 ] && fail "ulimit -v $kb: killed by signal $((code - 128))"
    [ $code = 0 ] || [ -s "$tmp/err" ] || fail "ulimit -v $kb: failed without a message"
  done
  ;;
out_of_memory)
  skip_sanitized
  for engine in vm tree; do
    (ulimit -v 400000; SPL_ENGINE=$engine timeout 120 "$spl" run "$here/oom_text.spl" >"$tmp/out" 2>"$tmp/err")
    expect_code 1 $? "oom_text ($engine)"
    expect_err "error: out of memory"
    grep -qx "cleanup ran" "$tmp/out" || fail "oom_text ($engine): the with's __exit__ did not run"
    (ulimit -v 400000; SPL_ENGINE=$engine timeout 120 "$spl" run "$here/oom_arrays.spl" >"$tmp/out" 2>"$tmp/err")
    expect_code 1 $? "oom_arrays ($engine)"
    expect_err "error: out of memory"
    [ $engine = vm ] && expect_err "oom_arrays.spl:7:"  # (the VM reports where)
  done
  ;;
sigint_busy|sigint_await)
  kinds="true compare truthy for"
  [ $case = sigint_await ] && kinds=none
  for kind in $kinds; do
    prog=busy_cleanup; want="cleanup: interrupted"; ready=busy
    if [ $case = sigint_await ]; then prog=await_cleanup; want="cleanup main: interrupted"; ready=waiting; fi
    "$spl" run "$here/$prog.spl" $kind >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 100); do grep -q "$ready" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
    kill -INT $pid
    for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "$prog $kind: still running 10 s after SIGINT"; }
    wait $pid; expect_code 130 $? "SIGINT ($prog $kind)"
    grep -qF "$want" "$tmp/out" || fail "$prog $kind: exit handler did not run: $(cat "$tmp/out")"
  done
  if [ $case = sigint_await ]; then
    grep -qF "cleanup worker: interrupted" "$tmp/out" || fail "worker task not cancelled"
  fi
  ;;
leftover_tasks)
  timeout 5 "$spl" run "$here/leftover_spin.spl" >"$tmp/out" 2>"$tmp/err"
  expect_code 0 $? "main ends while a task loops"
  timeout 2 "$spl" run "$here/timeout_sleep.spl" >"$tmp/out" 2>"$tmp/err"
  expect_code 1 $? "with_timeout(sleep(3000), 50) must end right after the timeout"
  expect_err "timed out after 50 ms"
  ;;
task_exhaustion)
  skip_sanitized
  for prog in many_tasks async_recursion; do
    (ulimit -v 4000000; timeout 60 "$spl" run "$here/$prog.spl" >"$tmp/out" 2>"$tmp/err")
    expect_code 1 $? "$prog"
    expect_err "cannot start task"
  done
  ;;
long_chains)
  awk 'BEGIN { printf "print(1"; for (i = 1; i < 300000; i++) printf "+1"; print ")" }' >"$tmp/sum.spl"
  awk 'BEGIN { print "let s = \"x\""; printf "print(s"; for (i = 0; i < 50000; i++) printf ".to_upper()"; print ")" }' >"$tmp/calls.spl"
  awk 'BEGIN { print "let s = \"xyz\""; printf "print(s"; for (i = 0; i < 50000; i++) printf "[0:3]"; print ")" }' >"$tmp/slices.spl"
  for p in sum calls slices; do
    for cmd in check run; do
      timeout 60 "$spl" $cmd "$tmp/$p.spl" >/dev/null 2>"$tmp/err"; expect_code 1 $? "$cmd $p"
      expect_err "expression is too deeply nested"
    done
  done
  ;;
small_stack)
  # A soft stack limit under 8 MiB (the limits' calibration) is raised by spl at start: a
  # chain just under the nesting limit loads and runs with `ulimit -S -s 256`.
  awk 'BEGIN { printf "print(1"; for (i = 1; i < 2400; i++) printf "+1"; print ")" }' >"$tmp/chain.spl"
  for cmd in check run; do
    (ulimit -S -s 256; timeout 60 "$spl" $cmd "$tmp/chain.spl" >"$tmp/out" 2>"$tmp/err")
    expect_code 0 $? "$cmd with a 256 KiB soft stack limit"
  done
  grep -qx 2400 "$tmp/out" || fail "small stack: $(cat "$tmp/out")"
  ;;
hard_stack_limit)
  # A hard stack limit under 8 MiB cannot be raised: the expression depth limit shrinks with
  # it (2500 levels per 8 MiB), so a long chain is an error with the smaller limit, never a
  # crash, and a short one still runs.
  skip_sanitized
  awk 'BEGIN { printf "print(1"; for (i = 1; i < 2400; i++) printf "+1"; print ")" }' >"$tmp/chain.spl"
  awk 'BEGIN { printf "print(1"; for (i = 1; i < 100; i++) printf "+1"; print ")" }' >"$tmp/short.spl"
  for cmd in check run; do
    (ulimit -s 512; timeout 60 "$spl" $cmd "$tmp/chain.spl" >"$tmp/out" 2>"$tmp/err")
    expect_code 1 $? "$cmd of a long chain with a 512 KiB hard stack limit"
    expect_err "expression is too deeply nested (limit is 156 levels"
  done
  (ulimit -s 512; timeout 60 "$spl" run "$tmp/short.spl" >"$tmp/out" 2>"$tmp/err")
  expect_code 0 $? "a short chain with a 512 KiB hard stack limit"
  grep -qx 100 "$tmp/out" || fail "short chain: $(cat "$tmp/out")"
  ;;
heap_huge_pages)
  # The malloc heap is advised for transparent huge pages from its first 2 MiB boundary on
  # (spl/huge_pages.cc): some [heap] mapping is THP-eligible, and none with SPL_HUGE_PAGES=0.
  [ -n "$sanitize" ] && { echo "skipped under $sanitize: the sanitizer has its own allocator"; exit 0; }
  grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null ||
    { echo "skipped: transparent huge pages are off on this machine"; exit 0; }
  heap_eligible() {  # prints how many [heap] mappings in the smaps dump $1 are THP-eligible
    awk '/^[0-9a-f]+-[0-9a-f]+ /{heap = /\[heap\]/} heap && /^THPeligible: *1/{n++} END{print n+0}' "$1"
  }
  "$spl" run "$here/print_smaps.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "print_smaps"
  grep -q '\[heap\]' "$tmp/out" || fail "no [heap] mapping in the dump: $(head -c 300 "$tmp/out")"
  [ "$(heap_eligible "$tmp/out")" -ge 1 ] || fail "no [heap] mapping is THP-eligible"
  SPL_HUGE_PAGES=0 "$spl" run "$here/print_smaps.spl" >"$tmp/out" 2>"$tmp/err"
  expect_code 0 $? "print_smaps with SPL_HUGE_PAGES=0"
  [ "$(heap_eligible "$tmp/out")" = 0 ] || fail "SPL_HUGE_PAGES=0: a [heap] mapping is still advised"
  # A freed block of 1 MiB or more in the heap gives its pages back (it used to be a mapping
  # of its own, unmapped when freed): a 12 MB array, freed, leaves well under 12 MB resident.
  "$spl" run "$here/big_block_freed.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "big_block_freed"
  grown=$(cat "$tmp/out")
  [ "$grown" -lt 6144 ] || fail "a freed 12 MB array left $grown KiB resident"
  # ... and the huge pages it overlapped lose their advice (VmFlags "nh"), while the rest of the
  # heap keeps it: khugepaged would fill such a huge page back to 2 MiB.
  "$spl" run "$here/big_block_freed_smaps.spl" >"$tmp/out" 2>"$tmp/err"
  expect_code 0 $? "big_block_freed_smaps"
  nh=$(awk '/^[0-9a-f]+-[0-9a-f]+ /{heap = /\[heap\]/} heap && /^VmFlags:.* nh/{n++} END{print n+0}' "$tmp/out")
  [ "$nh" -ge 1 ] || fail "no [heap] mapping lost its huge-page advice after a 12 MB array was freed"
  [ "$(heap_eligible "$tmp/out")" -ge 1 ] || fail "no [heap] mapping is THP-eligible after the free"
  ;;
cached_loads_no_threads)
  # Small files in the page cache, opened and awaited one by one, are loaded on the calling
  # thread: no loader thread starts (and no event loop is needed), as with open_sync. A file
  # that is not cached yet still loads (on a loader thread).
  for i in 1 2 3; do printf 'a\nb\n' >"$tmp/f$i"; cat "$tmp/f$i" >/dev/null; done
  "$spl" run "$here/await_cached_files.spl" "$tmp/f1" "$tmp/f2" "$tmp/f3" >"$tmp/out" 2>"$tmp/err"
  expect_code 0 $? "awaiting cached files"
  [ "$(cat "$tmp/out")" = "6 1" ] || fail "expected 6 lines and 1 thread, got: $(cat "$tmp/out")"
  ;;
relative_stdlib_path)
  # SPL_STDLIB_PATH given relative to the current folder works as the absolute path does
  # (std_lib modules once resolved `use file` to their sibling cli/file.spl).
  repo=$(cd "$here/../../.." && pwd)
  spl_abs=$(cd "$(dirname "$spl")" && pwd)/$(basename "$spl")
  printf 'a\nb\n' >"$tmp/two.txt"
  (cd "$repo" && SPL_STDLIB_PATH=simple_std "$spl_abs" run examples/wc.spl -l "$tmp/two.txt" >"$tmp/out" 2>"$tmp/err")
  expect_code 0 $? "relative SPL_STDLIB_PATH"
  grep -q "2 $tmp/two.txt" "$tmp/out" || fail "relative SPL_STDLIB_PATH: $(cat "$tmp/out")"
  ;;
module_resolution)
  # An upstream-like tree: files inside it use its std_lib/src first (with `std.` accepted).
  up="$tmp/proj/simple/std_lib"
  mkdir -p "$up/src/core" "$up/test/unit" "$tmp/plain"
  printf 'fn hello():\n    "upstream hello"\n' >"$up/src/core/greet.spl"
  printf 'use core.greet.*\nuse std.core.greet\nprint(hello(), greet.hello())\n' >"$up/test/unit/prog.spl"
  "$spl" run "$up/test/unit/prog.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "upstream tree"
  grep -qx "upstream hello upstream hello" "$tmp/out" || fail "upstream tree: $(cat "$tmp/out")"
  # A folder without __init__.spl is an empty module (`import test.*` in upstream's tests);
  # `export use *` re-exports everything (already the default).
  printf 'import test.*\nexport use *\n' >"$up/test/unit/__init__.spl"
  printf 'import test.unit.*\nprint("namespace ok")\n' >"$up/test/unit/ns.spl"
  "$spl" run "$up/test/unit/ns.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "namespace folder"
  grep -qx "namespace ok" "$tmp/out" || fail "namespace folder: $(cat "$tmp/out")"
  # `use file.mmap` next to a file.spl: the module file/mmap is found (our std_lib), not an
  # item `mmap` of the sibling file.spl.
  printf 'fn local():\n    1\n' >"$tmp/plain/file.spl"
  printf 'use file.mmap\nprint(mmap.MmapMode.ReadOnly)\n' >"$tmp/plain/prog.spl"
  "$spl" run "$tmp/plain/prog.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "use file.mmap"
  grep -qx "ReadOnly" "$tmp/out" || fail "use file.mmap: $(cat "$tmp/out")"
  # Outside an upstream tree the tree's modules are not visible.
  printf 'use core.greet.*\n' >"$tmp/plain/bad.spl"
  "$spl" run "$tmp/plain/bad.spl" >/dev/null 2>"$tmp/err"; expect_code 1 $? "no upstream tree"
  expect_err "cannot find module 'core.greet'"
  ;;
exports)
  # `export *` (every top-level name, the default made explicit), `export * from m` (all
  # that m makes visible, passed on) and `export a as b from m`, through a chain of modules.
  mkdir -p "$tmp/ex"
  printf 'fn a():\n    1\nfn b():\n    2\n' >"$tmp/ex/m.spl"
  printf 'export * from m\nexport a as first from m\nexport *\nfn c():\n    3\n' >"$tmp/ex/mid.spl"
  printf 'use mid.*\nprint(a() + b() + c(), first())\n' >"$tmp/ex/prog.spl"
  "$spl" run "$tmp/ex/prog.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "export chain"
  grep -qx "6 1" "$tmp/out" || fail "export chain: $(cat "$tmp/out") $(cat "$tmp/err")"
  "$spl" check "$tmp/ex/prog.spl" >"$tmp/out" 2>"$tmp/err"; expect_code 0 $? "export chain check"
  # spl check knows the functions and structs of imported modules, also called as mod.f(...).
  printf 'fn f(a):\n    a\nstruct Q:\n    x: i64\n' >"$tmp/ex/m2.spl"
  printf 'use m2\nfn main():\n    print(m2.f(1, 2))\n    print(m2.Q(1, 2))\n' >"$tmp/ex/calls.spl"
  "$spl" check "$tmp/ex/calls.spl" >/dev/null 2>"$tmp/err"; expect_code 1 $? "module calls"
  expect_err "calls.spl:3:14: error: 'f' takes 1 argument but 2 were given"
  expect_err "calls.spl:4:14: error: 'Q' has 1 field but 2 values were given"
  printf 'export * from nowhere\n' >"$tmp/ex/bad.spl"
  "$spl" check "$tmp/ex/bad.spl" >/dev/null 2>"$tmp/err"; expect_code 1 $? "export from missing"
  expect_err "cannot find module 'nowhere'"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok ($case)"
